import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDvcExpShow } from '../../../src/core/runs/dvcExperimentsSource';
import { repoRoot } from '../../support/tools';

// `dvc exp show --json` of the example project (DVC 3), made by test/fixtures/runs/make-fixtures.py.
const output: unknown = JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', 'runs', 'dvc-exp-show.json'), 'utf8'));

describe('dvc exp show --json', () => {
  const runs = parseDvcExpShow(output);

  it('makes a run of the workspace, the baseline commit and each experiment', () => {
    assert.equal(runs.length, 4);
    assert.equal(runs[0]?.id, 'dvc:workspace');
    const baseline = runs[1];
    assert.equal(baseline?.name, 'main');
    assert.equal(baseline?.experiment, 'main');
    assert.match(baseline?.commit ?? '', /^[0-9a-f]{40}$/);
    assert.ok(runs.slice(2).every((r) => r.experiment === 'main' && r.commit !== undefined));
  });

  it('flattens params and metrics, and keeps a missing metrics file from failing the run', () => {
    const [, baseline, done, queued] = runs;
    assert.equal(baseline?.params['split.test_size'], 0.4);
    assert.deepEqual(baseline?.metrics, {});
    assert.equal(done?.params['split.test_size'], 0.3);
    assert.equal(done?.params['models.logreg.C'], 0.05);
    assert.equal(done?.metrics['models.rf.accuracy'], 0.9815);
    assert.ok(!('best_model' in (done?.metrics ?? {})), 'text values are not metrics');
    assert.equal(done?.status, 'finished');
    assert.equal(queued?.params['split.test_size'], 0.2);
    assert.equal(queued?.status, 'scheduled');
  });

  it('returns no runs for output it does not know', () => {
    assert.deepEqual(parseDvcExpShow(null), []);
    assert.deepEqual(parseDvcExpShow('text'), []);
  });
});
