/** A group's time left, from the pace seen while the page is open (a rerun or a pause does not skew it). */
import { useRef } from 'react';

interface Sample { t: number; done: number }

/** Seconds left at the pace of the last few minutes of samples, or undefined until items have finished while watched. */
export function etaFromSamples(samples: readonly Sample[], total: number): number | undefined {
  const last = samples[samples.length - 1];
  const first = samples.find((s) => last && last.t - s.t <= 10 * 60_000 && s.done < last.done);
  if (!first || !last || last.t <= first.t) return undefined;
  const rate = (last.done - first.done) / (last.t - first.t);
  return rate > 0 ? Math.max(0, (total - last.done) / rate / 1000) : undefined;
}

export function useObservedEta(done: number | undefined, total: number | undefined, running: boolean, now = Date.now()): number | undefined {
  const samples = useRef<Sample[]>([]);
  if (done === undefined || total === undefined || !running) {
    samples.current = [];
    return undefined;
  }
  const s = samples.current;
  const prev = s[s.length - 1];
  // A rerun moves done backwards: start over.
  if (prev && done < prev.done) s.length = 0;
  if (!prev || done !== prev.done) s.push({ t: now, done });
  if (s.length > 200) s.splice(0, s.length - 200);
  return etaFromSamples(s, total);
}
