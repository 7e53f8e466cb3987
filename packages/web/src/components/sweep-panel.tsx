/** A sweep's results as charts: metric against param, parallel coordinates, the best item, select to compare. */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { formatNumber } from '../lib/format.js';
import { betterDirection, prefersLog } from '../lib/scale.js';
import { ParallelCoordinates, SweepScatter, type SweepItem } from './sweep-charts.js';

/** Items of a results table (one row per item) with their numeric columns. */
export function sweepItems(rows: readonly Record<string, unknown>[]): SweepItem[] {
  return rows.flatMap((r) => {
    if (typeof r.id !== 'string') return [];
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(r)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
    return [{ id: r.id, label: typeof r.item === 'string' ? r.item : r.id, values }];
  });
}

/** The item with the best value of a metric (lowest or highest). */
export function bestItem(items: readonly SweepItem[], metric: string, dir: 'min' | 'max'): SweepItem | undefined {
  let best: SweepItem | undefined;
  for (const i of items) {
    const v = i.values[metric];
    if (v === undefined) continue;
    const b = best?.values[metric];
    if (b === undefined || (dir === 'min' ? v < b : v > b)) best = i;
  }
  return best;
}

export function SweepPanel({ columns, rows }: { columns: string[]; rows: Record<string, unknown>[] }) {
  const items = useMemo(() => sweepItems(rows), [rows]);
  const numeric = (c: string) => items.some((i) => i.values[c] !== undefined);
  const params = columns.filter((c) => c.startsWith('params.') && numeric(c));
  const metrics = columns.filter((c) => (c.startsWith('metrics.') || c.startsWith('result.')) && numeric(c));
  const [x, setX] = useState<string>();
  const [y, setY] = useState<string>();
  const [dirPick, setDir] = useState<'min' | 'max'>();
  const [logPick, setLog] = useState<Record<string, boolean>>({});
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const xc = x && params.includes(x) ? x : params[0];
  const yc = y && metrics.includes(y) ? y : metrics[0];
  if (!xc || !yc) return null;
  const dir = dirPick ?? betterDirection(yc);
  const best = bestItem(items, yc, dir);
  const isLog = (c: string) => logPick[c] ?? prefersLog(items.flatMap((i) => (i.values[c] === undefined ? [] : [i.values[c]])));
  const toggle = (id: string) => setSelected((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const logParams = new Set(params.filter(isLog));
  return (
    <section aria-labelledby="sweep-h">
      <h2 id="sweep-h">Sweep</h2>
      <div className="row">
        <label>Metric<select value={yc} onChange={(e) => setY(e.target.value)}>{metrics.map((m) => <option key={m}>{m}</option>)}</select></label>
        <label>Best is<select value={dir} onChange={(e) => setDir(e.target.value === 'max' ? 'max' : 'min')}><option value="min">lowest</option><option value="max">highest</option></select></label>
        <label>Param (x)<select value={xc} onChange={(e) => setX(e.target.value)}>{params.map((m) => <option key={m}>{m}</option>)}</select></label>
        <label className="inline"><input type="checkbox" checked={isLog(xc)} onChange={(e) => setLog((l) => ({ ...l, [xc]: e.target.checked }))} /> log x</label>
        <label className="inline"><input type="checkbox" checked={isLog(yc)} onChange={(e) => setLog((l) => ({ ...l, [yc]: e.target.checked }))} /> log y</label>
      </div>
      {best && (
        <p data-testid="sweep-best">
          Best {yc}: <strong>{formatNumber(best.values[yc] ?? 0)}</strong> at <Link to={`/runs/${best.id}`}>{best.label}</Link>
          {' '}({params.map((p) => `${p.slice(7)}=${best.values[p] === undefined ? '—' : formatNumber(best.values[p])}`).join(', ')})
        </p>
      )}
      <div className="grid wide">
        <div className="card">
          <h3>{yc} against {xc}</h3>
          <SweepScatter items={items} metric={yc} param={xc} logX={isLog(xc)} logY={isLog(yc)} bestId={best?.id} selected={selected} onToggle={toggle} />
        </div>
        <div className="card">
          <h3>Parallel coordinates</h3>
          <ParallelCoordinates items={items} metric={yc} params={params} logAxes={logParams} bestId={best?.id} better={dir} selected={selected} onToggle={toggle} />
        </div>
      </div>
      <div className="row" style={{ marginTop: 8 }}>
        <span className="muted">Click points or lines to select items{selected.size ? `: ${selected.size} selected` : ''}.</span>
        <Link className={`button${selected.size < 2 || selected.size > 10 ? ' disabled' : ''}`} aria-disabled={selected.size < 2 || selected.size > 10}
          to={selected.size >= 2 && selected.size <= 10 ? `/compare?ids=${[...selected].join(',')}` : '#'}>Compare selected ({selected.size})</Link>
        {selected.size > 0 && <button type="button" onClick={() => setSelected(new Set())}>Clear</button>}
      </div>
    </section>
  );
}
