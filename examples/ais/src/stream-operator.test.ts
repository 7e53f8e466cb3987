import { describe, expect, it } from 'vitest';
import { trainFromTracks } from './batch.js';
import { generateMessages } from './generator.js';
import { OPERATOR_DEFAULTS, parseStreamMessage, VesselTracker, type StreamMessage } from './stream-operator.js';
import { buildTracks } from './track.js';
import { LatencySamples } from './latency.js';

const msg = (mmsi: number, timestamp: number, o: Partial<StreamMessage> = {}): StreamMessage => ({ mmsi, lat: 48.1, lon: -5.5, sog: 12, cog: 45, heading: 45, timestamp, ...o });

describe('stream operator', () => {
  it('validates input values, naming the field', () => {
    expect(parseStreamMessage({ mmsi: 1, lat: 2, lon: 3, sog: 4, cog: 5, heading: 6, timestamp: 7 })).toEqual({ mmsi: 1, lat: 2, lon: 3, sog: 4, cog: 5, heading: 6, timestamp: 7 });
    expect(parseStreamMessage({ mmsi: '1' })).toBe('mmsi: a number is required');
    expect(parseStreamMessage({ mmsi: 1, lat: 2, lon: 3, sog: 4, cog: 5, heading: 6 })).toBe('timestamp: a number is required');
    expect(parseStreamMessage([1])).toBe('not a JSON object');
  });

  it('alerts once per abnormal vessel when its track spans 8 hours, and forgets idle vessels', () => {
    const train = generateMessages({ years: [2011], vessels: 80, days: 2, seed: 5, abnormalRate: 0.03 });
    const { model } = trainFromTracks(buildTracks(train.messages));
    const live = generateMessages({ years: [2012], vessels: 60, days: 1, seed: 6, abnormalRate: 0.2 });
    const tracker = new VesselTracker(model, OPERATOR_DEFAULTS);
    const alerts = live.messages.flatMap((m) => tracker.push(msg(m.mmsi, m.ts, { lat: m.lat, lon: m.lon, sog: m.sog, cog: m.cog, nav_status: m.navStatus })) ?? []);
    const truth = new Set(live.labels.abnormal.map((a) => a.mmsi));
    expect(alerts.length).toBeGreaterThan(0);
    expect(new Set(alerts.map((a) => a.mmsi)).size).toBe(alerts.length);
    for (const a of alerts) {
      expect(a.windowEnd - a.windowStart).toBeGreaterThanOrEqual(8 * 3600);
      expect(truth.has(a.mmsi)).toBe(true);
    }
    expect(tracker.activeVessels).toBeGreaterThan(0);
    // A report two hours and a second later than the last one: every other vessel is idle now.
    tracker.push(msg(1, live.messages[live.messages.length - 1]!.ts + 7201));
    tracker.evictIdle();
    expect(tracker.activeVessels).toBe(1);
  });

  it('ignores points outside the box, too fast, late or duplicate', () => {
    const tracker = new VesselTracker(trainFromTracks([]).model);
    tracker.push(msg(7, 100, { lat: 50 }));
    tracker.push(msg(7, 100, { sog: 31 }));
    expect(tracker.activeVessels).toBe(0);
    tracker.push(msg(7, 200));
    tracker.push(msg(7, 200));
    tracker.push(msg(7, 150));
    expect(tracker.activeVessels).toBe(1);
  });

  it('keeps latency quantiles in bounded memory', () => {
    const s = new LatencySamples(100, () => 0.5);
    for (let i = 1; i <= 1000; i++) s.add(i);
    expect(s.count).toBe(1000);
    expect(new LatencySamples().quantile(0.5)).toBeNaN();
    const exact = new LatencySamples();
    for (let i = 1; i <= 100; i++) exact.add(i);
    expect([exact.quantile(0.5), exact.quantile(0.99), exact.quantile(1)]).toEqual([50, 99, 100]);
  });
});
