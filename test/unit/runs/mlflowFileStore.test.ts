import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MlflowFileStoreSource, parseMetricLines } from '../../../src/core/runs/mlflowFileStore';
import { repoRoot } from '../../support/tools';

// Made by real MLflow (MLFLOW_ALLOW_FILE_STORE=true) with test/fixtures/runs/make-fixtures.py.
const mlruns = join(repoRoot, 'test', 'fixtures', 'runs', 'mlruns');

describe('MLflow file store', () => {
  it('lists active runs with params, latest metrics and tags, hiding deleted runs and experiments', async () => {
    const runs = await new MlflowFileStoreSource(mlruns).listRuns();
    assert.deepEqual(runs.map((r) => r.name).sort(), ['crashed', 'train@logreg', 'train@rf']);
    assert.ok(runs.every((r) => r.experiment === 'wine-quality'));
    const rf = runs.find((r) => r.name === 'train@rf');
    assert.ok(rf);
    assert.equal(rf.status, 'finished');
    assert.equal(rf.params.max_depth, 2);
    assert.equal(String(rf.params.notes).length, 5000);
    assert.equal(Math.round((rf.metrics.accuracy ?? 0) * 10) / 10, 0.9);
    assert.equal(rf.commit, '0123456789abcdef0123456789abcdef01234567');
    assert.equal(runs.find((r) => r.name === 'crashed')?.status, 'failed');
  });

  it('ignores a half-written last metric line', async () => {
    const source = new MlflowFileStoreSource(mlruns);
    const logreg = (await source.listRuns()).find((r) => r.name === 'train@logreg');
    assert.ok(logreg);
    // The file ends with "1795460000000 0.9" and no newline: a write still in progress.
    assert.equal(logreg.metrics.accuracy, 0.85);
    const history = await source.metricHistory(logreg.id, 'accuracy');
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      [
        [0, 0.8],
        [1, 0.85],
      ],
    );
  });

  it('parses both metric line formats and skips malformed lines', () => {
    assert.deepEqual(parseMetricLines('100 0.5 3\n200 0.25\ngarbage\n300 x 1\n'), [
      { timestamp: 100, value: 0.5, step: 3 },
      { timestamp: 200, value: 0.25, step: 0 },
    ]);
  });

  it('says which folder could not be read', async () => {
    await assert.rejects(new MlflowFileStoreSource(join(mlruns, 'missing')).listRuns(), /^Error: mlruns\/ could not be read \(ENOENT\)/);
  });
});
