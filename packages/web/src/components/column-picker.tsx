/** Picks the extra columns of the runs table from the fields runs have (params, result, metric summaries). */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, errorText } from '../api.js';

export function ColumnPicker({ group, chosen, onChange }: { group?: string; chosen: string[]; onChange: (cols: string[]) => void }) {
  const [open, setOpen] = useState(false);
  const [find, setFind] = useState('');
  const fields = useQuery({ queryKey: ['run-fields', group ?? null], queryFn: () => api.runFields(group), enabled: open, staleTime: 10_000 });
  const names = (fields.data?.items ?? []).filter((n) => n.toLowerCase().includes(find.toLowerCase()));
  const toggle = (n: string) => onChange(chosen.includes(n) ? chosen.filter((c) => c !== n) : [...chosen, n]);
  return (
    <details className="picker" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary className="button">Columns{chosen.length ? ` (${chosen.length})` : ''}</summary>
      <div className="picker-body card" role="group" aria-label="Columns">
        <label>Find a field<input type="search" value={find} onChange={(e) => setFind(e.target.value)} placeholder="params.lr, metrics.loss.min…" autoFocus /></label>
        {fields.error && <p className="error">{errorText(fields.error)}</p>}
        <div className="picker-list">
          {names.map((n) => (
            <label key={n} className="inline"><input type="checkbox" checked={chosen.includes(n)} onChange={() => toggle(n)} /> <span className="mono">{n}</span></label>
          ))}
          {fields.isSuccess && !names.length && <p className="muted">No fields{find ? ' match' : ': runs report params, metrics and results'}.</p>}
        </div>
        {chosen.length > 0 && <button type="button" onClick={() => onChange([])}>Clear columns</button>}
      </div>
    </details>
  );
}

/** Conditions on fields as removable chips; a new one is typed as `params.lr>=0.01` and added with Enter. */
export function FieldFilters({ filters, onChange }: { filters: string[]; onChange: (f: string[]) => void }) {
  const [draft, setDraft] = useState('');
  const add = () => {
    const t = draft.trim();
    if (t && !filters.includes(t)) onChange([...filters, t]);
    setDraft('');
  };
  return (
    <div className="row chips">
      <label>
        Field filter
        <input value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }}
          placeholder="metrics.loss.min<0.3, Enter" size={26} aria-describedby="filter-help" />
      </label>
      <span id="filter-help" className="sr-only">A field, an operator (= != &lt; &lt;= &gt; &gt;= ~) and a value; press Enter to add.</span>
      {filters.map((f) => (
        <span key={f} className="chip mono" data-testid="filter-chip">{f}<button type="button" aria-label={`Remove filter ${f}`} onClick={() => onChange(filters.filter((x) => x !== f))}>×</button></span>
      ))}
    </div>
  );
}
