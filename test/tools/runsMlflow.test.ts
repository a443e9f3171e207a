import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MlflowRestSource } from '../../src/core/runs/mlflowRestSource';
import { MlflowSqliteSource } from '../../src/core/runs/mlflowSqliteSource';
import { repoRoot, requireTool, waitFor } from '../support/tools';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('MLflow run sources against real MLflow', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  });

  for (const journal of ['delete', 'wal'] as const) {
    it(`reads a store that MLflow is logging to right now (journal mode ${journal})`, { timeout: 120_000 }, async (t) => {
      const python = requireTool(t, 'python');
      if (!python) return;
      const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-live-'));
      const db = join(dir, 'mlflow.db');
      // A run that logs a metric every few milliseconds while the source reads the same file.
      const script = [
        'import sys, time, mlflow',
        `mlflow.set_tracking_uri("sqlite:///${db}")`,
        'mlflow.set_experiment("live")',
        // A store switched to WAL stays in WAL: MLflow then commits into mlflow.db-wal.
        ...(journal === 'wal' ? ['import sqlite3', `sqlite3.connect("${db}").execute("PRAGMA journal_mode=WAL").fetchall()`] : []),
        'with mlflow.start_run(run_name="writer"):',
        '    mlflow.log_param("big", "p" * 6000)',
        '    print("started", flush=True)',
        '    for step in range(400):',
        '        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)',
      ].join('\n');
      const child = spawn(python, ['-c', script], {
        env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      children.push(child);
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await waitFor('the writer to start its run', () => (stdout.includes('started') ? true : undefined), 60_000);
      const source = new MlflowSqliteSource(db);
      let reads = 0;
      let sawRunning = false;
      let sawWal = false;
      while (child.exitCode === null) {
        const runs = await source.listRuns();
        reads++;
        const writer = runs.find((r) => r.name === 'writer');
        assert.ok(writer, 'the live run is listed');
        assert.equal(String(writer.params.big).length, 6000);
        if (writer.status === 'running') sawRunning = true;
        if (existsSync(`${db}-wal`)) sawWal = true;
      }
      assert.equal(child.exitCode, 0);
      const [finished] = await source.listRuns();
      assert.equal(finished?.status, 'finished');
      assert.equal(finished?.metrics.loss, 1 / 400);
      assert.equal((await source.metricHistory(finished?.id ?? '', 'loss')).length, 400);
      assert.ok(reads > 1 && sawRunning, `read ${reads} times while the run was live`);
      assert.equal(sawWal, journal === 'wal');
      source.dispose();
    });
  }

  it('lists runs and histories from a real tracking server, page by page', { timeout: 180_000 }, async (t) => {
    const mlflow = requireTool(t, 'mlflow');
    if (!mlflow) return;
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-server-'));
    await fs.copyFile(join(repoRoot, 'test', 'fixtures', 'runs', 'mlflow.db'), join(dir, 'mlflow.db'));
    const port = await freePort();
    const server = spawn(
      mlflow,
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--backend-store-uri',
        `sqlite:///${join(dir, 'mlflow.db')}`,
        '--default-artifact-root',
        join(dir, 'artifacts'),
      ],
      { cwd: dir, stdio: 'ignore', detached: true },
    );
    children.push(server);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      'mlflow server to answer /health',
      async () => {
        if (server.exitCode !== null) throw new Error(`mlflow server exited with ${server.exitCode}`);
        return (
          (await fetch(`${base}/health`)
            .then((r) => r.ok)
            .catch(() => false)) || undefined
        );
      },
      120_000,
      250,
    );

    const source = new MlflowRestSource(base, { pageSize: 1 });
    const runs = await source.listRuns();
    assert.deepEqual(runs.map((r) => r.name).sort(), ['crashed', 'train@logreg', 'train@rf']);
    const rf = runs.find((r) => r.name === 'train@rf');
    assert.equal(rf?.params.n_estimators, 20);
    assert.equal(String(rf?.params.notes).length, 5000);
    assert.equal(rf?.experiment, 'wine-quality');
    assert.equal(rf?.commit, '0123456789abcdef0123456789abcdef01234567');
    const history = await source.metricHistory(rf?.id ?? '', 'accuracy');
    assert.deepEqual(
      history.map((p) => p.step),
      [0, 1, 2, 3, 4],
    );

    // The same store read directly agrees with the server.
    const direct = new MlflowSqliteSource(join(dir, 'mlflow.db'));
    const directRuns = await direct.listRuns();
    direct.dispose();
    assert.deepEqual(directRuns.map((r) => [r.id, r.metrics]).sort(), runs.map((r) => [r.id, r.metrics]).sort());

    if (server.pid) process.kill(-server.pid, 'SIGTERM');
    await waitFor('mlflow server to stop', () => (server.exitCode !== null || server.signalCode !== null ? true : undefined), 30_000);
    await assert.rejects(source.listRuns(), /is not reachable \(ECONNREFUSED\)/);
  });
});
