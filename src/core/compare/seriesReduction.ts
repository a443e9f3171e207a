import type { MetricPoint } from '../runs/model';

/**
 * Points per chart at most, shared by all runs of a request: a chart redraws its whole canvas on
 * every hover and every hidden run, and the raster time grows with the points (the compareWebview
 * benchmark measured 100,000 points at several hundred ms). A chart is a few hundred pixels wide, so
 * 500 buckets (a low and a high per pixel) is all one run can show; 2,000 runs get 10 each.
 */
export const HISTORY_POINT_BUDGET = 40_000;
const MAX_BUCKETS = 500;
const MIN_BUCKETS = 10;

/** The buckets each history of a chart with `runCount` runs is reduced to (`downsampleMinMax`). */
export function historyBuckets(runCount: number): number {
  return Math.max(MIN_BUCKETS, Math.min(MAX_BUCKETS, Math.floor(HISTORY_POINT_BUDGET / Math.max(1, runCount) / 2)));
}

/**
 * Reduces a long history to at most `2 × buckets + 2` points by keeping, in each bucket of
 * consecutive points, the lowest and the highest value (in their original order), plus the first and
 * last point. Spikes survive, unlike with averaging or striding, so a diverging run still looks
 * diverging after reduction. Non-finite values are kept: they mark where a run broke.
 */
export function downsampleMinMax(points: readonly MetricPoint[], buckets: number): MetricPoint[] {
  const n = points.length;
  if (buckets < 1 || n <= 2 * buckets + 2) return points.slice();
  const out: MetricPoint[] = [];
  const first = points[0];
  const last = points[n - 1];
  if (first) out.push(first);
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = 1 + Math.floor((b + 1) * size);
    let minAt = -1;
    let maxAt = -1;
    const odd: number[] = [];
    for (let i = start; i < end; i++) {
      const v = points[i]?.value ?? NaN;
      if (!Number.isFinite(v)) {
        odd.push(i);
        continue;
      }
      if (minAt < 0 || v < (points[minAt]?.value ?? v)) minAt = i;
      if (maxAt < 0 || v > (points[maxAt]?.value ?? v)) maxAt = i;
    }
    const keep = new Set<number>(odd.slice(0, 2));
    if (minAt >= 0) keep.add(minAt);
    if (maxAt >= 0) keep.add(maxAt);
    for (const i of [...keep].sort((a, b2) => a - b2)) {
      const p = points[i];
      if (p) out.push(p);
    }
  }
  if (last && n > 1) out.push(last);
  return out;
}

/**
 * Exponential moving average with TensorBoard's debiasing, so the first points are not dragged
 * towards zero. `weight` 0 returns the values unchanged; 0.99 is very smooth. Non-finite values pass
 * through without disturbing the average.
 */
export function smoothEma(points: readonly MetricPoint[], weight: number): MetricPoint[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return points.slice();
  let last = 0;
  let count = 0;
  return points.map((p) => {
    if (!Number.isFinite(p.value)) return p;
    last = last * w + (1 - w) * p.value;
    count++;
    return { ...p, value: last / (1 - Math.pow(w, count)) };
  });
}
