import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runsCommand } from '../../../src/cli/runsCommand';
import { discoverRunSources, listAllRuns, sourceForTrackingUri } from '../../../src/core/runs/discovery';
import { MlflowRestSource } from '../../../src/core/runs/mlflowRestSource';
import { MlflowSqliteSource } from '../../../src/core/runs/mlflowSqliteSource';
import { writeRunRecord } from '../../../src/core/runs/runRecord';
import { WorkbenchRunsSource } from '../../../src/core/runs/workbenchRunsSource';
import { repoRoot } from '../../support/tools';

const fixtures = join(repoRoot, 'test', 'fixtures', 'runs');

/** A folder (outside any Git repository) with an MLflow store, a broken copy, a file store and run records. */
async function workspace(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-runs-'));
  await fs.copyFile(join(fixtures, 'mlflow.db'), join(dir, 'mlflow.db'));
  await fs.mkdir(join(dir, 'broken'));
  await fs.writeFile(join(dir, 'broken', 'mlflow.db'), 'not a database');
  await fs.cp(join(fixtures, 'mlruns'), join(dir, 'legacy', 'mlruns'), { recursive: true });
  await writeRunRecord(dir, {
    id: '20260101-120000-train',
    pipeline: 'dvc.yaml',
    stages: ['train@rf', 'evaluate'],
    startTime: '2026-01-01T12:00:00.000Z',
    endTime: '2026-01-01T12:01:00.000Z',
    status: 'finished',
    exitCode: 0,
    params: { split: { test_size: 0.3 } } as never,
    metrics: { accuracy: 0.97 },
    commit: 'abc1234',
    logFile: '.mlops/runs/20260101-120000-train.log',
  });
  await fs.writeFile(join(dir, '.mlops', 'runs', 'half-written.json'), '{"id": "x", "sta');
  return dir;
}

async function runCli(cwd: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed: string[] = [];
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const previous = process.cwd();
  process.chdir(cwd);
  process.stderr.write = ((chunk: string) => {
    errors.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runsCommand(argv, (t) => printed.push(t));
    return { code, stdout: printed.join('\n'), stderr: errors.join('') };
  } finally {
    process.stderr.write = write;
    process.chdir(previous);
  }
}

describe('run source discovery', () => {
  it('finds every store, and a broken one fails alone with its sentence', async () => {
    const dir = await workspace();
    const sources = await discoverRunSources(dir, { env: {} });
    assert.deepEqual(sources.map((s) => `${s.kind}:${s.label}`).sort(), [
      'mlflow:broken/mlflow.db',
      'mlflow:legacy/mlruns/',
      'mlflow:mlflow.db',
      'workbench:Runs started here',
    ]);
    const { runs, failures } = await listAllRuns(sources);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.source.label, 'broken/mlflow.db');
    assert.equal(failures[0]?.error, 'mlflow.db is not a readable SQLite database: the file does not start with the SQLite header.');
    assert.equal(runs.filter((r) => r.source === 'mlflow').length, 6);
    const workbench = runs.find((r) => r.source === 'workbench');
    assert.equal(workbench?.name, 'train@rf, evaluate');
    assert.equal(workbench?.params['split.test_size'], 0.3);
    assert.equal(workbench?.metrics.accuracy, 0.97);
    for (const s of sources) s.dispose?.();
  });

  it('skips a half-written run record and says so', async () => {
    const dir = await workspace();
    const source = new WorkbenchRunsSource(dir);
    const runs = await source.listRuns();
    assert.deepEqual(
      runs.map((r) => r.id),
      ['workbench:20260101-120000-train'],
    );
    assert.equal(source.problems.length, 1);
    assert.match(source.problems[0] ?? '', /^\.mlops\/runs\/half-written\.json was skipped: /);
  });

  it('turns tracking URIs into the right source', () => {
    assert.ok(sourceForTrackingUri('http://127.0.0.1:5000', '/w') instanceof MlflowRestSource);
    const sqlite = sourceForTrackingUri('sqlite:///mlflow.db', '/w');
    assert.ok(sqlite instanceof MlflowSqliteSource);
    assert.equal(sqlite.path, '/w/mlflow.db');
    assert.equal((sourceForTrackingUri('sqlite:////data/m.db', '/w') as MlflowSqliteSource).path, '/data/m.db');
    assert.equal(sourceForTrackingUri('file:./mlruns', '/w')?.label, 'mlruns/');
    assert.equal(sourceForTrackingUri('databricks', '/w'), undefined);
  });
});

describe('mlops runs list', () => {
  it('prints the contract JSON and exits 0 when some stores still read', async () => {
    const dir = await workspace();
    const { code, stdout, stderr } = await runCli(dir, ['list', '--json']);
    assert.equal(code, 0);
    assert.match(stderr, /^mlops runs: broken\/mlflow\.db: mlflow\.db is not a readable SQLite database: /);
    const out = JSON.parse(stdout) as { runs: Record<string, unknown>[] };
    assert.equal(out.runs.length, 7);
    const rf = out.runs.find((r) => r.name === 'train@rf');
    assert.deepEqual(Object.keys(rf ?? {}), ['id', 'source', 'experiment', 'name', 'status', 'startTime', 'params', 'metrics', 'commit']);
    assert.equal((rf?.params as Record<string, unknown>).max_depth, 2);
  });

  it('filters by source and experiment, and exits 1 when the chosen store fails', async () => {
    const dir = await workspace();
    const workbench = await runCli(dir, ['list', '--source', 'workbench', '--json']);
    assert.deepEqual(
      (JSON.parse(workbench.stdout) as { runs: { source: string }[] }).runs.map((r) => r.source),
      ['workbench'],
    );
    const mlflow = await runCli(dir, ['list', '--source', 'mlflow', '--experiment', 'wine-quality']);
    assert.equal(mlflow.code, 1);
    assert.match(mlflow.stdout, /^ID +EXPERIMENT +NAME +STATUS +STARTED +METRICS$/m);
    assert.match(mlflow.stdout, /^6 runs$/m);
    assert.doesNotMatch(mlflow.stdout, /train@rf, evaluate/);
    await assert.rejects(runCli(dir, ['list', '--source', 'wandb']), /--source must be one of mlflow, dvc, git, workbench, all/);
  });
});
