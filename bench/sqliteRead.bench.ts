/**
 * How fast the page-level SQLite reader reads an MLflow store, against Python's sqlite3 (C) on the
 * same file and MLflow's own search_runs. The store is made by MLflow (schema), then bulk-filled:
 * 2,000 runs × 20 metrics (latest_metrics), 10 steps each (metrics), 10 params, 5 tags.
 *
 *   npx esbuild bench/sqliteRead.bench.ts --bundle --platform=node --outfile=out/bench/sqliteRead.bench.js
 *   node out/bench/sqliteRead.bench.js [--runs 2000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowSqliteSource } from '../src/core/runs/mlflowSqliteSource';
import { SqliteDatabase } from '../src/core/sqlite/sqliteDatabase';
import { toolPath } from '../test/support/tools';

const RUNS = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 2000;
const REPEAT = 5;

const FILL = `
import sys, time, uuid, random, sqlite3, mlflow
path, runs = sys.argv[1], int(sys.argv[2])
mlflow.set_tracking_uri(f"sqlite:///{path}")
mlflow.set_experiment("bench")
with mlflow.start_run(run_name="schema"):
    mlflow.log_metric("m0", 0.0)
exp = mlflow.get_experiment_by_name("bench").experiment_id
db = sqlite3.connect(path)
now = int(time.time() * 1000)
for r in range(runs):
    run = uuid.uuid4().hex
    db.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', '', ?)", (run, f"run-{r}", now + r, now + r + 1000, exp))
    db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", [(f"p{i}", str(random.random()), run) for i in range(10)])
    db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", [(f"t{i}", "v" * 20, run) for i in range(5)])
    db.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, 9, 0, ?)", [(f"m{i}", random.random(), now, run) for i in range(20)])
    db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)", [(f"m{i}", random.random(), now + s, run, s) for i in range(20) for s in range(10)])
db.commit()
`;

const PY_TIMING = `
import sys, time, json, sqlite3, statistics, mlflow
path, repeat = sys.argv[1], int(sys.argv[2])
def median(f):
    times = []
    for _ in range(repeat):
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
def latest():
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = db.execute("SELECT key, value, timestamp, step, is_nan, run_uuid FROM latest_metrics").fetchall()
    db.close()
    return rows
mlflow.set_tracking_uri(f"sqlite:///{path}")
def search():
    return mlflow.search_runs(search_all_experiments=True, max_results=100000)
print(json.dumps({"latest": median(latest), "rows": len(latest()), "search": median(search), "searchRows": len(search())}))
`;

async function median(fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const python = toolPath('python');
  if (!python) throw new Error('python with mlflow is needed: npm run setup:python');
  const path = join(mkdtempSync(join(tmpdir(), 'mlops-bench-')), 'mlflow.db');
  const env = { ...process.env, GIT_PYTHON_REFRESH: 'quiet', MLFLOW_LOGGING_LEVEL: 'ERROR' };
  execFileSync(python, ['-c', FILL, path, String(RUNS)], { env, stdio: ['ignore', 'ignore', 'inherit'] });

  let rows = 0;
  const latest = await median(async () => {
    const db = await SqliteDatabase.open(path);
    rows = 0;
    await db.scan('latest_metrics', () => {
      rows++;
    });
    await db.close();
  });
  let runs = 0;
  const list = await median(async () => {
    const source = new MlflowSqliteSource(path);
    runs = (await source.listRuns()).length;
    source.dispose();
  });
  const py = JSON.parse(
    execFileSync(python, ['-c', PY_TIMING, path, String(REPEAT)], { env, encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1) ?? '{}',
  ) as {
    latest: number;
    rows: number;
    search: number;
    searchRows: number;
  };
  const heapMb = process.memoryUsage().rss / 1024 / 1024;
  console.log(`store: ${RUNS} runs; median of ${REPEAT}`);
  console.log(
    `latest_metrics (${rows} rows): this reader ${latest.toFixed(1)} ms, Python sqlite3 ${py.latest.toFixed(1)} ms (${py.rows} rows), ratio ${(latest / py.latest).toFixed(2)}`,
  );
  console.log(
    `all runs (${runs}): MlflowSqliteSource.listRuns ${list.toFixed(1)} ms, mlflow.search_runs ${py.search.toFixed(1)} ms (${py.searchRows}), ratio ${(list / py.search).toFixed(2)}`,
  );
  console.log(`node rss after the runs: ${heapMb.toFixed(0)} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
