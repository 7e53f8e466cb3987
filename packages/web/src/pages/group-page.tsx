/** Groups: progress, counts, ETA, the results table (params × metrics) and a metric-against-param chart. */
import { useRef, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { GroupView } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { SweepPanel } from '../components/sweep-panel.js';
import { VirtualRows } from '../components/virtual-rows.js';
import { formatCount, formatDuration, formatTime, formatValue } from '../lib/format.js';
import { useObservedEta } from '../lib/eta.js';
import { useTitle } from '../lib/use-title.js';

export function ProgressBar({ g }: { g: GroupView }) {
  const c = g.counts;
  const pct = (n: number) => `${(100 * n) / Math.max(1, g.total)}%`;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={`${g.name} progress`}
      aria-valuemin={0}
      aria-valuemax={g.total}
      aria-valuenow={g.done}
      aria-valuetext={`${g.done} of ${g.total} done: ${c.succeeded} succeeded, ${c.failed} failed, ${c.canceled} canceled, ${c.running} running`}
    >
      <span className="ok" style={{ width: pct(c.succeeded) }} />
      <span className="bad" style={{ width: pct(c.failed) }} />
      <span className="idle" style={{ width: pct(c.canceled) }} />
      <span className="run" style={{ width: pct(c.running) }} />
    </div>
  );
}

export function GroupsPage() {
  const groups = useQuery({ queryKey: ['groups'], queryFn: () => api.listGroups() });
  useTitle('Groups');
  return (
    <>
      <h1>Groups</h1>
      {groups.error && <p className="error">{errorText(groups.error)}</p>}
      <table className="data" aria-label="Groups" style={{ marginTop: 12 }}>
        <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col" style={{ width: '30%' }}>Progress</th><th scope="col">Done</th><th scope="col">Created</th></tr></thead>
        <tbody>
          {groups.data?.items.map((g) => (
            <tr key={g.id}>
              <td><Link to={`/groups/${g.id}`}>{g.name}</Link> <span className="muted mono">{g.id}</span></td>
              <td><StatusBadge status={g.status} /></td>
              <td><ProgressBar g={g} /></td>
              <td>{formatCount(g.done)} / {formatCount(g.total)}</td>
              <td>{formatTime(g.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.data && !groups.data.items.length && <p className="muted">No groups yet: a spec with matrix or foreach makes one.</p>}
    </>
  );
}

export function GroupPage() {
  const { id = '' } = useParams();
  const scroller = useRef<HTMLDivElement>(null);
  const [sort, setSort] = useState<{ col: string; order: 'asc' | 'desc' }>();
  const group = useQuery({ queryKey: ['group', id], queryFn: () => api.getGroup(id), refetchInterval: (q) => (q.state.data?.status === 'running' ? 5_000 : false) });
  const results = useQuery({
    queryKey: ['group', id, 'results', sort, group.data?.done],
    queryFn: () => api.groupResults(id, sort ? { sort: sort.col, order: sort.order } : {}),
    enabled: group.isSuccess,
    placeholderData: (prev) => prev,
  });
  const cancel = useMutation({ mutationFn: () => api.cancelGroup(id), onSuccess: () => void group.refetch() });
  const rerun = useMutation({ mutationFn: () => api.rerunGroup(id), onSuccess: () => void group.refetch() });
  useTitle(group.data ? `${group.data.name} (group)` : 'Group');
  const eta = useObservedEta(group.data?.done, group.data?.total, group.data?.status === 'running');
  if (group.error) return <p className="error" role="alert">{errorText(group.error)}</p>;
  if (!group.data) return <p className="muted">Loading…</p>;
  const g = group.data;
  const failed = g.counts.failed;
  const columns = results.data?.columns ?? [];
  const rows = results.data?.rows ?? [];
  const sortBy = (col: string) => setSort((s) => ({ col, order: s?.col === col && s.order === 'asc' ? 'desc' : 'asc' }));
  return (
    <>
      <div className="between">
        <div>
          <h1>{g.name} <StatusBadge status={g.status} /></h1>
          <div className="muted mono">{g.id}</div>
        </div>
        <div className="row">
          <Link className="button" to={`/?group=${g.id}`}>Runs</Link>
          <button type="button" onClick={() => { if (window.confirm(`Run the ${failed} failed item(s) again?`)) rerun.mutate(); }} disabled={!failed || rerun.isPending}>Rerun failed ({failed})</button>
          <button type="button" className="danger" onClick={() => { if (window.confirm('Cancel every item not yet ended?')) cancel.mutate(); }} disabled={g.status !== 'running' || cancel.isPending}>Cancel all</button>
        </div>
      </div>
      {(cancel.error ?? rerun.error) && <p className="error" role="alert">{errorText(cancel.error ?? rerun.error)}</p>}
      <section className="card" style={{ marginTop: 12 }} aria-label="Progress">
        <ProgressBar g={g} />
        <p data-testid="group-counts">
          <strong>{formatCount(g.done)} / {formatCount(g.total)}</strong> done · {g.counts.succeeded} succeeded · {g.counts.failed} failed · {g.counts.canceled} canceled · {g.counts.running} running · {g.counts.queued} queued
          {g.status === 'running' && <> · <span data-testid="group-eta">ETA {eta === undefined ? 'estimating…' : formatDuration(eta * 1000)}</span></>}
          {g.maxParallel ? <span className="muted"> · at most {g.maxParallel} at once</span> : null}
        </p>
      </section>
      <h2>Results</h2>
      {results.error && <p className="error">{errorText(results.error)}</p>}
      <div className="scroll" style={{ maxHeight: '50vh' }} ref={scroller}>
        <table className="data" aria-label="Results" data-testid="results-table">
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c} scope="col" aria-sort={sort?.col === c ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="sort" onClick={() => sortBy(c)}>{c}{sort?.col === c ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}</button>
                </th>
              ))}
            </tr>
          </thead>
          <VirtualRows count={rows.length} scroller={scroller} rowHeight={35} columns={columns.length} row={(i) => {
            const row = rows[i] ?? {};
            return (
              <tr key={String(row.id ?? i)} style={{ height: 35 }}>
                {columns.map((c) => {
                  const v = row[c];
                  if (c === 'id' && typeof v === 'string') return <td key={c}><Link to={`/runs/${v}`}>{v}</Link></td>;
                  if (c === 'status' && typeof v === 'string') return <td key={c}><StatusBadge status={v} /></td>;
                  return <td key={c} className={typeof v === 'number' ? 'num' : undefined} title={typeof v === 'number' ? String(v) : undefined}>{formatValue(v)}</td>;
                })}
              </tr>
            );
          }} />
        </table>
      </div>
      <p className="muted">{formatCount(rows.length)} rows · <a href={`/api/v1/groups/${g.id}/results?format=csv${sort ? `&sort=${encodeURIComponent(sort.col)}&order=${sort.order}` : ''}`}>download as CSV</a></p>
      {results.data && <SweepPanel columns={columns} rows={results.data.rows} />}
    </>
  );
}
