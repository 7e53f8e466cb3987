/** One run: timeline, spec, live logs, metric charts, result, artifacts, attempts and actions. */
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { stringify as toYaml } from 'yaml';
import { TERMINAL, type RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { FilePreview } from '../components/file-preview.js';
import { RunOverview } from '../components/run-overview.js';
import { useTitle } from '../lib/use-title.js';
import { TabPanel, Tabs, useTab } from '../components/tabs.js';
import { LogViewer } from '../components/log-viewer.js';
import { MetricsPanel } from '../components/metrics-panel.js';
import { cliCommand, formatBytes } from '../lib/format.js';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'logs', label: 'Logs' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'result', label: 'Result' },
  { id: 'artifacts', label: 'Artifacts' },
  { id: 'spec', label: 'Spec' },
];

function Artifacts({ run }: { run: RunDetail }) {
  const [attempt, setAttempt] = useState(run.attempt);
  const [filter, setFilter] = useState('');
  const [picked, setPicked] = useState<string>();
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
          <thead><tr><th scope="col">Path</th><th scope="col">Size</th><th scope="col"><span className="sr-only">Download</span></th></tr></thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.path} className={picked === a.path ? 'picked' : undefined}>
                <td><button type="button" className="link" aria-pressed={picked === a.path} onClick={() => setPicked(a.path)}>{a.path}</button></td>
                <td>{formatBytes(a.size)}</td>
                <td><a href={href(a.path)} download aria-label={`Download ${a.path}`}>Download</a></td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p className="muted">{list.isPending ? 'Loading…' : 'No artifacts.'}</p>}
      {(() => {
        const a = items.find((x) => x.path === picked);
        return a ? <FilePreview key={`${attempt}/${a.path}`} url={href(a.path)} path={a.path} size={a.size} /> : <p className="muted">Pick a file to preview it.</p>;
      })()}
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
  useTitle(run.data ? `${run.data.name} ${run.data.id.slice(-6)} (${run.data.status})` : 'Run');
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
          <button type="button" onClick={() => { if (window.confirm(`Submit ${r.name} again as a new run?`)) rerun.mutate(r); }} disabled={rerun.isPending}>Rerun</button>
          <button type="button" className="danger" onClick={() => { if (window.confirm(`Cancel ${r.name} (${r.id})?`)) cancel.mutate(); }} disabled={!active || cancel.isPending}>Cancel</button>
        </div>
      </div>
      <p role="status" className="muted">{copied}</p>
      {(cancel.error ?? rerun.error) && <p className="error" role="alert">{errorText(cancel.error ?? rerun.error)}</p>}
      <Tabs tabs={TABS} current={tab} onChange={setTab} label="Run details" />
      <TabPanel id={tab}>
        {tab === 'overview' && <RunOverview run={r} />}
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
