import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chooseRunner, dvcReproArgs, findDvc, findDvcRoot, runDvcRepro } from '../../../src/core/runner/dvcRunner';

const temp = mkdtempSync(join(tmpdir(), 'mlops-dvc-runner-'));
after(() => rmSync(temp, { recursive: true, force: true }));
const posix = process.platform !== 'win32';

function fakeTool(path: string, script = '#!/bin/sh\necho "args: $*"\nexit 0\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

describe('dvcReproArgs', () => {
  test('names the stage through the dvc.yaml relative to where dvc runs', () => {
    assert.deepEqual(dvcReproArgs({ pipelineFile: '/w/p/dvc.yaml', stage: 'train@rf' }), ['repro', 'dvc.yaml:train@rf']);
    assert.deepEqual(dvcReproArgs({ pipelineFile: '/w/p/sub/dvc.yaml', stage: 'sweep@lr-1', cwd: '/w/p' }), [
      'repro',
      'sub/dvc.yaml:sweep@lr-1',
    ]);
  });

  test('adds --single-item and --force, and runs the whole pipeline without a stage', () => {
    assert.deepEqual(dvcReproArgs({ pipelineFile: '/w/dvc.yaml', stage: 'train', single: true, force: true }), [
      'repro',
      'dvc.yaml:train',
      '--single-item',
      '--force',
    ]);
    assert.deepEqual(dvcReproArgs({ pipelineFile: '/w/dvc.yaml' }), ['repro', 'dvc.yaml']);
  });
});

describe('chooseRunner', () => {
  test('auto uses DVC when it is installed in a DVC repository, else the built-in runner', () => {
    assert.deepEqual(chooseRunner('auto', true), { runner: 'dvc' });
    assert.deepEqual(chooseRunner('auto', false), { runner: 'builtin' });
    assert.deepEqual(chooseRunner('auto', true, false), { runner: 'builtin' });
    assert.deepEqual(chooseRunner('builtin', true), { runner: 'builtin' });
  });

  test('dvc requested but missing is explained', () => {
    assert.equal(chooseRunner('dvc', false).error, 'DVC is not installed: install it (pip install dvc) or set mlops.runner to builtin.');
    assert.match(chooseRunner('dvc', true, false).error ?? '', /not a DVC repository: run dvc init/);
    assert.deepEqual(chooseRunner('dvc', true), { runner: 'dvc' });
  });
});

describe('findDvc', { skip: !posix }, () => {
  test('prefers the explicit path, then the folder virtualenv, then PATH', () => {
    const folder = join(temp, 'project');
    const onPath = fakeTool(join(temp, 'bin', 'dvc'));
    const env = { PATH: join(temp, 'bin') };
    assert.equal(findDvc(folder, { env }), onPath);
    const venv = fakeTool(join(folder, '.venv', 'bin', 'dvc'));
    assert.equal(findDvc(folder, { env }), venv);
    const explicit = fakeTool(join(temp, 'tools', 'my-dvc'));
    assert.equal(findDvc(folder, { env, explicitPath: explicit }), explicit);
    assert.equal(findDvc(folder, { env, explicitPath: join(temp, 'missing', 'dvc') }), undefined);
    assert.equal(findDvc(join(temp, 'elsewhere'), { env: { PATH: join(temp, 'nothing') } }), undefined);
  });

  test('finds the DVC repository root above a folder', () => {
    mkdirSync(join(temp, 'repo', '.dvc'), { recursive: true });
    mkdirSync(join(temp, 'repo', 'a', 'b'), { recursive: true });
    assert.equal(findDvcRoot(join(temp, 'repo', 'a', 'b')), join(temp, 'repo'));
  });
});

describe('runDvcRepro', { skip: !posix }, () => {
  test('streams the output and returns dvc exit code', async () => {
    const dir = join(temp, 'run');
    mkdirSync(dir, { recursive: true });
    const dvc = fakeTool(join(temp, 'fake', 'dvc'), '#!/bin/sh\necho "args: $*"\necho "cwd: $(pwd)"\nexit 4\n');
    let output = '';
    const outcome = await runDvcRepro({
      dvcPath: dvc,
      pipelineFile: join(dir, 'dvc.yaml'),
      stage: 'train@rf',
      single: true,
      onEvent: (e) => (output += e.type === 'output' ? e.text : ''),
    });
    assert.equal(outcome.exitCode, 4);
    assert.equal(outcome.status, 'failed');
    assert.match(output, /args: repro dvc\.yaml:train@rf --single-item/);
    assert.match(output, /cwd: .*\/run/);
    assert.match(outcome.message ?? '', /dvc repro of stage 'train@rf' failed with exit code 4/);
  });
});
