/**
 * Metrics of one or more runs, one chart per metric (each on its own y axis) with the runs overlaid,
 * a legend and values on hover. Log scale, EMA smoothing and x by step, time or time since the run's
 * first point. Each series is read downsampled on the server, so a million-point metric stays fast.
 */
import { useMemo, useState } from 'react';
import { useQueries } from '@tanstack/react-query';
import { TERMINAL, type RunDetail } from '@regatta/sdk/client';
import { api, errorText } from '../api.js';
import { Chart, alignSeries } from './chart.js';
import { ema } from '../lib/smooth.js';
import { formatCount } from '../lib/format.js';

type XAxis = 'step' | 'time' | 'elapsed';
const MAX_POINTS = 2000;

interface Point { value: number; step?: number; ts: string }

function MetricChart({ name, runs, series, dataKey, xAxis, logY, smoothing }: {
  name: string; runs: RunDetail[]; series: ({ items: Point[]; total: number; downsampled: boolean } | undefined)[];
  /** Changes when any series' data does (the array itself is new on each render). */
  dataKey: string; xAxis: XAxis; logY: boolean; smoothing: number;
}) {
  const runsKey = runs.map((r) => `${r.id}:${r.name}`).join(',');
  const chart = useMemo(() => {
    const input = runs.map((run, i) => {
      const items = series[i]?.items ?? [];
      const t0 = items.length ? Date.parse(items[0]?.ts ?? '') : 0;
      return {
        label: runs.length > 1 ? `${run.name} ${run.id.slice(-6)}` : name,
        points: items.map((p, k) => ({
          x: xAxis === 'step' ? (p.step ?? k) : xAxis === 'time' ? Date.parse(p.ts) / 1000 : (Date.parse(p.ts) - t0) / 1000,
          y: p.value,
        })),
      };
    });
    const aligned = alignSeries(input);
    return { x: aligned.x, series: aligned.series.map((s) => ({ ...s, values: ema(s.values, smoothing) })) };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [runsKey, dataKey, xAxis, name, smoothing]);
  const total = series.reduce((n, s) => n + (s?.total ?? 0), 0);
  const shown = series.reduce((n, s) => n + (s?.items.length ?? 0), 0);
  const summary = runs.map((r, i) => ({ run: r.id, points: series[i]?.items.length ?? 0, total: series[i]?.total ?? 0, last: series[i]?.items.at(-1)?.value ?? null }));
  return (
    <div className="card metric-card" data-testid="metric-chart" data-metric={name} data-series={JSON.stringify(summary)}>
      <div className="between">
        <h3>{name}</h3>
        <span className="muted" data-testid="metric-points">
          {series.some((s) => s?.downsampled) ? `${formatCount(shown)} of ${formatCount(total)} points (downsampled)` : `${formatCount(total)} points`}
        </span>
      </div>
      {chart.x.length
        ? <Chart x={chart.x} series={chart.series} xKind={xAxis === 'time' ? 'time' : 'number'} xLabel={xAxis === 'elapsed' ? 'seconds' : xAxis} title="" logY={logY} height={260} />
        : <p className="muted">{series.every(Boolean) ? 'No points.' : 'Loading…'}</p>}
    </div>
  );
}

export function MetricsPanel({ runs }: { runs: RunDetail[] }) {
  const active = runs.some((r) => !TERMINAL.has(r.status));
  const names = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [xAxis, setXAxis] = useState<XAxis>('step');
  const [logY, setLogY] = useState(false);
  const [smoothing, setSmoothing] = useState(0);
  const shown = names.filter((n) => !hidden.has(n));
  const pairs = shown.flatMap((name) => runs.map((run) => ({ name, run })));
  const results = useQueries({
    queries: pairs.map(({ name, run }) => ({
      queryKey: ['run', run.id, 'metric', name, run.metrics[name]?.count ?? 0],
      queryFn: () => api.metricSeries(run.id, name, MAX_POINTS),
      enabled: run.metrics[name] !== undefined,
      refetchInterval: active ? 3_000 : (false as const),
    })),
  });
  const error = results.find((r) => r.error)?.error;
  if (!names.length) return <p className="muted">No metrics reported{active ? ' yet' : ''}.</p>;
  const toggle = (n: string) => setHidden((h) => {
    const s = new Set(h);
    if (s.has(n)) s.delete(n);
    else s.add(n);
    return s;
  });
  return (
    <section aria-label="Metrics">
      <fieldset className="row toolbar">
        <legend className="sr-only">Metrics to chart</legend>
        {names.map((n) => (
          <label key={n} className="inline"><input type="checkbox" checked={!hidden.has(n)} onChange={() => toggle(n)} /> {n}</label>
        ))}
        <label>X axis
          <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)}>
            <option value="step">step</option>
            <option value="time">time</option>
            <option value="elapsed">relative time (s)</option>
          </select>
        </label>
        <label className="inline"><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log y</label>
        <label>Smoothing {smoothing.toFixed(2)}
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-label="Smoothing (EMA weight)" />
        </label>
      </fieldset>
      {error && <p className="error">{errorText(error)}</p>}
      <div className="grid wide">
        {shown.map((name, k) => (
          <MetricChart key={name} name={name} runs={runs} xAxis={xAxis} logY={logY} smoothing={smoothing}
            series={runs.map((_, i) => results[k * runs.length + i]?.data)}
            dataKey={runs.map((_, i) => results[k * runs.length + i]?.dataUpdatedAt ?? 0).join(',')} />
        ))}
      </div>
      <p className="muted">Hover for values; drag across a chart to zoom in, double-click to zoom out.</p>
    </section>
  );
}
