/**
 * A uPlot chart (canvas, made for long time series): drag to zoom, double-click to reset. Colours come
 * from CSS so it reads in light and dark.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../lib/format.js';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#7c3aed', '#ea580c'];
export const seriesColor = (i: number): string => PALETTE[i % PALETTE.length] ?? '#2563eb';

export interface ChartSeries {
  label: string;
  /** Same length as x; null where the series has no point. */
  values: (number | null)[];
}

export interface ChartProps {
  x: number[];
  series: ChartSeries[];
  /** 'time': x is seconds since the epoch. */
  xKind: 'time' | 'number';
  xLabel: string;
  /** Points only, no lines (a scatter of a metric against a param). */
  points?: boolean;
  height?: number;
  title: string;
  /** Log scale on y (values ≤ 0 are not drawn). */
  logY?: boolean;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function Chart({ x, series, xKind, xLabel, points = false, height = 320, title, logY = false }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  // Axis colours are read from CSS when drawing: draw again when the system switches light/dark.
  const [scheme, setScheme] = useState(0);
  useEffect(() => {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setScheme((n) => n + 1);
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--fg-2', '#555');
    const grid = cssVar('--chart-grid', 'rgba(0,0,0,0.08)');
    const axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
    const opts: Options = {
      width: Math.max(300, el.clientWidth),
      height,
      title,
      scales: { x: { time: xKind === 'time' }, ...(logY ? { y: { distr: 3 } } : {}) },
      cursor: { drag: { x: true, y: false } },
      axes: [{ ...axis, label: xLabel }, { ...axis }],
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '—' : formatNumber(v)),
          stroke: seriesColor(i),
          width: 2,
          spanGaps: true,
          ...(points ? { paths: () => null, points: { show: true, size: 7, fill: seriesColor(i) } } : { points: { show: x.length < 60 } }),
        })),
      ],
    };
    const data = [x, ...series.map((s) => (logY ? s.values.map((v) => (v !== null && v > 0 ? v : null)) : s.values))] as AlignedData;
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, xKind, xLabel, points, height, title, scheme, logY]);
  return <div className="chart" ref={box} role="img" aria-label={`${title}: ${series.map((s) => s.label).join(', ')} against ${xLabel}`} />;
}

/** Aligns several (x, y) series on one sorted x axis, as uPlot wants. */
export function alignSeries(input: { label: string; points: { x: number; y: number }[] }[]): { x: number[]; series: ChartSeries[] } {
  const xs = [...new Set(input.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((v, i) => [v, i]));
  const series = input.map((s) => {
    const values: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    for (const p of s.points) values[index.get(p.x) ?? 0] = p.y;
    return { label: s.label, values };
  });
  return { x: xs, series };
}
