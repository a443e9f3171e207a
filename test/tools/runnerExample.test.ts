import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runPipeline } from '../../src/core/runner/pipelineRun';
import type { RunEvent } from '../../src/core/runner/runEvents';
import { copyExampleProject, toolEnv } from '../support/exampleProject';
import { requireTool } from '../support/tools';

const env = toolEnv({ WINE_QUALITY_MLFLOW: '0' });
const copies: string[] = [];
after(() => {
  for (const dir of copies) rmSync(dirname(dir), { recursive: true, force: true });
});

function copy(): string {
  const dir = copyExampleProject();
  copies.push(dir);
  return dir;
}

const ALL_STAGES = ['ingest', 'validate', 'train@rf', 'train@logreg', 'evaluate'];

describe('runners on the wine-quality example', () => {
  test('the built-in runner runs all five stages for evaluate, then skips them all', async (t) => {
    if (!requireTool(t, 'python')) return;
    const dir = copy();
    const events: RunEvent[] = [];
    const first = await runPipeline({
      pipelineFile: join(dir, 'dvc.yaml'),
      stage: 'evaluate',
      runner: 'builtin',
      env,
      onEvent: (e) => events.push(e),
    });
    assert.equal(first.exitCode, 0, `${first.message}\n${events.map((e) => (e.type === 'output' ? e.text : '')).join('')}`);
    assert.equal(first.runner, 'builtin');
    assert.deepEqual(first.ran, ALL_STAGES);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    assert.ok(Object.keys(metrics).length > 0);
    assert.equal(existsSync(join(dir, 'dvc.lock')), false, 'the built-in runner must leave dvc.lock to DVC');
    assert.ok(first.record && Object.keys(first.record.metrics).length > 0, 'the run record holds the metrics');
    assert.equal(first.record.params['models.rf.max_depth'], 2);
    assert.match(first.record.commit ?? '', /^[0-9a-f]{40}$/);

    const second = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'evaluate', runner: 'builtin', env });
    assert.equal(second.exitCode, 0, second.message);
    assert.deepEqual(second.ran, []);
    assert.deepEqual(second.skipped, ALL_STAGES);
  });

  test('the DVC runner reproduces one foreach stage with --single-item after a full repro', async (t) => {
    const dvc = requireTool(t, 'dvc');
    if (!dvc) return;
    const dir = copy();
    const run = (...args: string[]) => execFileSync(dvc, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (!existsSync(join(dir, '.dvc'))) run('init', '-q');
    run('repro');
    let output = '';
    const result = await runPipeline({
      pipelineFile: join(dir, 'dvc.yaml'),
      stage: 'train@rf',
      single: true,
      runner: 'dvc',
      env,
      onEvent: (e) => (output += e.type === 'output' ? e.text : ''),
    });
    assert.equal(result.exitCode, 0, `${result.message}\n${output}`);
    assert.equal(result.runner, 'dvc');
    assert.match(output, /dvc repro dvc\.yaml:train@rf --single-item/);
    assert.match(output, /Stage 'train@rf' didn't change, skipping/);

    const forced = await runPipeline({
      pipelineFile: join(dir, 'dvc.yaml'),
      stage: 'train@rf',
      single: true,
      force: true,
      runner: 'dvc',
      env,
      onEvent: (e) => (output = e.type === 'output' ? output + e.text : output),
    });
    assert.equal(forced.exitCode, 0, forced.message);
    assert.match(output, /Running stage 'train@rf'/);
    assert.doesNotMatch(output, /Running stage '(ingest|validate|train@logreg|evaluate)'/);
    assert.equal(forced.record?.runner, 'dvc');
    assert.deepEqual(forced.record?.stages, ['train@rf']);
    // DVC kept dvc.lock current: nothing is left to reproduce.
    assert.match(run('status'), /Data and pipelines are up to date/);
  });
});
