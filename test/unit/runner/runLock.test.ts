import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runPipeline } from '../../../src/core/runner/pipelineRun';
import { acquireRunLock, runLockFile } from '../../../src/core/runner/runLock';
import { waitFor } from '../../support/tools';

const temp = mkdtempSync(join(tmpdir(), 'mlops-lock-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let count = 0;

function project(): string {
  const dir = join(temp, `p${count++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dvc.yaml'), 'stages:\n  wait:\n    cmd: touch started.txt; sleep 30\n  quick:\n    cmd: echo quick\n');
  return dir;
}

describe('one run per pipeline', () => {
  test('a second run of the same pipeline is refused while the first runs; another pipeline may run', async () => {
    const dir = project();
    const other = project();
    const controller = new AbortController();
    const first = runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'wait', runner: 'builtin', signal: controller.signal });
    await waitFor('the first run to start', () => (existsSync(join(dir, 'started.txt')) ? true : undefined));
    const second = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'quick', runner: 'builtin' });
    assert.equal(second.exitCode, 1);
    assert.match(
      second.message ?? '',
      /^dvc\.yaml is already running \(stage wait, started at \d\d:\d\d:\d\d UTC\); wait for it to finish or stop it first\.$/,
    );
    const elsewhere = await runPipeline({ pipelineFile: join(other, 'dvc.yaml'), stage: 'quick', runner: 'builtin' });
    assert.equal(elsewhere.exitCode, 0, elsewhere.message);
    controller.abort();
    assert.equal((await first).status, 'killed');
    assert.equal(existsSync(runLockFile(join(dir, 'dvc.yaml'))), false, 'the lock is released when the run ends');
    const third = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'quick', runner: 'builtin' });
    assert.equal(third.exitCode, 0, third.message);
  });

  test('a lock left by a process that is gone is taken over', async () => {
    const dir = project();
    const file = runLockFile(join(dir, 'dvc.yaml'));
    mkdirSync(join(dir, '.mlops'), { recursive: true });
    // Pids are far below this on Linux (pid_max is at most 2^22).
    writeFileSync(file, JSON.stringify({ pid: 2 ** 30, host: hostname(), what: 'stage old', startTime: new Date().toISOString() }));
    const lock = await acquireRunLock(join(dir, 'dvc.yaml'), 'stage new');
    assert.notEqual(typeof lock, 'string');
    if (typeof lock !== 'string') await lock.release();
    assert.equal(existsSync(file), false);
  });
});
