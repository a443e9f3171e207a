import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsampleMinMax, smoothEma } from '../../../src/core/compare';
import { historyBuckets, HISTORY_POINT_BUDGET } from '../../../src/core/compare/seriesReduction';
import type { MetricPoint } from '../../../src/core/runs/model';

const series = (values: number[]): MetricPoint[] => values.map((value, step) => ({ step, timestamp: 1000 + step, value }));

test('a short history is returned as is', () => {
  const points = series([1, 2, 3]);
  assert.deepEqual(downsampleMinMax(points, 10), points);
});

test('min/max downsampling keeps every spike, the ends and the order, within 2 × buckets + 2 points', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 100));
  values[4321] = 50;
  values[7777] = -50;
  const out = downsampleMinMax(series(values), 100);
  assert.ok(out.length <= 202, `got ${out.length}`);
  assert.ok(out.length >= 100);
  assert.equal(out[0]?.step, 0);
  assert.equal(out.at(-1)?.step, 9999);
  assert.ok(out.some((p) => p.step === 4321 && p.value === 50));
  assert.ok(out.some((p) => p.step === 7777 && p.value === -50));
  for (let i = 1; i < out.length; i++) assert.ok((out[i]?.step ?? 0) > (out[i - 1]?.step ?? 0), 'steps increase');
  const max = Math.max(...values);
  const min = Math.min(...values);
  assert.equal(Math.max(...out.map((p) => p.value)), max);
  assert.equal(Math.min(...out.map((p) => p.value)), min);
});

test('a NaN in a history survives downsampling', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i);
  values[500] = NaN;
  assert.ok(downsampleMinMax(series(values), 10).some((p) => Number.isNaN(p.value)));
});

test('EMA smoothing is debiased, weight 0 is the identity, and NaN passes through', () => {
  const points = series([10, 10, 10, 0, NaN, 0]);
  assert.deepEqual(smoothEma(points, 0), points);
  const s = smoothEma(points, 0.5);
  assert.equal(s[0]?.value, 10, 'no pull towards zero at the start');
  assert.equal(s[2]?.value, 10);
  assert.ok((s[3]?.value ?? 0) > 0 && (s[3]?.value ?? 0) < 10);
  assert.ok(Number.isNaN(s[4]?.value));
  assert.ok((s[5]?.value ?? 0) < (s[3]?.value ?? 0));
  assert.equal(s[3]?.step, 3, 'steps and timestamps are kept');
});

test('a chart of many runs shares one point budget: full detail for a few runs, at least 10 buckets each for thousands', () => {
  assert.equal(historyBuckets(1), 500);
  assert.equal(historyBuckets(40), 500);
  assert.equal(historyBuckets(100), 200);
  assert.equal(historyBuckets(1000), 20);
  assert.equal(historyBuckets(2000), 10);
  assert.equal(historyBuckets(100_000), 10);
  for (const runs of [50, 100, 400, 1000])
    assert.ok(runs * (2 * historyBuckets(runs) + 2) <= HISTORY_POINT_BUDGET * 1.05, `${runs} runs stay within the budget`);
});
