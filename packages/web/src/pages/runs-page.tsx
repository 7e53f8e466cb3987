/**
 * Runs: a live table over any number of runs. Filters live in the URL; pages come from the server
 * by cursor (newest first), so the 100,000th run costs what the first does; rows are virtualised.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { TERMINAL, type ListRunsQuery, type RunStatus } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { VirtualRows } from '../components/virtual-rows.js';
import { formatCount, formatTime, runDuration } from '../lib/format.js';
import { useTitle } from '../lib/use-title.js';

const STATUSES: RunStatus[] = ['queued', 'starting', 'building', 'running', 'cleanup', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'];
const FILTERS = ['status', 'queue', 'label', 'group', 'template', 'q'] as const;
const ROW = 37;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [text, setText] = useState(params.get('q') ?? '');
  const q = useDebounced(text, 250);
  const limit = Number(params.get('limit') ?? 50);
  const cursors = (params.get('page') ?? '').split(',').filter(Boolean); // cursors of the pages before this one
  const cursor = cursors[cursors.length - 1];
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useTitle('Runs');

  const setParam = (k: string, v: string | undefined) => setParams((p) => {
    if (v) p.set(k, v);
    else p.delete(k);
    p.delete('page');
    return p;
  }, { replace: true });

  useEffect(() => {
    if ((params.get('q') ?? '') !== q) setParam('q', q || undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  const filter: ListRunsQuery = {
    ...Object.fromEntries(FILTERS.filter((k) => k !== 'label' && params.get(k)).map((k) => [k, params.get(k) ?? ''])),
    ...(params.get('label') ? { label: [params.get('label') ?? ''] } : {}),
  };
  const runs = useQuery({
    queryKey: ['runs', filter, cursor ?? null, limit],
    queryFn: () => api.listRuns({ ...filter, ...(cursor ? { cursor } : {}), limit, total: true }),
    placeholderData: keepPreviousData,
  });
  const templates = useQuery({ queryKey: ['templates'], queryFn: () => api.listTemplates(), staleTime: 30_000 });
  const cancel = useMutation({
    mutationFn: (ids: string[]) => api.cancelRuns(ids),
    onSuccess: () => {
      setSelected(new Set());
      void qc.invalidateQueries({ queryKey: ['runs'] });
    },
  });

  const items = useMemo(() => runs.data?.items ?? [], [runs.data]);
  const scroller = useRef<HTMLDivElement>(null);

  const toggle = (id: string) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const cancellable = items.filter((r) => selected.has(r.id) && !TERMINAL.has(r.status)).map((r) => r.id);
  const first = cursors.length * limit;

  return (
    <>
      <div className="between">
        <h1>Runs</h1>
        <div className="row">
          <button type="button" disabled={selected.size < 2 || selected.size > 10} onClick={() => navigate(`/compare?ids=${[...selected].join(',')}`)}>
            Compare ({selected.size})
          </button>
          <button
            type="button"
            className="danger"
            disabled={!cancellable.length || cancel.isPending}
            onClick={() => { if (window.confirm(`Cancel ${cancellable.length} run(s)?`)) cancel.mutate(cancellable); }}
          >
            Cancel selected ({cancellable.length})
          </button>
        </div>
      </div>
      <form className="row" style={{ margin: '12px 0' }} role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="name, item or id" />
        </label>
        <label>
          Status
          <select value={params.get('status') ?? ''} onChange={(e) => setParam('status', e.target.value)}>
            <option value="">any</option>
            <option value="queued,starting,building,running,cleanup">active</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Queue
          <input defaultValue={params.get('queue') ?? ''} onBlur={(e) => setParam('queue', e.target.value.trim())} placeholder="any" size={10} />
        </label>
        <label>
          Label
          <input defaultValue={params.get('label') ?? ''} onBlur={(e) => setParam('label', e.target.value.trim())} placeholder="key=value" size={14} />
        </label>
        <label>
          Group
          <input defaultValue={params.get('group') ?? ''} onBlur={(e) => setParam('group', e.target.value.trim())} placeholder="group id" size={22} />
        </label>
        <label>
          Template
          <select value={params.get('template') ?? ''} onChange={(e) => setParam('template', e.target.value)}>
            <option value="">any</option>
            {templates.data?.items.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
          </select>
        </label>
        <label>
          Per page
          <select value={limit} onChange={(e) => setParam('limit', e.target.value)}>
            {[50, 100, 500].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
      </form>
      {runs.error && <p className="error" role="alert">{errorText(runs.error)}</p>}
      {cancel.data && (
        <p role="status">
          {[`Canceled ${cancel.data.items.filter((i) => i.ok).length}`, ...cancel.data.items.flatMap((i) => ('message' in i ? [`${i.id}: ${i.message}`] : []))].join('; ')}
        </p>
      )}
      <div className="scroll" ref={scroller} style={{ maxHeight: '70vh' }}>
        <table className="data" aria-label="Runs" aria-rowcount={items.length + 1} data-testid="runs-table">
          <thead>
            <tr>
              <th scope="col"><span className="sr-only">Select</span></th>
              <th scope="col">Status</th>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Queue</th>
              <th scope="col">Node</th>
              <th scope="col">From</th>
              <th scope="col">Created</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <VirtualRows count={items.length} scroller={scroller} rowHeight={ROW} columns={9} row={(i) => {
            const r = items[i];
            if (!r) return null;
            return (
              <tr key={r.id} data-run={r.id} style={{ height: ROW }}>
                <td><input type="checkbox" aria-label={`Select ${r.name} ${r.id}`} checked={selected.has(r.id)} onChange={() => toggle(r.id)} /></td>
                <td><StatusBadge status={r.status} /></td>
                <td><Link to={`/runs/${r.id}`}>{r.name}</Link>{r.item ? <span className="muted"> · {r.item}</span> : null}</td>
                <td className="mono">{r.id}</td>
                <td>{r.queue}</td>
                <td>{r.node ?? '—'}</td>
                <td>
                  {r.groupId ? <Link to={`/groups/${r.groupId}`}>group</Link> : null}
                  {r.template ? <Link to={`/templates/${encodeURIComponent(r.template.name)}`}> {r.template.name}@{r.template.version}</Link> : null}
                  {!r.groupId && !r.template ? '—' : null}
                </td>
                <td>{formatTime(r.createdAt)}</td>
                <td>{runDuration(r)}</td>
              </tr>
            );
          }} />
        </table>
        {runs.isSuccess && !items.length && <p className="muted" style={{ padding: 12 }}>No runs match.</p>}
      </div>
      <nav className="between" aria-label="Pages" style={{ marginTop: 8 }}>
        <span className="muted" data-testid="runs-count">
          {runs.data ? `${items.length ? `${formatCount(first + 1)}–${formatCount(first + items.length)}` : '0'} of ${formatCount(runs.data.total ?? items.length)}` : 'Loading…'}
        </span>
        <div className="row">
          <button type="button" disabled={!cursors.length} onClick={() => setParams((p) => { p.set('page', cursors.slice(0, -1).join(',')); return p; })}>← Newer</button>
          <button type="button" disabled={!runs.data?.nextCursor} onClick={() => setParams((p) => { p.set('page', [...cursors, runs.data?.nextCursor ?? ''].join(',')); return p; })}>Older →</button>
        </div>
      </nav>
    </>
  );
}
