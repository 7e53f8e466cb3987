/**
 * Runs: a live table over any number of runs, with columns for any param, result field or metric
 * summary. The whole view (filters, field conditions, columns, sort, page) lives in the URL, so it can
 * be shared; sorting and filtering happen on the server. Newest-first pages come by cursor (the
 * 100,000th run costs what the first does), sorted ones by offset; rows are virtualised.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { TERMINAL, type ListRunsQuery, type RunStatus } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { VirtualRows } from '../components/virtual-rows.js';
import { ColumnPicker, FieldFilters } from '../components/column-picker.js';
import { formatCount, formatTime, formatValue, runDuration } from '../lib/format.js';
import { useTitle } from '../lib/use-title.js';

const STATUSES: RunStatus[] = ['queued', 'starting', 'building', 'running', 'cleanup', 'succeeded', 'failed', 'canceled', 'timed_out', 'lost'];
const FILTERS = ['status', 'queue', 'label', 'group', 'template', 'q', 'user'] as const;
const ROW = 37;

/** A header that sorts by `key` on the server: ascending, then descending. */
function SortHeader({ label, sortKey, sort, onSort }: { label: string; sortKey: string; sort: string; onSort: (s: string | undefined) => void }) {
  const state = sort === sortKey ? 'ascending' : sort === `-${sortKey}` ? 'descending' : 'none';
  const next = state === 'ascending' ? `-${sortKey}` : state === 'descending' ? undefined : sortKey;
  return (
    <th scope="col" aria-sort={state}>
      <button type="button" className="sort" onClick={() => onSort(next)} title={`Sort by ${label}`}>{label}{state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : ''}</button>
    </th>
  );
}

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
  const sort = params.get('sort') ?? '';
  const offset = Number(params.get('offset') ?? 0) || 0;
  const fieldFilters = params.getAll('filter');
  const cols = (params.get('cols') ?? '').split(',').filter(Boolean);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useTitle('Runs');

  const setParam = (k: string, v: string | string[] | undefined) => setParams((p) => {
    p.delete(k);
    for (const x of [v ?? []].flat()) if (x) p.append(k, x);
    p.delete('page');
    p.delete('offset');
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
  const view: ListRunsQuery = {
    ...filter,
    ...(fieldFilters.length ? { filter: fieldFilters } : {}),
    ...(cols.length ? { fields: cols.join(',') } : {}),
    ...(sort ? { sort, offset } : cursor ? { cursor } : {}),
  };
  const runs = useQuery({
    queryKey: ['runs', view, limit],
    queryFn: () => api.listRuns({ ...view, limit, total: true }),
    placeholderData: keepPreviousData,
  });
  const me = useQuery({ queryKey: ['session'], queryFn: () => api.session(), staleTime: 60_000 });
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
  const first = sort ? offset : cursors.length * limit;
  const hasOlder = sort ? Boolean(runs.data?.nextOffset) : Boolean(runs.data?.nextCursor);
  const hasNewer = sort ? offset > 0 : cursors.length > 0;
  const pageTo = (dir: 1 | -1) => setParams((p) => {
    if (sort) p.set('offset', String(Math.max(0, offset + dir * limit)));
    else p.set('page', (dir > 0 ? [...cursors, runs.data?.nextCursor ?? ''] : cursors.slice(0, -1)).join(','));
    return p;
  });
  const onSort = (s: string | undefined) => setParam('sort', s);
  const columnCount = 9 + cols.length;

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
          Submitted by
          <input key={params.get('user') ?? ''} defaultValue={params.get('user') ?? ''} onBlur={(e) => setParam('user', e.target.value.trim())} placeholder="anyone" size={10} />
        </label>
        {me.data?.user && (
          <button type="button" aria-pressed={params.get('user') === me.data.user} onClick={() => setParam('user', params.get('user') === me.data.user ? undefined : me.data.user ?? undefined)}>
            Mine
          </button>
        )}
        <label>
          Per page
          <select value={limit} onChange={(e) => setParam('limit', e.target.value)}>
            {[50, 100, 500].map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <ColumnPicker {...(params.get('group') ? { group: params.get('group') ?? '' } : {})} chosen={cols} onChange={(c) => setParam('cols', c.length ? c.join(',') : undefined)} />
      </form>
      <FieldFilters filters={fieldFilters} onChange={(f) => setParam('filter', f)} />
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
              <SortHeader label="Status" sortKey="status" sort={sort} onSort={onSort} />
              <SortHeader label="Name" sortKey="name" sort={sort} onSort={onSort} />
              <th scope="col">Id</th>
              <SortHeader label="Queue" sortKey="queue" sort={sort} onSort={onSort} />
              <th scope="col">Node</th>
              <th scope="col">From</th>
              <SortHeader label="Created" sortKey="created" sort={sort} onSort={onSort} />
              <SortHeader label="Duration" sortKey="duration" sort={sort} onSort={onSort} />
              {cols.map((c) => <SortHeader key={c} label={c} sortKey={c} sort={sort} onSort={onSort} />)}
            </tr>
          </thead>
          <VirtualRows count={items.length} scroller={scroller} rowHeight={ROW} columns={columnCount} row={(i) => {
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
                  {r.groupId ? <Link to={`/groups/${r.groupId}`} title={`group ${r.groupId}`}>{r.groupName ?? 'group'}</Link> : null}
                  {r.template ? <Link to={`/templates/${encodeURIComponent(r.template.name)}`}> {r.template.name}@{r.template.version}</Link> : null}
                  {!r.groupId && !r.template ? '—' : null}
                </td>
                <td>{formatTime(r.createdAt)}</td>
                <td>{runDuration(r)}</td>
                {cols.map((c) => {
                  const v = r.fields?.[c];
                  return <td key={c} className={typeof v === 'number' ? 'num' : undefined} data-field={c} title={v === null || v === undefined ? undefined : String(v)}>{formatValue(v)}</td>;
                })}
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
          <button type="button" disabled={!hasNewer} onClick={() => pageTo(-1)}>{sort ? '← Previous' : '← Newer'}</button>
          <button type="button" disabled={!hasOlder} onClick={() => pageTo(1)}>{sort ? 'Next →' : 'Older →'}</button>
        </div>
      </nav>
    </>
  );
}
