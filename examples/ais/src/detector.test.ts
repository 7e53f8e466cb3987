import { describe, expect, it } from 'vitest';
import { binomialTails, contrarioDetect } from './contrario.js';
import { detectTracks, trainFromTracks } from './batch.js';
import { quality } from './evaluate.js';
import { generateMessages } from './generator.js';
import { preprocessTrack, resample } from './preprocess.js';
import { buildTracks, type TrackPoint } from './track.js';

const pt = (ts: number, o: Partial<TrackPoint> = {}): TrackPoint => ({ lat: 48, lon: -5, sog: 10, cog: 90, heading: 90, rot: 0, navStatus: 0, ts, mmsi: 1, ...o });
const every = (n: number, step: number, o: Partial<TrackPoint> = {}) => Array.from({ length: n }, (_, i) => pt(i * step, o));

describe('preprocessing (as MultitaskAIS)', () => {
  it('rejects short, brief, moored and static tracks, with the reason', () => {
    expect(preprocessTrack(every(19, 1200))).toEqual({ ok: false, reason: 'fewer than 20 points' });
    expect(preprocessTrack(every(40, 300))).toEqual({ ok: false, reason: 'shorter than 4 hours' }); // 3 h 15
    expect(preprocessTrack(every(60, 600, { navStatus: 5 }))).toEqual({ ok: false, reason: 'mostly moored or at anchor' });
    expect(preprocessTrack(every(60, 600, { sog: 0.9 }))).toEqual({ ok: false, reason: 'never faster than 1 knot' });
  });

  it('cuts at the first gap of more than two hours, resamples every 5 minutes and keeps one day', () => {
    const gap = [...every(30, 600), ...every(30, 600).map((p) => ({ ...p, ts: p.ts + 30 * 600 + 7201 }))];
    const r = preprocessTrack(gap);
    expect(r.ok && r.points.length).toBe(Math.floor((29 * 600) / 300) + 1);
    const long = preprocessTrack(every(200, 900)); // 49 h 45
    expect(long.ok && long.points.length).toBe(24 * 12 + 1);
    const two = resample([pt(0, { lat: 48, cog: 350 }), pt(600, { lat: 48.1, cog: 10 })], 300);
    expect(two.map((p) => [p.ts, Math.round(p.lat * 1000) / 1000, Math.round(p.cog)])).toEqual([[0, 48, 350], [300, 48.05, 0], [600, 48.1, 10]]);
  });
});

describe('a-contrario test', () => {
  it('computes binomial tails', () => {
    const t = binomialTails(48, 0.1);
    expect(t[10]![10]).toBeCloseTo(1e-10, 20);
    expect(t[48]![0]).toBeCloseTo(1, 12);
    expect(t[2]![1]).toBeCloseTo(1 - 0.81, 12);
  });

  it('flags a run of abnormal points, not scattered ones at the null rate', () => {
    const o = { window: 48, p: 0.1, epsilon: 1e-9 };
    const scattered = Array.from({ length: 288 }, (_, i) => i % 10 === 0);
    expect(contrarioDetect(scattered, o).abnormal).toBe(false);
    const run = Array.from({ length: 288 }, (_, i) => i >= 100 && i < 110);
    const r = contrarioDetect(run, o);
    expect(r.abnormal).toBe(true);
    expect(r.abnormalPoints.indexOf(true)).toBe(100);
    expect(r.abnormalPoints.lastIndexOf(true)).toBe(109);
    expect(contrarioDetect(Array.from({ length: 288 }, (_, i) => i >= 100 && i < 108), o).abnormal).toBe(false); // 1e-8
  });
});

describe('detector on the synthetic data set', () => {
  it('finds the injected abnormal tracks and not the normal ones', () => {
    const train = generateMessages({ years: [2011], vessels: 100, days: 2, seed: 1, abnormalRate: 0.03 });
    const { model } = trainFromTracks(buildTracks(train.messages));
    const test = generateMessages({ years: [2012], vessels: 100, days: 1, seed: 2, abnormalRate: 0.15 });
    const verdicts = detectTracks(model, buildTracks(test.messages));
    const q = quality(verdicts.map((v) => v.mmsi), new Set(verdicts.filter((v) => v.abnormal).map((v) => v.mmsi)), new Set(test.labels.abnormal.map((a) => a.mmsi)));
    console.log(`detector on the synthetic set: precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)} (tp ${q.tp}, fp ${q.fp}, fn ${q.fn}, tn ${q.tn})`);
    expect(q.tp + q.fn).toBeGreaterThanOrEqual(10);
    expect(q.precision).toBeGreaterThanOrEqual(0.9);
    expect(q.recall).toBeGreaterThanOrEqual(0.85);
    // Moored vessels are never scored, so never alerted.
    expect(verdicts.filter((v) => test.labels.moored.includes(v.mmsi)).every((v) => !v.scored)).toBe(true);
  });
});
