import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyExampleProject, toolEnv } from '../support/exampleProject';
import { requireTool } from '../support/tools';

test('the example project runs end to end with real DVC, produces metrics and logs runs to MLflow', async (t) => {
  const dvc = requireTool(t, 'dvc');
  if (!dvc || !requireTool(t, 'mlflow')) return;
  const project = copyExampleProject();
  const output = execFileSync(dvc, ['repro'], { cwd: project, env: toolEnv(), encoding: 'utf8', timeout: 300_000 });
  for (const stage of ['ingest', 'validate', 'train@rf', 'train@logreg', 'evaluate']) {
    assert.match(output, new RegExp(`Running stage '${stage}'`), `dvc repro ran ${stage}`);
  }

  const metrics = JSON.parse(readFileSync(join(project, 'metrics.json'), 'utf8')) as {
    best_model: string;
    accuracy: number;
    models: Record<string, { accuracy: number; f1_macro: number }>;
  };
  assert.deepEqual(Object.keys(metrics.models).sort(), ['logreg', 'rf']);
  assert.ok(['rf', 'logreg'].includes(metrics.best_model));
  for (const scores of Object.values(metrics.models)) {
    assert.ok(scores.accuracy > 0.5 && scores.accuracy <= 1, `accuracy ${scores.accuracy} is a real score`);
  }
  assert.ok(existsSync(join(project, 'dvc.lock')), 'dvc.lock written');
  assert.ok(existsSync(join(project, 'mlflow.db')), 'MLflow logged the training runs to mlflow.db');

  // Nothing changed: DVC agrees every stage is up to date.
  const status = execFileSync(dvc, ['status', '--json'], { cwd: project, env: toolEnv(), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(status), {});
});

test('the validate stage fails with the column named when the data breaks the contract', async (t) => {
  const dvc = requireTool(t, 'dvc');
  if (!dvc) return;
  const project = copyExampleProject();
  const schema = join(project, 'schema.yaml');
  const text = readFileSync(schema, 'utf8').replace('  proline: float64\n', '  proline: float64\n  sugar: float64\n');
  execFileSync('sh', ['-c', 'cat > schema.yaml'], { cwd: project, input: text });
  let failure: { stderr?: string; status?: number } | undefined;
  try {
    execFileSync(dvc, ['repro', 'validate'], { cwd: project, env: toolEnv({ WINE_QUALITY_MLFLOW: '0' }), encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    failure = error as { stderr?: string; status?: number };
  }
  assert.ok(failure, 'dvc repro validate fails');
  assert.match(String(failure.stderr), /column sugar is missing from the data/);
});
