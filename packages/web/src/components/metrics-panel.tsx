/** Metrics of one or more runs as charts: pick metrics, step or time on x; drag to zoom. */
import { useMemo, useState } from 'react';
import { useQueries } from '@tanstack/react-query';
import { TERMINAL, type RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { Chart, alignSeries } from './chart.js';

type XAxis = 'step' | 'time' | 'elapsed';

export function MetricsPanel({ runs }: { runs: RunDetail[] }) {
  const active = runs.some((r) => !TERMINAL.has(r.status));
  const results = useQueries({
    queries: runs.map((r) => ({
      queryKey: ['run', r.id, 'metrics'],
      queryFn: () => api.metrics(r.id),
      refetchInterval: active ? 3_000 : (false as const),
    })),
  });
  const names = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const [chosen, setChosen] = useState<string[] | undefined>();
  const [xAxis, setXAxis] = useState<XAxis>('step');
  const selected = chosen ?? names.slice(0, runs.length > 1 ? 1 : 4);
  const dataKey = results.map((r) => r.dataUpdatedAt).join(',');
  const runsKey = runs.map((r) => r.id).join(',');

  const chart = useMemo(() => {
    const input = runs.flatMap((run, i) => {
      const items = results[i]?.data?.items ?? [];
      const t0 = items.length ? Date.parse(items[0]?.ts ?? '') : 0;
      return selected.map((name) => ({
        label: runs.length > 1 ? `${run.name} ${run.id.slice(-6)} · ${name}` : name,
        points: items.filter((p) => p.name === name).map((p, k) => ({
          x: xAxis === 'step' ? (p.step ?? k) : xAxis === 'time' ? Date.parse(p.ts) / 1000 : (Date.parse(p.ts) - t0) / 1000,
          y: p.value,
        })),
      }));
    });
    return alignSeries(input);
    // dataKey stands for the fetched points.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dataKey, runsKey, selected.join('\u0000'), xAxis]);

  const error = results.find((r) => r.error)?.error;
  if (!names.length) return <p className="muted">No metrics reported{active ? ' yet' : ''}.</p>;
  const toggle = (n: string) => setChosen(selected.includes(n) ? selected.filter((s) => s !== n) : [...selected, n]);
  return (
    <section aria-label="Metrics">
      <fieldset className="row" style={{ border: 0, padding: 0, margin: '0 0 8px' }}>
        <legend className="sr-only">Metrics to chart</legend>
        {names.map((n) => (
          <label key={n} className="inline"><input type="checkbox" checked={selected.includes(n)} onChange={() => toggle(n)} /> {n}</label>
        ))}
        <label>X axis
          <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)}>
            <option value="step">step</option>
            <option value="time">time</option>
            <option value="elapsed">seconds since first point</option>
          </select>
        </label>
      </fieldset>
      {error && <p className="error">{errorText(error)}</p>}
      <div data-testid="metric-chart">
        {chart.x.length ? <Chart x={chart.x} series={chart.series} xKind={xAxis === 'time' ? 'time' : 'number'} xLabel={xAxis} title={selected.join(', ')} /> : <p className="muted">Loading…</p>}
      </div>
      <p className="muted">Drag across the chart to zoom in; double-click to zoom out.</p>
    </section>
  );
}
