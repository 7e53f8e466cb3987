/** Accessible tabs (WAI-ARIA pattern: arrow keys move between tabs); the chosen tab lives in the URL. */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { useSearchParams } from 'react-router';

export function useTab(tabs: readonly string[], fallback: string): [string, (t: string) => void] {
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? fallback;
  const set = (t: string) => setParams((p) => {
    p.set('tab', t);
    return p;
  }, { replace: true });
  return [tabs.includes(tab) ? tab : fallback, set];
}

export function Tabs({ tabs, current, onChange, label }: { tabs: readonly { id: string; label: ReactNode }[]; current: string; onChange: (id: string) => void; label: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent, i: number) => {
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!d) return;
    const next = (i + d + tabs.length) % tabs.length;
    const t = tabs[next];
    if (!t) return;
    onChange(t.id);
    refs.current[next]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => { refs.current[i] = el; }}
          role="tab"
          id={`tab-${t.id}`}
          aria-selected={current === t.id}
          aria-controls={`panel-${t.id}`}
          tabIndex={current === t.id ? 0 : -1}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ id, children }: { id: string; children: ReactNode }) {
  return <div role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`}>{children}</div>;
}
