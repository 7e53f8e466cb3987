/**
 * A run's log, virtualised: only visible lines are in the DOM, and only the part of the file the
 * person looked at is loaded (the tail first, earlier ranges on scrolling up), so a 500 MB log does
 * not freeze the tab. Follows the live log while the run is active; searches what is loaded.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, errorText } from '../api.js';
import { appendBytes, emptyWindow, findLines, prependBytes, visibleLines, type LogWindow } from '../lib/log-lines.js';
import { formatBytes } from '../lib/format.js';

const CHUNK = 256 * 1024;
const ROW = 18;

export interface LogViewerProps {
  runId: string;
  attempt: number;
  /** The run may still write: follow the log. */
  active: boolean;
  service?: string;
}

export function LogViewer({ runId, attempt, active, service }: LogViewerProps) {
  const [win, setWin] = useState<LogWindow>(() => emptyWindow());
  const [size, setSize] = useState(0);
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  // Starts at the end; the box to stop following shows only while the run can still write.
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [hit, setHit] = useState(0);
  const loadingEarlier = useRef(false);
  const scroller = useRef<HTMLDivElement>(null);
  // The window changes from a stream and from scrolling at once: every change goes through the ref first.
  const winRef = useRef(win);
  const update = useCallback((fn: (w: LogWindow) => LogWindow) => {
    winRef.current = fn(winRef.current);
    setWin(winRef.current);
    return winRef.current;
  }, []);

  // The tail first, then (while the run is active) everything appended after it.
  useEffect(() => {
    let stopped = false;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    setLoaded(false);
    setError(undefined);
    void (async () => {
      try {
        const tail = await api.logRange(runId, { offset: -CHUNK, limit: CHUNK, ...(attempt ? { attempt } : {}), ...(service ? { service } : {}) });
        if (stopped) return;
        let w = update(() => appendBytes(emptyWindow(tail.offset), tail.bytes));
        setSize(tail.size);
        setLoaded(true);
        if (!active) return;
        const stream = await api.logs(runId, { follow: true, offset: w.end, ...(attempt ? { attempt } : {}), ...(service ? { service } : {}) });
        reader = stream.getReader();
        if (stopped) return void reader.cancel();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || stopped) break;
          w = update((cur) => appendBytes(cur, value));
          setSize((s) => Math.max(s, w.end));
        }
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
    })();
    return () => {
      stopped = true;
      void reader?.cancel().catch(() => undefined);
    };
  }, [runId, attempt, active, service, update]);

  const lines = useMemo(() => visibleLines(win), [win]);
  const matches = useMemo(() => findLines(lines, query), [lines, query]);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const virtualizer = useVirtualizer({ count: lines.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 40 });

  useEffect(() => {
    if (follow && lines.length && !query) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [follow, lines.length, query, virtualizer]);

  const loadEarlier = useCallback(async () => {
    const w = winRef.current;
    if (loadingEarlier.current || w.start === 0) return;
    loadingEarlier.current = true;
    try {
      const from = Math.max(0, w.start - CHUNK);
      const r = await api.logRange(runId, { offset: from, limit: w.start - from, ...(attempt ? { attempt } : {}), ...(service ? { service } : {}) });
      const before = visibleLines(winRef.current).length;
      const next = update((cur) => prependBytes(cur, r.bytes));
      // Keep the lines on screen where they were: shift by the rows added above them.
      const added = visibleLines(next).length - before;
      if (scroller.current) scroller.current.scrollTop += added * ROW;
    } catch (e) {
      setError(errorText(e));
    } finally {
      loadingEarlier.current = false;
    }
  }, [runId, attempt, service, update]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    if (el.scrollTop < ROW * 20 && winRef.current.start > 0) void loadEarlier();
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2;
    if (!atBottom && follow) setFollow(false);
  };

  // A new search shows its first match.
  useEffect(() => {
    if (query && matches[0] !== undefined) {
      setFollow(false);
      virtualizer.scrollToIndex(matches[0], { align: 'center' });
    }
    // Only when the query changes, not as lines stream in.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query]);

  const goTo = (delta: number) => {
    if (!matches.length) return;
    const next = (hit + delta + matches.length) % matches.length;
    setHit(next);
    setFollow(false);
    virtualizer.scrollToIndex(matches[next] ?? 0, { align: 'center' });
  };
  const current = matches[hit];
  const params = new URLSearchParams();
  if (attempt) params.set('attempt', String(attempt));
  if (service) params.set('service', service);

  return (
    <section aria-label="Logs">
      <div className="between" style={{ marginBottom: 8 }}>
        <div className="row">
          <label>
            Search loaded lines
            <input
              type="search"
              value={query}
              onChange={(e) => { setQuery(e.target.value); setHit(0); }}
              onKeyDown={(e) => { if (e.key === 'Enter') goTo(e.shiftKey ? -1 : 1); }}
              placeholder="text, Enter for next"
            />
          </label>
          <button type="button" onClick={() => goTo(-1)} disabled={!matches.length} aria-label="Previous match">↑</button>
          <button type="button" onClick={() => goTo(1)} disabled={!matches.length} aria-label="Next match">↓</button>
          <span className="muted" aria-live="polite">{query ? `${matches.length ? hit + 1 : 0} / ${matches.length} matches` : ''}</span>
        </div>
        <div className="row">
          {active && <label className="inline"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow</label>}
          <span className="muted">{win.start > 0 ? `${formatBytes(win.end - win.start)} of ${formatBytes(size)} loaded` : formatBytes(size)}</span>
          <a className="button" href={`/api/v1/runs/${runId}/logs${params.size ? `?${params}` : ''}`} download={`${runId}.log`}>Download</a>
        </div>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="log" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Log lines" data-testid="log">
        {win.start > 0 && <div className="line muted">… earlier output: scroll up to load ({formatBytes(win.start)})</div>}
        {loaded && !lines.length && <div className="line muted">{active ? 'waiting for output…' : 'no output'}</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => (
            <div
              key={v.key}
              className={`line${matchSet.has(v.index) ? ' hit' : ''}${v.index === current ? ' current' : ''}`}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
            >
              {win.start === 0 && <span className="gutter">{v.index + 1}</span>}
              {lines[v.index]}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
