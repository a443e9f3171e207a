/**
 * `mlops runs list --json --source mlflow` against MLflow's own `mlflow.search_runs()` on the same
 * SQLite store, in the same run: wall time and peak memory (maximum resident set size) of both
 * processes, and of ours again on a store with a tenth of the metric history. Then the Runs view's
 * first paint in-process, the way the tree asks for it (root children → the first experiment's
 * first page), against listing every run first as the view did before pages.
 *
 * The stores are made by bench/make-mlflow-store.py: MLflow creates the database by logging one
 * run, then its tables are bulk-filled (10,000 runs × 20 metrics × 100 steps = 20 million metric
 * rows by default). They are kept under bench/results/ and reused.
 *
 *   npm run bench -- runsList               (MLOPS_BENCH_RUNS=1000 for a quick run)
 *   node out/bench/runsList.bench.js [--runs 10000] [--steps 100] [--page 100] [--repeat 3]
 *
 * Goals (issue 5): at most a third of MLflow's time; memory that does not grow with the metric
 * history; the Runs view's first paint (source discovery + listing in-process) under 500 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discoverRunSources, listAllRuns } from '../src/core/runs/discovery';
import { pagerFor } from '../src/core/runs/runPages';
import { repoRoot, toolPath } from '../test/support/tools';

function option(name: string, env: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return Number(at >= 0 ? process.argv[at + 1] : process.env[env]) || fallback;
}

const RUNS = option('runs', 'MLOPS_BENCH_RUNS', 10000);
const REPEAT = option('repeat', 'MLOPS_BENCH_REPEAT', 3);
const METRICS = 20;
// The full benchmark uses 100 steps (a 4.8 GB store); first paint does not read the history, so
// --steps 10 measures it on a store made in seconds.
const STEPS = option('steps', 'MLOPS_BENCH_STEPS', 100);
const PAGE = option('page', 'MLOPS_BENCH_PAGE', 100);
const env = { ...process.env, GIT_PYTHON_REFRESH: 'quiet', MLFLOW_LOGGING_LEVEL: 'ERROR', DVC_NO_ANALYTICS: '1' };

const SEARCH = `
import sys, time, json, resource
started = time.perf_counter()
import mlflow
mlflow.set_tracking_uri("sqlite:///mlflow.db")
imported = time.perf_counter()
experiments = [e.experiment_id for e in mlflow.search_experiments()]
frame = mlflow.search_runs(experiment_ids=experiments, max_results=1_000_000)
searched = time.perf_counter()
print(json.dumps({"runs": len(frame), "importMs": (imported - started) * 1000, "searchMs": (searched - imported) * 1000,
                  "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

interface Measured {
  ms: number;
  maxRssMb: number;
  stdout: string;
}

/** Runs a process under /usr/bin/time -v: its wall time and its peak resident memory. */
function measure(cmd: string, args: string[], cwd: string): Measured {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1];
  return { ms, maxRssMb: Number(kb) / 1024, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The store for this size, made once (minutes at full size) and kept under bench/results/. */
function store(python: string, steps: number, runs = RUNS): string {
  const dir = resolve(repoRoot, 'bench', 'results', `mlflow-${runs}x${METRICS}x${steps}`);
  const db = join(dir, 'mlflow.db');
  if (existsSync(db)) return dir;
  mkdirSync(dir, { recursive: true });
  console.log(`making the store: ${runs} runs × ${METRICS} metrics × ${steps} steps (once; kept in ${dir})…`);
  const script = join(repoRoot, 'bench', 'make-mlflow-store.py');
  const made = spawnSync(python, [script, `${db}.tmp`, '--runs', String(runs), '--metrics', String(METRICS), '--steps', String(steps)], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (made.status !== 0) throw new Error(`the store could not be made (exit ${made.status})`);
  renameSync(`${db}.tmp`, db);
  return dir;
}

function ours(dir: string): Measured & { runs: number } {
  const m = measure(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'runs', 'list', '--json', '--source', 'mlflow'], dir);
  return { ...m, runs: (JSON.parse(m.stdout) as { runs: unknown[] }).runs.length };
}

function theirs(python: string, dir: string): Measured & { runs: number; searchMs: number; importMs: number } {
  const m = measure(python, ['-c', SEARCH], dir);
  const line = JSON.parse(m.stdout.trim().split('\n').at(-1) ?? '{}') as { runs: number; searchMs: number; importMs: number };
  return { ...m, ...line };
}

/**
 * The Runs view's first paint as the tree makes it: the view asks for its root children (find the
 * stores, read each source's experiments with their counts), then for the first experiment's
 * children (its first page of runs, with their params, metrics and tags).
 */
async function pagedFirstPaint(dir: string): Promise<{ ms: number; cpuMs: number; experiments: number; shown: number; total: number }> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const sources = await discoverRunSources(dir, { kinds: ['mlflow'] });
  const pagers = sources.map((source) => pagerFor(source));
  const experiments = await Promise.all(pagers.map((pager) => pager.experiments()));
  const first = experiments[0]?.[0];
  const page = first ? await pagers[0]?.page(first.name, PAGE) : undefined;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuMs = cpuSince(cpu);
  for (const s of sources) s.dispose?.();
  if (!page || page.runs.length === 0) throw new Error(`no runs in the first page of ${dir}`);
  // Every bulk-filled run has all its metrics; the one MLflow logged itself has one.
  if (!page.runs.some((run) => Object.keys(run.metrics).length === METRICS))
    throw new Error('the first page has runs without their metrics');
  return {
    ms,
    cpuMs,
    experiments: experiments.flat().length,
    shown: page.runs.length,
    total: experiments.flat().reduce((n, e) => n + e.runs, 0),
  };
}

