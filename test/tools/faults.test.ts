import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../src/core/runner/pipelineRun';
import { DvcExperimentsSource } from '../../src/core/runs/dvcExperimentsSource';
import { GitHistorySource } from '../../src/core/runs/gitHistorySource';
import { MlflowFileStoreSource } from '../../src/core/runs/mlflowFileStore';
import { MlflowSqliteSource } from '../../src/core/runs/mlflowSqliteSource';
import { SqliteFormatError } from '../../src/core/sqlite/sqliteDatabase';
import { copyExampleProject } from '../support/exampleProject';
import { repoRoot, requireTool, toolPath, waitFor } from '../support/tools';

// Each fault a user can run into ends in one sentence that says what happened and what to do, and
// nothing throws past the source or the runner.

const fixtures = join(repoRoot, 'test', 'fixtures', 'runs');

/** One sentence for a person: no stack, no newline, ends with a full stop. */
function assertOneSentence(message: string | undefined): void {
  assert.ok(message, 'a message');
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  assert.ok(!/\bat .*\.(js|ts):\d+/.test(message), `no stack: ${message}`);
  assert.match(message, /[.!]$/, `a full sentence: ${message}`);
}

async function messageOf(promise: Promise<unknown>): Promise<{ message: string; error: unknown }> {
  try {
    await promise;
  } catch (error) {
    return { message: (error as Error).message, error };
  }
  assert.fail('expected a clear error');
}

/** A PATH that has everything the tests need but not the named tools. */
function pathWithout(...tools: string[]): string {
  const bin = mkdtempSync(join(tmpdir(), 'mlops-path-'));
  for (const tool of ['sh', 'sleep', 'cat', 'echo', 'env', 'python3', 'rm', 'ls']) {
    const found = toolPath(tool);
    if (found && !tools.includes(tool) && !found.includes('.venv')) symlinkSync(found, join(bin, tool));
  }
  return [bin].join(delimiter);
}

test('mlflow.db locked by a writer holding BEGIN EXCLUSIVE: the committed runs are still read', async (t) => {
  const python = requireTool(t, 'python3', 'apt-get install -y python3');
  if (!python) return;
  const dir = mkdtempSync(join(tmpdir(), 'mlops-locked-'));
  const db = join(dir, 'mlflow.db');
  copyFileSync(join(fixtures, 'mlflow.db'), db);
  const unlocked = new MlflowSqliteSource(db);
  const expected = await unlocked.listRuns();
  unlocked.dispose();
  const writer = spawn(
    python,
    [
      '-c',
      [
        'import sqlite3, sys',
        `c = sqlite3.connect(${JSON.stringify(db)}, isolation_level=None)`,
        'c.execute("BEGIN EXCLUSIVE")',
        'c.execute("UPDATE runs SET name = name || \'-changing\'")',
        "c.execute(\"INSERT INTO experiments (name, lifecycle_stage) VALUES ('half-written', 'active')\")",
        'print("locked", flush=True)',
        'sys.stdin.read()',
      ].join('\n'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      writer.on('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
    });
    assert.ok(existsSync(`${db}-journal`), 'the writer holds a rollback journal');
    const started = Date.now();
    const locked = new MlflowSqliteSource(db);
    const runs = await locked.listRuns();
    locked.dispose();
    console.log(`# locked mlflow.db: ${runs.length} runs read in ${Date.now() - started} ms while a writer held an exclusive lock`);
    assert.deepEqual(
      runs.map((r) => r.name),
      expected.map((r) => r.name),
      'the committed state, not the half-written one',
    );
  } finally {
    writer.stdin.end();
    await new Promise((resolve) => writer.on('close', resolve));
  }
});

test('a corrupt or truncated mlflow.db gives the reader its own one-sentence error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-corrupt-'));
  const original = readFileSync(join(fixtures, 'mlflow.db'));
  const cases: Array<[name: string, bytes: Buffer]> = [
    ['garbage header', Buffer.concat([Buffer.from('not a database at all'), original.subarray(21)])],
    ['cut in half', original.subarray(0, Math.floor(original.length / 2))],
    ['empty', Buffer.alloc(0)],
    ['zeroed schema page', Buffer.concat([original.subarray(0, 100), Buffer.alloc(4096 - 100), original.subarray(4096)])],
  ];
  for (const [name, bytes] of cases) {
    const db = join(dir, `${name.replace(/ /g, '-')}.db`);
    writeFileSync(db, bytes);
    const source = new MlflowSqliteSource(db);
    const { message, error } = await messageOf(source.listRuns());
    source.dispose();
    assert.ok(error instanceof SqliteFormatError || /not an MLflow store/.test(message), `${name}: ${String(error)}`);
    assertOneSentence(message);
    console.log(`# corrupt mlflow.db (${name}): ${message}`);
  }
});

