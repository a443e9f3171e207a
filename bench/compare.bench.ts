/**
 * The compare panel's computations against the interactivity budget: building the diff table
 * (buildComparison) for 10 to 2,000 runs × 200 keys, the table again after a toggle (only changed,
 * a baseline, a sort, a filter), and reducing 2,000 histories of 10,000 steps to 500 buckets
 * (downsampleMinMax) for the charts.
 *
 * There is no peer to run on the same input: MLflow's run comparison happens in its web UI (React,
 * in a browser, against its server), so these are absolute times against the 100 ms a toggle or a
 * scroll may take. The runs are synthetic, generated in-process with a fixed seed.
 *
 *   npm run bench -- compare
 *   node out/bench/compare.bench.js [--repeat 7]
 */
import { buildComparison, downsampleMinMax, type ComparisonOptions } from '../src/core/compare';
import type { MetricPoint, Run } from '../src/core/runs/model';

const at = process.argv.indexOf('--repeat');
const REPEAT = Number(at >= 0 ? process.argv[at + 1] : process.env.MLOPS_BENCH_REPEAT) || 7;
const BUDGET_MS = 100;
const PARAMS = 100;
const METRICS = 80;
const TAGS = 20;

let seed = 7;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

/** Runs with 200 keys: most params shared (so "only changed" has work), metrics all different. */
function makeRuns(count: number): Run[] {
  return Array.from({ length: count }, (_, r) => {
    const params: Run['params'] = {};
    for (let i = 0; i < PARAMS; i++)
      params[`group${i % 10}.param_${i}`] = i % 4 === 0 ? Math.floor(random() * 10) : i % 4 === 1 ? `value-${i}` : i;
    const metrics: Run['metrics'] = {};
    for (let i = 0; i < METRICS; i++) metrics[i % 2 === 0 ? `val_loss_${i}` : `accuracy_${i}`] = random();
    const tags: Run['tags'] = {};
    for (let i = 0; i < TAGS; i++) tags[`tag_${i}`] = i === 0 ? `run-${r}` : `shared-${i}`;
    return {
      id: `mlflow:${r.toString(16).padStart(32, '0')}`,
      source: 'mlflow',
      experiment: 'bench',
      name: `run-${r}`,
      status: 'finished',
      params,
      metrics,
      tags,
    };
  });
}

/** Median time of `fn`, with `prepare` run before each repetition outside the timing. */
function time<T>(fn: (prepared: T) => unknown, prepare: () => T = () => undefined as T): number {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const prepared = prepare();
    const start = process.hrtime.bigint();
    fn(prepared);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}

function within(ms: number): string {
  return ms <= BUDGET_MS ? 'within' : 'OVER';
}

function main(): void {
  const verdicts: string[] = [];
  console.log(`compare: median of ${REPEAT}; budget ${BUDGET_MS} ms per interaction; no peer (see the header)`);
  for (const count of [10, 100, 1000, 2000]) {
    const runs = makeRuns(count);
    const middle = runs[Math.floor(count / 2)]?.id;
    const toggles: [string, ComparisonOptions][] = [
      ['only changed', { onlyChanged: true }],
      ['baseline', { baselineRunId: middle }],
      ['sort by a metric', { sort: { kind: 'metric', key: 'val_loss_0', descending: false } }],
      ['filter', { filter: 'loss' }],
      [
        'all at once',
        { onlyChanged: true, baselineRunId: middle, sort: { kind: 'metric', key: 'val_loss_0', descending: true }, filter: 'loss' },
      ],
    ];
    let rows = 0;
    // buildComparison keeps what does not depend on the options per runs array; a copy of the array
    // starts with nothing kept. The first build is timed on a fresh copy; each toggle on a copy
    // whose table was built once (as the panel's first render does), so it is the toggle's first time.
    const first = time(
      (fresh) => {
        rows = buildComparison(fresh).rows.length;
      },
      () => runs.slice(),
    );
    const toggled = toggles.map(([name, options]) => ({
      name,
      ms: time(
        (built) => buildComparison(built, options),
        () => {
          const copy = runs.slice();
          buildComparison(copy);
          return copy;
        },
      ),
    }));
    const parts = toggled.map((t) => `${t.name} ${t.ms.toFixed(1)}`);
    const worst = Math.max(first, ...toggled.map((t) => t.ms));
    console.log(
      `  buildComparison ${count} runs × ${PARAMS + METRICS + TAGS} keys (${rows} rows): ${first.toFixed(1)} ms; ${parts.join(', ')} ms`,
    );
    verdicts.push(`${count} runs ${worst.toFixed(1)} ms (${within(worst)})`);
  }

  // 2,000 histories of 10,000 steps each (20 million points) would need gigabytes at once; a pool of
  // distinct histories is reduced round-robin, which is the same work per history.
  const STEPS = 10_000;
  const HISTORIES = 2000;
  const pool: MetricPoint[][] = Array.from({ length: 50 }, () => {
    let value = 1;
    return Array.from({ length: STEPS }, (_, step) => {
      value = value * 0.999 + (random() - 0.5) * 0.01;
      return { step, timestamp: 1_700_000_000_000 + step * 1000, value };
    });
  });
  let kept = 0;
  const reduce = time(() => {
    kept = 0;
    for (let h = 0; h < HISTORIES; h++) kept += downsampleMinMax(pool[h % pool.length] ?? [], 500).length;
  });
  const perHistory = reduce / HISTORIES;
  console.log(
    `  downsampleMinMax ${HISTORIES} histories × ${STEPS} steps → 500 buckets: ${reduce.toFixed(0)} ms in all, ${perHistory.toFixed(3)} ms per history (${kept / HISTORIES} points kept each)`,
  );
  console.log(
    `SUMMARY compare: slowest table build or toggle: ${verdicts.join(', ')}; reducing one history ${perHistory.toFixed(3)} ms, all ${HISTORIES} ${reduce.toFixed(0)} ms (${within(reduce)} ${BUDGET_MS} ms)`,
  );
}

main();
