import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runPipeline } from '../../../src/core/runner/pipelineRun';
import { newRunId, readRunRecords, RunRecorder } from '../../../src/core/runner/runRecorder';
import type { RunRecord } from '../../../src/core/runs/runRecord';
import { WorkbenchRunsSource } from '../../../src/core/runs/workbenchRunsSource';

const temp = mkdtempSync(join(tmpdir(), 'mlops-records-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let count = 0;

const DVC_YAML = `stages:
  train:
    cmd: echo training with \${lr} && echo "model" > model.txt
    params: [lr]
    outs: [model.txt]
  evaluate:
    cmd: >-
      echo '{"acc": 0.91, "loss": {"val": 0.2}, "name": "rf", "count": "3"}' > metrics.json
    deps: [model.txt]
    params:
      - config/eval.yaml:
          - threshold
    metrics:
      - metrics.json:
          cache: false
  broken:
    cmd: echo about to fail && exit 3
`;

function project(options: { git?: boolean } = {}): string {
  const dir = join(temp, `p${count++}`);
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'dvc.yaml'), DVC_YAML);
  writeFileSync(join(dir, 'params.yaml'), 'lr: 0.1\nmodels:\n  rf:\n    depth: 2\n');
  writeFileSync(join(dir, 'config', 'eval.yaml'), 'threshold: 0.5\n');
  if (options.git) {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', 'dvc.yaml', 'params.yaml', 'config');
    git('commit', '-qm', 'initial');
  }
  return dir;
}

function readRecord(file: string): RunRecord {
  return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
}

describe('run records', () => {
  test('ids sort by time and are safe file names', () => {
    const a = newRunId(new Date('2026-01-02T03:04:05.006Z'));
    const b = newRunId(new Date('2026-01-02T03:04:05.007Z'));
    assert.match(a, /^20260102T030405006Z-[0-9a-f]{6}$/);
    assert.ok(a < b);
  });

  test('a run records its stages, params, metrics, commit, exit code and log', async () => {
    const dir = project({ git: true });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const result = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'evaluate', runner: 'builtin' });
    assert.equal(result.exitCode, 0, result.message);
    assert.ok(result.recordFile);
    const record = readRecord(result.recordFile);
    assert.equal(record.id, result.record?.id);
    assert.deepEqual(record.stages, ['evaluate']);
    assert.equal(record.pipeline, 'dvc.yaml');
    assert.equal(record.runner, 'builtin');
    assert.equal(record.status, 'finished');
    assert.equal(record.exitCode, 0);
    assert.deepEqual(record.params, { lr: 0.1, 'models.rf.depth': 2, 'config/eval.yaml:threshold': 0.5 });
    assert.deepEqual(record.metrics, { acc: 0.91, 'loss.val': 0.2, count: 3 });
    assert.equal(record.commit, head);
    assert.equal(record.dirty, false);
    assert.ok(Date.parse(record.startTime) <= Date.parse(record.endTime ?? ''));
    assert.equal(record.logFile, `.mlops/runs/${record.id}.log`);
    const log = readFileSync(join(dir, record.logFile), 'utf8');
    assert.match(log, /training with 0\.1/);
    assert.match(log, /Running stage 'evaluate'/);
    assert.deepEqual(
      readdirSync(join(dir, '.mlops', 'runs')).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });

  test('a failed run records the exit code, the message and the dirty tree', async () => {
    const dir = project({ git: true });
    writeFileSync(join(dir, 'params.yaml'), 'lr: 0.3\n');
    const result = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'broken', runner: 'builtin' });
    assert.equal(result.exitCode, 3);
    const record = readRecord(result.recordFile ?? '');
    assert.equal(record.status, 'failed');
    assert.equal(record.exitCode, 3);
    assert.equal(record.dirty, true);
    assert.match(record.message ?? '', /Stage 'broken' failed with exit code 3/);
    assert.match(readFileSync(join(dir, record.logFile ?? ''), 'utf8'), /about to fail/);
  });

  test('outside Git there is no commit, and the Runs view reads the records', async () => {
    const dir = project();
    await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'train', runner: 'builtin' });
    await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'broken', runner: 'builtin' });
    const records = await readRunRecords(dir);
    assert.equal(records.length, 2);
    assert.deepEqual(records.map((r) => r.stages[0]).sort(), ['broken', 'train']);
    assert.equal(records[0]?.commit, undefined);
    const runs = await new WorkbenchRunsSource(dir).listRuns();
    assert.deepEqual(runs.map((r) => r.status).sort(), ['failed', 'finished']);
    assert.equal(runs.find((r) => r.name === 'train')?.params.lr, 0.1);
  });

  test('a refused run is still recorded with its message', async () => {
    const dir = project();
    const result = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'nope', runner: 'builtin' });
    assert.equal(result.exitCode, 1);
    const record = readRecord(result.recordFile ?? '');
    assert.equal(record.status, 'failed');
    assert.match(record.message ?? '', /no stage named 'nope'/);
  });

  test('dvc requested where DVC is missing is refused with the install hint', async () => {
    const dir = project();
    const result = await runPipeline({
      pipelineFile: join(dir, 'dvc.yaml'),
      stage: 'train',
      runner: 'dvc',
      env: { PATH: join(dir, 'no-bin') },
    });
    assert.equal(result.exitCode, 1);
    assert.equal(result.message, 'DVC is not installed: install it (pip install dvc) or set mlops.runner to builtin.');
  });

  test('the log stops at its size limit', async () => {
    const dir = project();
    const { pipeline } = { pipeline: { file: join(dir, 'dvc.yaml'), stages: [] } };
    const recorder = await RunRecorder.start({ pipeline, runner: 'builtin', stages: [], maxLogBytes: 1000 });
    for (let i = 0; i < 100; i++) recorder.write(`${'x'.repeat(99)}\n`);
    const record = await recorder.finish({ exitCode: 0, status: 'finished' });
    const log = readFileSync(join(dir, record.logFile ?? ''), 'utf8');
    assert.ok(log.length < 1200, `log is ${log.length} bytes`);
    assert.match(log, /output truncated/);
  });
});
