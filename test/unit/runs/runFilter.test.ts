import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Run } from '../../../src/core/runs/model';
import { parseRunFilter, sortRuns } from '../../../src/core/runs/runFilter';

function run(id: string, metrics: Record<string, number>, params: Run['params'] = {}, name = id): Run {
  return { id, source: 'mlflow', experiment: 'wine', name, status: 'finished', params, metrics, tags: {} };
}

const runs = [
  run('mlflow:a', { rmse: 0.9, accuracy: 0.7 }, { model: 'rf', depth: 2 }, 'train@rf'),
  run('mlflow:b', { rmse: 0.7, accuracy: 0.8 }, { model: 'logreg', depth: 3 }, 'train@logreg'),
  run('mlflow:c', { accuracy: 0.9 }, { model: 'rf', depth: 3 }, 'baseline'),
];

function ids(filter: string): string[] {
  const parsed = parseRunFilter(filter);
  assert.ok(!('error' in parsed), JSON.stringify(parsed));
  return runs.filter((r) => parsed.test(r)).map((r) => r.id);
}

test('metric conditions compare numbers; runs without the metric never match', () => {
  assert.deepEqual(ids('metrics.rmse < 0.8'), ['mlflow:b']);
  assert.deepEqual(ids('metrics.rmse >= 0.7'), ['mlflow:a', 'mlflow:b']);
  assert.deepEqual(ids('metric.accuracy > 0.75'), ['mlflow:b', 'mlflow:c']);
});

test('param conditions compare text or numbers, and terms combine with and', () => {
  assert.deepEqual(ids('params.model == rf'), ['mlflow:a', 'mlflow:c']);
  assert.deepEqual(ids("params.model == 'rf' and params.depth = 3"), ['mlflow:c']);
  assert.deepEqual(ids('params.model != rf'), ['mlflow:b']);
});

test('plain words match names and ids, together with conditions', () => {
  assert.deepEqual(ids('train'), ['mlflow:a', 'mlflow:b']);
  assert.deepEqual(ids('train metrics.accuracy > 0.75'), ['mlflow:b']);
});

test('a condition that cannot be read is an error sentence, not an empty list', () => {
  const parsed = parseRunFilter('metrics.rmse << 0.8');
  assert.ok('error' in parsed);
  assert.match(parsed.error, /metrics\.rmse < 0\.8/);
});

test('sorting by a metric puts runs without it last, in both directions', () => {
  assert.deepEqual(
    sortRuns(runs, { key: 'rmse', descending: false }).map((r) => r.id),
    ['mlflow:b', 'mlflow:a', 'mlflow:c'],
  );
  assert.deepEqual(
    sortRuns(runs, { key: 'rmse', descending: true }).map((r) => r.id),
    ['mlflow:a', 'mlflow:b', 'mlflow:c'],
  );
});
