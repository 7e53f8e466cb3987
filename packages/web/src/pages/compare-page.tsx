/** Two to ten runs side by side: spec diff, metrics overlaid, result fields. */
import { useState } from 'react';
import { useQueries } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import type { RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { StatusBadge } from '../components/status-badge.js';
import { MetricsPanel } from '../components/metrics-panel.js';
import { compareFlat, formatNumber } from '../lib/format.js';

/** A flattened value that is a JSON number (shown in the UI's number format, the full value on hover). */
const NUMERIC = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;
import { useTitle } from '../lib/use-title.js';

function Table({ label, runs, rows }: { label: string; runs: RunDetail[]; rows: ReturnType<typeof compareFlat> }) {
  return (
    <div className="scroll">
      <table className="data" aria-label={label}>
        <thead>
          <tr><th scope="col">Field</th>{runs.map((r) => <th key={r.id} scope="col">{r.name} <span className="muted mono">{r.id.slice(-6)}</span></th>)}</tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.path} className={row.differs ? 'diff' : ''}>
              <th scope="row" className="mono">{row.path}{row.differs ? <span className="sr-only"> (differs)</span> : null}</th>
              {row.values.map((v, i) => <td key={runs[i]?.id ?? i} className="mono" title={v}>{v === undefined ? '—' : NUMERIC.test(v) ? formatNumber(Number(v)) : v}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const ids = (params.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean).slice(0, 10);
  const [draft, setDraft] = useState(ids.join(', '));
  const [onlyDiff, setOnlyDiff] = useState(true);
  useTitle(ids.length ? `Compare ${ids.length} runs` : 'Compare');
  const queries = useQueries({ queries: ids.map((id) => ({ queryKey: ['run', id], queryFn: () => api.getRun(id) })) });
  const runs = queries.flatMap((q) => (q.data ? [q.data] : []));
  const error = queries.find((q) => q.error)?.error;
  const specRows = compareFlat(runs.map((r) => r.spec)).filter((r) => !onlyDiff || r.differs);
  const resultRows = compareFlat(runs.map((r) => (r.result && typeof r.result === 'object' ? r.result : { result: r.result })));
  return (
    <>
      <h1>Compare runs</h1>
      <form className="row" style={{ margin: '12px 0' }} onSubmit={(e) => { e.preventDefault(); setParams({ ids: draft.split(/[\s,]+/).filter(Boolean).join(',') }); }}>
        <label style={{ flex: 1 }}>Run ids (2 to 10, comma-separated)
          <input value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <button type="submit">Compare</button>
      </form>
      {ids.length < 2 && <p className="muted">Pick two to ten runs here, or select them on the Runs page and press Compare.</p>}
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      {runs.length >= 2 && (
        <>
          <div className="row">
            {runs.map((r) => <span key={r.id}><Link to={`/runs/${r.id}`}>{r.name}</Link> <StatusBadge status={r.status} /></span>)}
          </div>
          <div className="between"><h2>Spec</h2><label className="inline"><input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only differences</label></div>
          {specRows.length ? <Table label="Spec differences" runs={runs} rows={specRows} /> : <p className="muted">The specs are the same.</p>}
          <h2>Metrics</h2>
          <MetricsPanel runs={runs} />
          <h2>Result</h2>
          <Table label="Result fields" runs={runs} rows={resultRows} />
        </>
      )}
    </>
  );
}