/** The first paint before pages: find the stores and list every run in-process. */
async function listingFirstPaint(dir: string): Promise<{ ms: number; cpuMs: number; runs: number }> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const sources = await discoverRunSources(dir, { kinds: ['mlflow'] });
  const listed = await listAllRuns(sources);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuMs = cpuSince(cpu);
  for (const s of sources) s.dispose?.();
  if (listed.failures.length > 0) throw new Error(listed.failures.map((f) => f.error).join('; '));
  return { ms, cpuMs, runs: listed.runs.length };
}

/** CPU time of this process (user + system) since `from`, in ms: less swayed by other processes than wall time. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
}

/** One first paint measured in a new Node process running this file with --first-paint. */
function inFreshProcess<K extends 'paged' | 'listing'>(
  kind: K,
  dir: string,
): K extends 'paged' ? Awaited<ReturnType<typeof pagedFirstPaint>> : Awaited<ReturnType<typeof listingFirstPaint>> {
  const result = spawnSync(process.execPath, [process.argv[1] ?? '', '--first-paint', kind, dir], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`the ${kind} first paint failed: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
}

async function main(): Promise<void> {
  const child = process.argv.indexOf('--first-paint');
  if (child >= 0) {
    const [kind, dir] = process.argv.slice(child + 1);
    console.log(JSON.stringify(kind === 'paged' ? await pagedFirstPaint(dir ?? '.') : await listingFirstPaint(dir ?? '.')));
    return;
  }
  const python = toolPath('python');
  if (!python) throw new Error('python with mlflow is needed: npm run setup:python');
  if (!existsSync(join(repoRoot, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: node scripts/build.mjs');
  const full = store(python, STEPS);
  const tenth = store(python, Math.max(1, STEPS / 10));
  const fewerRuns = store(python, Math.max(1, STEPS / 10), Math.max(1, Math.round(RUNS / 10)));

  const ourRuns: ReturnType<typeof ours>[] = [];
  const pyRuns: ReturnType<typeof theirs>[] = [];
  for (let i = 0; i < REPEAT; i++) {
    ourRuns.push(ours(full));
    pyRuns.push(theirs(python, full));
  }
  const small = Array.from({ length: REPEAT }, () => ours(tenth));

  // The Runs view's first paint, alternately paged (now) and listing every run (before pages),
  // each in a fresh Node process: cold, as right after the extension activates.
  const paged: Awaited<ReturnType<typeof pagedFirstPaint>>[] = [];
  const listing: Awaited<ReturnType<typeof listingFirstPaint>>[] = [];
  const pagedTenth: number[] = [];
  const pagedFewer: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    paged.push(inFreshProcess('paged', full));
    listing.push(inFreshProcess('listing', full));
    pagedTenth.push(inFreshProcess('paged', tenth).ms);
    pagedFewer.push(inFreshProcess('paged', fewerRuns).ms);
  }
  // And in this process after those, warm (the view refreshing).
  const warm: number[] = [];
  for (let i = 0; i < REPEAT; i++) warm.push((await pagedFirstPaint(full)).ms);
  const firstPaint = median(paged.map((p) => p.ms));
  const before = median(listing.map((p) => p.ms));
  const shown = paged[0];

  const ourMs = median(ourRuns.map((r) => r.ms));
  const pyMs = median(pyRuns.map((r) => r.ms));
  const searchMs = median(pyRuns.map((r) => r.searchMs));
  const ourRss = Math.max(...ourRuns.map((r) => r.maxRssMb));
  const smallRss = Math.max(...small.map((r) => r.maxRssMb));
  const pyRss = Math.max(...pyRuns.map((r) => r.maxRssMb));
  const runs = ourRuns[0]?.runs ?? 0;
  const same = runs === pyRuns[0]?.runs;

  console.log(`runsList: ${RUNS} runs × ${METRICS} metrics × ${STEPS} steps (+1 run MLflow logged), median of ${REPEAT}, page ${PAGE}`);
  console.log(`  mlops runs list --json: ${ourMs.toFixed(0)} ms, peak RSS ${ourRss.toFixed(0)} MB, ${runs} runs`);
  console.log(
    `  mlflow.search_runs:     ${pyMs.toFixed(0)} ms for the process (import ${median(pyRuns.map((r) => r.importMs)).toFixed(0)} ms, search ${searchMs.toFixed(0)} ms), peak RSS ${pyRss.toFixed(0)} MB, ${pyRuns[0]?.runs} runs`,
  );
  console.log(`  ours / MLflow: ${(ourMs / pyMs).toFixed(3)} of the process time, ${(ourMs / searchMs).toFixed(3)} of search_runs alone`);
  console.log(
    `  ours at a tenth of the history (${STEPS / 10} steps): ${median(small.map((r) => r.ms)).toFixed(0)} ms, peak RSS ${smallRss.toFixed(0)} MB (full history: ${ourRss.toFixed(0)} MB)`,
  );
  console.log(
    `  Runs view first paint, cold in a fresh process (root children → first page of ${shown?.shown} of ${shown?.total} runs, ${shown?.experiments} experiment(s)): ${firstPaint.toFixed(0)} ms (each: ${paged.map((p) => p.ms.toFixed(0)).join(', ')}; CPU ${median(paged.map((p) => p.cpuMs)).toFixed(0)} ms)`,
  );
  console.log(
    `  before pages (every run listed first, ${listing[0]?.runs} runs): ${before.toFixed(0)} ms; paged / listing ${(firstPaint / before).toFixed(3)} (each: ${listing.map((p) => p.ms.toFixed(0)).join(', ')}; CPU ${median(listing.map((p) => p.cpuMs)).toFixed(0)} ms)`,
  );
  console.log(
    `  first paint at a tenth of the history: ${median(pagedTenth).toFixed(0)} ms; with a tenth of the runs (${Math.round(RUNS / 10)}): ${median(pagedFewer).toFixed(0)} ms; warm, in one process: ${median(warm).toFixed(0)} ms`,
  );
  if (!same) console.log(`  MISMATCH: ours lists ${runs} runs, MLflow ${pyRuns[0]?.runs}`);
  const growth = ourRss / smallRss;
  const goals = [
    `time ${(ourMs / searchMs).toFixed(3)} of search_runs alone, ${(ourMs / pyMs).toFixed(3)} of MLflow's process (goal ≤ 0.333: ${ourMs / searchMs <= 1 / 3 ? 'met' : 'NOT met'})`,
    `peak RSS ${ourRss.toFixed(0)} MB vs MLflow ${pyRss.toFixed(0)} MB; ${smallRss.toFixed(0)} MB at 1/10 history (${growth <= 1.2 ? 'does not grow' : 'GROWS'})`,
    `first paint ${firstPaint.toFixed(0)} ms cold (slowest ${Math.max(...paged.map((p) => p.ms)).toFixed(0)} ms), ${(firstPaint / before).toFixed(3)} of listing every run (goal < 500 ms: ${firstPaint < 500 ? 'met' : 'NOT met'})`,
  ];
  console.log(`SUMMARY runsList: ${goals.join('; ')}${same ? '' : '; MISMATCH'}`);
  if (!same) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
