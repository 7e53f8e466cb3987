/** A run's overview: facts, why it failed (reason and last log lines) or what it waits for, timeline, attempts. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from './status-badge.js';
import { formatTime, runDuration } from '../lib/format.js';
import { waitReason } from '../lib/wait-reason.js';

const FAILED = new Set(['failed', 'timed_out', 'lost']);
const TAIL_BYTES = 4096;
const TAIL_LINES = 20;

function FailureCard({ run }: { run: RunDetail }) {
  const tail = useQuery({
    queryKey: ['run', run.id, 'tail', run.attempt],
    queryFn: async () => {
      const r = await api.logRange(run.id, { offset: -TAIL_BYTES, limit: TAIL_BYTES, attempt: run.attempt });
      const lines = new TextDecoder().decode(r.bytes).split('\n');
      if (r.offset > 0) lines.shift(); // cut mid-line
      while (lines.length && !lines[lines.length - 1]) lines.pop();
      return lines.slice(-TAIL_LINES);
    },
  });
  const last = run.attempts[run.attempts.length - 1];
  const reason = run.reason ?? last?.reason ?? 'no reason recorded';
  return (
    <section className="card failure wide" aria-labelledby="failure-h" data-testid="failure">
      <h2 id="failure-h">Why it {run.status === 'timed_out' ? 'timed out' : run.status === 'lost' ? 'was lost' : 'failed'}</h2>
      <p>
        <strong>{reason}</strong>
        {run.exitCode !== undefined && reason !== `exit code ${run.exitCode}` && <span className="muted"> · exit code {run.exitCode}</span>}
        {run.attempts.length > 1 && <span className="muted"> · after {run.attempts.length} attempts</span>}
      </p>
      <h3>Last lines of the log</h3>
      {tail.error && <p className="error">{errorText(tail.error)}</p>}
      {tail.data && (tail.data.length ? <pre data-testid="log-tail">{tail.data.join('\n')}</pre> : <p className="muted">The log is empty.</p>)}
      <p className="muted"><Link to="?tab=logs">Whole log</Link></p>
    </section>
  );
}

function WaitingCard({ run }: { run: RunDetail }) {
  const why = useQuery({
    queryKey: ['run', run.id, 'waits', run.queuePosition],
    queryFn: async () => {
      const [queues, nodes] = await Promise.all([api.queues(), api.nodes()]);
      return waitReason(run, queues.items, nodes.items);
    },
    refetchInterval: 5_000,
  });
  return (
    <section className="card wide" aria-labelledby="waiting-h">
      <h2 id="waiting-h">Waiting to start</h2>
      <p data-testid="wait-reason">{why.data ?? (why.error ? errorText(why.error) : 'Loading…')}</p>
    </section>
  );
}

export function RunOverview({ run }: { run: RunDetail }) {
  const events = useQuery({ queryKey: ['run', run.id, 'events', run.status, run.attempt], queryFn: () => api.events(run.id) });
  return (
    <div className="grid">
      {FAILED.has(run.status) && <FailureCard run={run} />}
      {run.status === 'queued' && <WaitingCard run={run} />}
      <section className="card" aria-labelledby="facts-h">
        <h2 id="facts-h">Run</h2>
        <dl className="facts">
          <dt>Status</dt><dd><StatusBadge status={run.status} />{run.reason ? <span className="muted"> {run.reason}</span> : null}</dd>
          {run.health && <><dt>Health</dt><dd className={run.health === 'healthy' ? '' : 'error'}>{run.health}</dd></>}
          {(run.services ?? []).length > 0 && <><dt>Services</dt><dd>{run.services.join(', ')}</dd></>}
          {run.queuePosition !== undefined && <><dt>Queue position</dt><dd>{run.queuePosition + 1}</dd></>}
          <dt>Queue</dt><dd>{run.queue} (priority {run.priority})</dd>
          <dt>Node</dt><dd>{run.node ?? '—'}</dd>
          <dt>GPUs</dt><dd>{run.gpus?.length ? run.gpus.join(', ') : 'none'}</dd>
          <dt>Exit code</dt><dd>{run.exitCode ?? '—'}</dd>
          <dt>Created</dt><dd>{formatTime(run.createdAt)}{run.createdBy ? ` by ${run.createdBy}` : ''}</dd>
          <dt>Duration</dt><dd>{runDuration(run)}</dd>
          {run.groupId && <><dt>Group</dt><dd><Link to={`/groups/${run.groupId}`}>{run.groupId}</Link> item {run.item}</dd></>}
          {run.template && <><dt>Template</dt><dd><Link to={`/templates/${encodeURIComponent(run.template.name)}`}>{run.template.name}</Link> v{run.template.version}</dd></>}
          {Object.keys(run.labels).length > 0 && <><dt>Labels</dt><dd>{Object.entries(run.labels).map(([k, v]) => `${k}=${v}`).join(', ')}</dd></>}
        </dl>
      </section>
      <section className="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <ol className="timeline" data-testid="timeline">
          {events.data?.items.map((e) => (
            <li key={e.id}>
              <StatusBadge status={e.to} /> <span className="muted">{formatTime(e.ts)}{e.attempt ? ` · attempt ${e.attempt}` : ''}</span>
              {e.reason && <div className="muted">{e.reason}</div>}
            </li>
          ))}
        </ol>
      </section>
      <section className="card wide" aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        {run.attempts.length ? (
          <div className="scroll">
            <table className="data" aria-label="Attempts">
              <thead><tr><th scope="col">#</th><th scope="col">Status</th><th scope="col">Node</th><th scope="col">GPUs</th><th scope="col">Exit</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Reason</th></tr></thead>
              <tbody>
                {run.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <td>{a.attempt}</td><td><StatusBadge status={a.status} /></td><td>{a.node ?? '—'}</td>
                    <td>{a.gpus?.join(', ') || '—'}</td><td>{a.exitCode ?? '—'}</td><td>{formatTime(a.startedAt)}</td><td>{runDuration(a)}</td>
                    <td className="wrap">{a.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : <p className="muted">Not started yet.</p>}
      </section>
    </div>
  );
}
