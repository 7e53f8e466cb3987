/**
 * A sweep's charts, drawn as SVG so each item is one element carrying its values (and a test reads
 * the data, not pixels): a scatter of a metric against a param and parallel coordinates over every
 * param to the metric. The best item is highlighted; clicking an item selects it for comparison.
 */
import type { KeyboardEvent } from 'react';
import { formatNumber } from '../lib/format.js';
import { makeScale, type Scale } from '../lib/scale.js';

export interface SweepItem {
  id: string;
  label: string;
  values: Record<string, number | undefined>;
}

interface Common {
  items: SweepItem[];
  metric: string;
  bestId: string | undefined;
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
}

const W = 720;
const H = 320;
const M = { top: 16, right: 20, bottom: 44, left: 64 };

const keyToggle = (id: string, onToggle: (id: string) => void) => (e: KeyboardEvent) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    onToggle(id);
  }
};

function describe(item: SweepItem, keys: string[]): string {
  return `${item.label}: ${keys.map((k) => `${k} ${item.values[k] === undefined ? '—' : formatNumber(item.values[k])}`).join(', ')}`;
}

/** One point per item that has both values; the axes cover every one of them. */
export function SweepScatter({ items, metric, param, logX, logY, bestId, selected, onToggle }: Common & { param: string; logX: boolean; logY: boolean }) {
  const pts = items.filter((i) => i.values[param] !== undefined && i.values[metric] !== undefined);
  const sx = makeScale(pts.map((p) => p.values[param] ?? 0), { log: logX });
  const sy = makeScale(pts.map((p) => p.values[metric] ?? 0), { log: logY });
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const px = (v: number) => M.left + sx.at(v) * iw;
  const py = (v: number) => M.top + (1 - sy.at(v)) * ih;
  return (
    <svg className="sweep-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${metric} against ${param}: ${pts.length} items`} data-testid="sweep-scatter"
      data-x-domain={JSON.stringify(sx.domain)} data-y-domain={JSON.stringify(sy.domain)}>
      <Axes sx={sx} sy={sy} px={px} py={py} xLabel={param} yLabel={metric} />
      {pts.map((p) => {
        const best = p.id === bestId;
        const sel = selected.has(p.id);
        return (
          <circle key={p.id} data-testid="sweep-point" data-id={p.id} data-x={p.values[param]} data-y={p.values[metric]} data-best={best || undefined}
            className={`pt${best ? ' best' : ''}${sel ? ' sel' : ''}`} cx={px(p.values[param] ?? 0)} cy={py(p.values[metric] ?? 0)} r={best ? 7 : 5}
            tabIndex={0} role="button" aria-pressed={sel} aria-label={describe(p, [param, metric])}
            onClick={() => onToggle(p.id)} onKeyDown={keyToggle(p.id, onToggle)}>
            <title>{describe(p, [param, metric])}{best ? ' (best)' : ''}</title>
          </circle>
        );
      })}
    </svg>
  );
}

function Axes({ sx, sy, px, py, xLabel, yLabel }: { sx: Scale; sy: Scale; px: (v: number) => number; py: (v: number) => number; xLabel: string; yLabel: string }) {
  const bottom = H - M.bottom;
  return (
    <g className="axes">
      <line x1={M.left} x2={W - M.right} y1={bottom} y2={bottom} />
      <line x1={M.left} x2={M.left} y1={M.top} y2={bottom} />
      {sx.ticks.map((t) => (
        <g key={`x${t}`}><line className="grid" x1={px(t)} x2={px(t)} y1={M.top} y2={bottom} /><text x={px(t)} y={bottom + 16} textAnchor="middle">{formatNumber(t)}</text></g>
      ))}
      {sy.ticks.map((t) => (
        <g key={`y${t}`}><line className="grid" x1={M.left} x2={W - M.right} y1={py(t)} y2={py(t)} /><text x={M.left - 6} y={py(t) + 4} textAnchor="end">{formatNumber(t)}</text></g>
      ))}
      <text className="label" x={M.left + (W - M.left - M.right) / 2} y={H - 6} textAnchor="middle">{xLabel}{sx.log ? ' (log)' : ''}</text>
      <text className="label" transform={`translate(14 ${M.top + (bottom - M.top) / 2}) rotate(-90)`} textAnchor="middle">{yLabel}{sy.log ? ' (log)' : ''}</text>
    </g>
  );
}

/** One vertical axis per param and one for the metric; one line per item through its values. */
export function ParallelCoordinates({ items, metric, params, logAxes, bestId, better, selected, onToggle }: Common & { params: string[]; logAxes: ReadonlySet<string>; better: 'min' | 'max' }) {
  const axes = [...params, metric];
  const scales = new Map(axes.map((a) => [a, makeScale(items.flatMap((i) => (i.values[a] === undefined ? [] : [i.values[a]])), { log: logAxes.has(a) })]));
  const my = makeScale(items.flatMap((i) => (i.values[metric] === undefined ? [] : [i.values[metric]])));
  const left = 40;
  const right = 70;
  const step = axes.length > 1 ? (W - left - right) / (axes.length - 1) : 0;
  const ax = (k: number) => left + k * step;
  const ay = (a: string, v: number) => M.top + (1 - (scales.get(a)?.at(v) ?? 0)) * (H - M.top - M.bottom);
  const lines = items.filter((i) => axes.every((a) => i.values[a] !== undefined));
  // Better items are drawn stronger, so good regions of the param space stand out.
  const ordered = [...lines].sort((a, b) => Number(a.id === bestId || selected.has(a.id)) - Number(b.id === bestId || selected.has(b.id)));
  return (
    <svg className="sweep-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`parallel coordinates of ${params.join(', ')} to ${metric}: ${lines.length} items`} data-testid="sweep-parallel">
      {ordered.map((i) => {
        const best = i.id === bestId;
        const sel = selected.has(i.id);
        const d = axes.map((a, k) => `${k ? 'L' : 'M'}${ax(k).toFixed(1)},${ay(a, i.values[a] ?? 0).toFixed(1)}`).join(' ');
        const at = my.at(i.values[metric] ?? 0);
        const t = better === 'min' ? 1 - at : at;
        return (
          <path key={i.id} d={d} data-testid="sweep-line" data-id={i.id} data-values={JSON.stringify(axes.map((a) => i.values[a]))}
            className={`pc${best ? ' best' : ''}${sel ? ' sel' : ''}`} style={{ strokeOpacity: best || sel ? 1 : 0.25 + 0.6 * t }}
            tabIndex={0} role="button" aria-pressed={sel} aria-label={describe(i, axes)} onClick={() => onToggle(i.id)} onKeyDown={keyToggle(i.id, onToggle)}>
            <title>{describe(i, axes)}{best ? ' (best)' : ''}</title>
          </path>
        );
      })}
      {axes.map((a, k) => {
        const s = scales.get(a);
        return (
          <g key={a} className="axes">
            <line x1={ax(k)} x2={ax(k)} y1={M.top} y2={H - M.bottom} />
            {s?.ticks.map((t) => <text key={t} x={ax(k) + 4} y={ay(a, t) + 4}>{formatNumber(t)}</text>)}
            <text className="label" x={ax(k)} y={H - M.bottom + 18} textAnchor={k === 0 ? 'start' : k === axes.length - 1 ? 'end' : 'middle'}>{a}{s?.log ? ' (log)' : ''}</text>
          </g>
        );
      })}
    </svg>
  );
}
