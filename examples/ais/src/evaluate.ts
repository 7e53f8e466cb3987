/** Detection quality per vessel against the generator's labels. */
export interface Quality {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
}

/** `vessels`: every vessel the detector saw; `predicted`: those it called abnormal; `truth`: the labelled ones. */
export function quality(vessels: Iterable<number>, predicted: ReadonlySet<number>, truth: ReadonlySet<number>): Quality {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const v of new Set(vessels)) {
    const p = predicted.has(v);
    const t = truth.has(v);
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
    else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 1;
  const recall = tp + fn ? tp / (tp + fn) : 1;
  return { tp, fp, fn, tn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}
