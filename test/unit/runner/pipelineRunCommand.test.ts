import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { UsageError } from '../../../src/cli/args';
import { pipelineRunCommand, resolveRunTarget } from '../../../src/cli/pipelineRunCommand';

const temp = mkdtempSync(join(tmpdir(), 'mlops-run-cli-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let count = 0;

function project(): string {
  const dir = join(temp, `p${count++}`);
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const yaml = `stages:
  make:
    cmd: echo making && echo made > made.txt
    outs: [made.txt]
  use:
    cmd: echo using && cat made.txt > used.txt
    deps: [made.txt]
    outs: [used.txt]
  fail:
    cmd: echo failing && exit 5
`;
  writeFileSync(join(dir, 'dvc.yaml'), yaml);
  writeFileSync(join(dir, 'sub', 'dvc.yaml'), yaml);
  return dir;
}

async function cli(dir: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await pipelineRunCommand(argv, {
    cwd: dir,
    env: { ...process.env, PATH: process.env.PATH ?? '' },
    signal: new AbortController().signal,
    write: (t) => (stdout += t),
    error: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('mlops pipeline run', () => {
  test('runs a stage and what it needs, streaming the output, and records the run', async () => {
    const dir = project();
    const { code, stdout, stderr } = await cli(dir, 'use', '--runner', 'builtin');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /making[\s\S]*using/);
    assert.match(stderr, /Run recorded in \.mlops\/runs\/.+\.json/);
    assert.equal(readdirSync(join(dir, '.mlops', 'runs')).filter((n) => n.endsWith('.json')).length, 1);
    const again = await cli(dir, 'use', '--runner', 'builtin');
    assert.match(again.stdout, /Stage 'use' didn't change, skipping/);
  });

  test('exits with the stage exit code', async () => {
    const dir = project();
    const { code, stdout, stderr } = await cli(dir, 'fail', '--runner=builtin');
    assert.equal(code, 5);
    assert.match(stdout, /failing/);
    assert.match(stderr, /Stage 'fail' failed with exit code 5/);
  });

  test('FILE:STAGE, --single and --force', async () => {
    const dir = project();
    await cli(dir, 'sub/dvc.yaml:use', '--runner', 'builtin');
    const { code, stdout } = await cli(dir, 'sub/dvc.yaml:use', '--single', '--force', '--runner', 'builtin');
    assert.equal(code, 0);
    assert.doesNotMatch(stdout, /making/);
    assert.match(stdout, /using/);
  });

  test('explains a missing dvc.yaml, an unknown runner and a missing stage', async () => {
    const dir = project();
    const missing = await cli(join(dir, 'sub'), 'nothing/dvc.yaml:x', '--runner', 'builtin');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing\/dvc\.yaml does not exist/);
    await assert.rejects(cli(dir, 'use', '--runner', 'docker'), UsageError);
    await assert.rejects(cli(dir), UsageError);
    const unknown = await cli(dir, 'nope', '--runner', 'builtin');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no stage named 'nope'/);
  });

  test('resolves STAGE, FILE:STAGE and FILE', async () => {
    const dir = project();
    assert.deepEqual(await resolveRunTarget('train@rf', dir), { pipelineFile: join(dir, 'dvc.yaml'), stage: 'train@rf' });
    assert.deepEqual(await resolveRunTarget('sub/dvc.yaml:sweep@lr-1', dir), {
      pipelineFile: join(dir, 'sub', 'dvc.yaml'),
      stage: 'sweep@lr-1',
    });
    assert.deepEqual(await resolveRunTarget('sub:make', dir), { pipelineFile: join(dir, 'sub', 'dvc.yaml'), stage: 'make' });
    assert.deepEqual(await resolveRunTarget('sub/dvc.yaml', dir), { pipelineFile: join(dir, 'sub', 'dvc.yaml') });
    assert.deepEqual(await resolveRunTarget('sub', dir), { pipelineFile: join(dir, 'sub', 'dvc.yaml') });
  });
});
