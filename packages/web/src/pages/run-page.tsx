/** One run: timeline, spec, live logs, metric charts, result, artifacts, attempts and actions. */
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { stringify as toYaml } from 'yaml';
import { TERMINAL, type RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { TabPanel, Tabs, useTab } from '../components/tabs.js';
import { LogViewer } from '../components/log-viewer.js';
import { MetricsPanel } from '../components/metrics-panel.js';
import { cliCommand, formatBytes, formatTime, runDuration } from '../lib/format.js';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'logs', label: 'Logs' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'result', label: 'Result' },
  { id: 'artifacts', label: 'Artifacts' },
  { id: 'spec', label: 'Spec' },
];

function Overview({ run }: { run: RunDetail }) {
  const events = useQuery({ queryKey: ['run', run.id, 'events', run.status, run.attempt], queryFn: () => api.events(run.id) });
  return (
    <div className="grid">
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
          <dt>Created</dt><dd>{formatTime(run.createdAt)}</dd>
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
      <section className="card" aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        {run.attempts.length ? (
          <table className="data">
            <thead><tr><th scope="col">#</th><th scope="col">Status</th><th scope="col">Node</th><th scope="col">GPUs</th><th scope="col">Exit</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {run.attempts.map((a) => (
                <tr key={a.attempt}>
                  <td>{a.attempt}</td><td><StatusBadge status={a.status} /></td><td>{a.node ?? '—'}</td>
                  <td>{a.gpus?.join(', ') || '—'}</td><td>{a.exitCode ?? '—'}</td><td>{runDuration(a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p className="muted">Not started yet.</p>}
      </section>
    </div>
  );
}

function Artifacts({ run }: { run: RunDetail }) {
  const [attempt, setAttempt] = useState(run.attempt);
  const [filter, setFilter] = useState('');
  const list = useQuery({ queryKey: ['run', run.id, 'artifacts', attempt, run.status], queryFn: () => api.artifacts(run.id, attempt || undefined), enabled: run.attempt > 0 });
  const items = (list.data?.items ?? []).filter((a) => a.path.toLowerCase().includes(filter.toLowerCase()));
  const href = (path: string) => `/api/v1/runs/${run.id}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}?attempt=${attempt}`;
  if (run.attempt === 0) return <p className="muted">No artifacts before the run starts.</p>;
  return (
    <>
      <div className="row" style={{ marginBottom: 8 }}>
        <label>Attempt
          <select value={attempt} onChange={(e) => setAttempt(Number(e.target.value))}>
            {run.attempts.map((a) => <option key={a.attempt} value={a.attempt}>{a.attempt}</option>)}
          </select>
        </label>
        <label>Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="path" /></label>
      </div>
      {list.error && <p className="error">{errorText(list.error)}</p>}
      {items.length ? (
        <table className="data" aria-label="Artifacts">
          <thead><tr><th scope="col">Path</th><th scope="col">Size</th></tr></thead>
          <tbody>{items.map((a) => <tr key={a.path}><td><a href={href(a.path)} download>{a.path}</a></td><td>{formatBytes(a.size)}</td></tr>)}</tbody>
        </table>
      ) : <p className="muted">{list.isPending ? 'Loading…' : 'No artifacts.'}</p>}
    </>
  );
}

export function RunPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [tab, setTab] = useTab(TABS.map((t) => t.id), 'overview');
  const [service, setService] = useState('');
  const [copied, setCopied] = useState('');
  const run = useQuery({ queryKey: ['run', id], queryFn: () => api.getRun(id), refetchInterval: (q) => (q.state.data && !TERMINAL.has(q.state.data.status) ? 5_000 : false) });
  const cancel = useMutation({ mutationFn: () => api.cancel(id), onSuccess: () => void run.refetch() });
  const rerun = useMutation({
    mutationFn: async (r: RunDetail) => (r.template ? api.runTemplate(r.template.name, r.spec, r.template.version) : api.submitAny(r.spec)),
    onSuccess: (s) => void navigate('id' in s ? `/runs/${s.id}` : `/groups/${s.groupId}`),
  });
  const specYaml = useMemo(() => (run.data ? toYaml(run.data.spec) : ''), [run.data]);
  if (run.error) return <p className="error" role="alert">{errorText(run.error)}</p>;
  if (!run.data) return <p className="muted">Loading…</p>;
  const r = run.data;
  const active = !TERMINAL.has(r.status);
  // Older servers answer without these fields.
  const services = r.services ?? [];
  const proxy = r.proxy ?? [];
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`${what} copied`);
    } catch {
      setCopied(`copy failed; the command is: ${text}`);
    }
  };

  return (
    <>
      <div className="between">
        <div>
          <h1>{r.name} <StatusBadge status={r.status} /></h1>
          <div className="muted mono">{r.id}</div>
        </div>
        <div className="row">
          {proxy.map((p) => (p.available
            ? <a key={p.port} className="button" href={p.path} target="_blank" rel="noopener">Open service :{p.port}</a>
            : <button key={p.port} type="button" disabled title="reachable while the run is active">Open service :{p.port}</button>))}
          <button type="button" onClick={() => void copy(cliCommand(r, specYaml), 'CLI command')}>Copy CLI command</button>
          <button type="button" onClick={() => rerun.mutate(r)} disabled={rerun.isPending}>Rerun</button>
          <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={!active || cancel.isPending}>Cancel</button>
        </div>
      </div>
      <p role="status" className="muted">{copied}</p>
      {(cancel.error ?? rerun.error) && <p className="error" role="alert">{errorText(cancel.error ?? rerun.error)}</p>}
      <Tabs tabs={TABS} current={tab} onChange={setTab} label="Run details" />
      <TabPanel id={tab}>
        {tab === 'overview' && <Overview run={r} />}
        {tab === 'logs' && (
          <>
            {services.length > 0 && (
              <label style={{ marginBottom: 8 }}>Service
                <select value={service} onChange={(e) => setService(e.target.value)}>
                  <option value="">main</option>
                  {services.map((s) => <option key={s} value={s}>{s}</option>)}
                </select>
              </label>
            )}
            <LogViewer key={`${r.attempt}-${active}-${service}`} runId={r.id} attempt={r.attempt} active={active} {...(service ? { service } : {})} />
          </>
        )}
        {tab === 'metrics' && <MetricsPanel runs={[r]} />}
        {tab === 'result' && (r.result === null ? <p className="muted">No result reported.</p> : <pre data-testid="result">{JSON.stringify(r.result, null, 2)}</pre>)}
        {tab === 'artifacts' && <Artifacts run={r} />}
        {tab === 'spec' && (
          <div className="grid">
            <section><h2>As submitted</h2><pre>{specYaml}</pre></section>
            <section><h2>As resolved</h2><pre>{toYaml(r.resolved)}</pre></section>
          </div>
        )}
      </TabPanel>
    </>
  );
}
