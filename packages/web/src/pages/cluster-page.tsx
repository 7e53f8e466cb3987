/** Queues with their lengths and limits (editable), and each node's CPUs, memory and GPUs in use, with the runs holding them. */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { NodeView, QueueView } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { formatBytes } from '../lib/format.js';
import { useTitle } from '../lib/use-title.js';

function Meter({ label, used, total, text }: { label: string; used: number; total: number; text: string }) {
  const pct = total > 0 ? Math.min(100, (100 * used) / total) : 0;
  return (
    <div style={{ marginBottom: 8 }}>
      <div className="between"><span>{label}</span><span className="muted">{text}</span></div>
      <div className="meter" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={used} aria-valuetext={text}>
        <span style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function QueueRow({ q }: { q: QueueView }) {
  const qc = useQueryClient();
  const [value, setValue] = useState(q.concurrency === null ? '' : String(q.concurrency));
  const save = useMutation({
    mutationFn: () => api.setQueue(q.name, value.trim() === '' ? null : Number(value)),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['cluster'] }),
  });
  return (
    <tr>
      <td>{q.name}</td>
      <td>{q.queued}</td>
      <td>{q.active}</td>
      <td>
        <form className="row" onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
          <label className="sr-only" htmlFor={`limit-${q.name}`}>Concurrency limit of {q.name}</label>
          <input id={`limit-${q.name}`} type="number" min={1} step={1} value={value} onChange={(e) => setValue(e.target.value)} placeholder="unlimited" style={{ width: 110 }} />
          <button type="submit" disabled={save.isPending}>Save</button>
          {save.error && <span className="error" role="alert">{errorText(save.error)}</span>}
        </form>
      </td>
    </tr>
  );
}

function NodeCard({ n }: { n: NodeView }) {
  const gpuUsed = new Set(n.used.gpus);
  return (
    <section className="card" aria-labelledby={`node-${n.name}`}>
      <div className="between">
        <h2 id={`node-${n.name}`} style={{ margin: 0 }}>{n.name}</h2>
        <span className={n.ready ? '' : 'error'}>{n.backend} · {n.ready ? 'ready' : 'not answering'}</span>
      </div>
      <Meter label="CPUs" used={n.used.cpus} total={n.capacity.cpus} text={`${n.used.cpus} / ${n.capacity.cpus}`} />
      <Meter label="Memory" used={n.used.memory} total={n.capacity.memory} text={`${formatBytes(n.used.memory)} / ${formatBytes(n.capacity.memory)}`} />
      <div>GPUs: {n.capacity.gpuIndices.length ? n.capacity.gpuIndices.map((i) => <span key={i} className="badge" data-status={gpuUsed.has(i) ? 'running' : 'queued'} style={{ marginRight: 4 }}>{i}{gpuUsed.has(i) ? ' in use' : ' free'}</span>) : 'none'}</div>
      <div style={{ marginTop: 8 }}>Runs: {n.runs.length ? n.runs.map((id) => <Link key={id} to={`/runs/${id}`} className="mono" style={{ marginRight: 8 }}>{id}</Link>) : <span className="muted">none</span>}</div>
    </section>
  );
}

export function ClusterPage() {
  const queues = useQuery({ queryKey: ['cluster', 'queues'], queryFn: () => api.queues(), refetchInterval: 10_000 });
  const nodes = useQuery({ queryKey: ['cluster', 'nodes'], queryFn: () => api.nodes(), refetchInterval: 10_000 });
  useTitle('Queues & nodes');
  return (
    <>
      <h1>Queues & nodes</h1>
      <h2>Queues</h2>
      {queues.error && <p className="error">{errorText(queues.error)}</p>}
      <table className="data" aria-label="Queues">
        <thead><tr><th scope="col">Queue</th><th scope="col">Queued</th><th scope="col">Active</th><th scope="col">Concurrency limit</th></tr></thead>
        <tbody>{queues.data?.items.map((q) => <QueueRow key={`${q.name}:${q.concurrency}`} q={q} />)}</tbody>
      </table>
      <h2>Nodes</h2>
      {nodes.error && <p className="error">{errorText(nodes.error)}</p>}
      <div className="grid">{nodes.data?.items.map((n) => <NodeCard key={n.name} n={n} />)}</div>
    </>
  );
}