test('a half-written metric file: the partial last line is skipped, the rest is read', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'mlops-mlruns-')), 'mlruns');
  cpSync(join(fixtures, 'mlruns'), root, { recursive: true });
  const source = new MlflowFileStoreSource(root);
  const runs = await source.listRuns();
  const run = runs.find((r) => Object.keys(r.metrics).length > 0);
  assert.ok(run, 'a run with metrics');
  const metric = Object.keys(run.metrics)[0] as string;
  const before = await source.metricHistory(run.id, metric);
  const file = readdirSync(root, { recursive: true, withFileTypes: true }).find(
    (e) => e.isFile() && e.name === metric && join(e.parentPath, e.name).includes(run.id.replace(/^mlflow:/, '')),
  );
  assert.ok(file);
  appendFileSync(join(file.parentPath, file.name), `${Date.now()} 0.12`);
  const after = await new MlflowFileStoreSource(root).metricHistory(run.id, metric);
  assert.deepEqual(after, before, 'the line still being written is not a point yet');
  const again = await new MlflowFileStoreSource(root).listRuns();
  assert.equal(again.find((r) => r.id === run.id)?.metrics[metric], run.metrics[metric]);
});

test('Git missing: the Git history source says so in one sentence', async () => {
  const project = copyExampleProject({ git: true });
  const saved = process.env.PATH;
  process.env.PATH = pathWithout('git');
  try {
    const { message } = await messageOf(new GitHistorySource({ cwd: project }).listRuns());
    console.log(`# git missing: ${message}`);
    assertOneSentence(message);
    assert.match(message, /Git is not installed/);
  } finally {
    process.env.PATH = saved;
  }
  const bad = await messageOf(new GitHistorySource({ cwd: project, gitPath: join(project, 'no-such-git') }).listRuns());
  assertOneSentence(bad.message);
});

test('DVC missing: the experiments source and the dvc runner say so; auto falls back to the built-in runner', async () => {
  const project = copyExampleProject({ git: false });
  const { message } = await messageOf(new DvcExperimentsSource({ cwd: project, dvcPath: join(project, 'no-such-dvc') }).listRuns());
  console.log(`# dvc missing (experiments): ${message}`);
  assertOneSentence(message);
  assert.match(message, /DVC is not installed/);

  const dir = mkdtempSync(join(tmpdir(), 'mlops-nodvc-'));
  mkdirSync(join(dir, '.dvc'));
  writeFileSync(join(dir, 'dvc.yaml'), 'stages:\n  hello:\n    cmd: echo hello > out.txt\n    outs:\n      - out.txt\n');
  const env = { ...process.env, PATH: pathWithout('dvc') };
  const refused = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), runner: 'dvc', env });
  console.log(`# dvc missing (runner): ${refused.message}`);
  assert.equal(refused.status, 'failed');
  assertOneSentence(refused.message);
  assert.match(refused.message ?? '', /DVC is not installed/);
  const auto = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), runner: 'auto', env });
  assert.equal(auto.runner, 'builtin');
  assert.equal(auto.status, 'finished', auto.message);
  assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'hello\n');
});

test('a dvc.yaml deleted while its built-in run is in flight: the run ends with a clear outcome', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-deleted-'));
  const go = join(dir, 'go');
  writeFileSync(
    join(dir, 'dvc.yaml'),
    [
      'stages:',
      '  first:',
      `    cmd: sh -c 'touch started; while [ ! -e ${go} ]; do sleep 0.05; done; echo one > one.txt'`,
      '    outs:',
      '      - one.txt',
      '  second:',
      '    cmd: cat one.txt > two.txt',
      '    deps:',
      '      - one.txt',
      '    outs:',
      '      - two.txt',
      '',
    ].join('\n'),
  );
  const running = runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), runner: 'builtin' });
  await waitFor('the first stage to start', () => (existsSync(join(dir, 'started')) ? true : undefined));
  rmSync(join(dir, 'dvc.yaml'));
  writeFileSync(go, '');
  const result = await running;
  console.log(`# dvc.yaml deleted mid-run: ${result.status}${result.message ? ` — ${result.message}` : ''}`);
  assert.ok(['finished', 'failed'].includes(result.status));
  if (result.status === 'failed') assertOneSentence(result.message);
  // The run lock is released, so the next run is not refused as "already running".
  assert.ok(!existsSync(join(dirname(join(dir, 'dvc.yaml')), '.mlops', 'run.lock')), 'the run lock is released');
  const next = await runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), runner: 'builtin' });
  assert.equal(next.status, 'failed');
  assertOneSentence(next.message);
  console.log(`# run of a deleted dvc.yaml: ${next.message}`);
});
