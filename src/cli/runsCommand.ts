import { resolve } from 'node:path';
import { discoverRunSources, listAllRuns } from '../core/runs/discovery';
import type { Run, RunSourceKind } from '../core/runs/model';
import { oneOf, parseArgs, UsageError } from './args';
import { runsCompareCommand, runsCompareUsage } from './runsCompareCommand';

const SOURCES = ['mlflow', 'dvc', 'git', 'workbench', 'all'] as const;

export const runsUsage = `mlops runs list [--source mlflow|dvc|git|workbench|all] [--experiment NAME] [--json]\n       ${runsCompareUsage}`;

/**
 * `mlops runs list`: every run the current folder's stores hold. A store that cannot be read is
 * reported on stderr and the others are still listed; exit 1 when a store named with --source, or
 * every store, failed.
 */
export async function runsCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'compare') return runsCompareCommand(rest, out);
  if (sub !== 'list') throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
  const args = parseArgs(rest, { options: ['source', 'experiment'], flags: ['json'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const source = oneOf(args.options.get('source')?.at(-1), SOURCES, 'source', 'all');
  const experiment = args.options.get('experiment')?.at(-1);
  const folder = resolve(process.cwd());

  const sources = await discoverRunSources(folder, {
    kinds: source === 'all' ? undefined : [source as RunSourceKind],
    dvcPath: process.env.MLOPS_DVC_PATH,
  });
  const { runs, failures } = await listAllRuns(sources);
  for (const s of sources) s.dispose?.();
  for (const failure of failures) process.stderr.write(`mlops runs: ${failure.source.label}: ${failure.error}\n`);
  const shown = experiment === undefined ? runs : runs.filter((r) => r.experiment === experiment);
  out(args.flags.has('json') ? renderJson(shown) : renderText(shown, sources.length));
  const failed = failures.length > 0 && (source !== 'all' || failures.length === sources.length);
  return failed ? 1 : 0;
}

export function renderJson(runs: Run[]): string {
  return JSON.stringify({
    runs: runs.map((r) => ({
      id: r.id,
      source: r.source,
      experiment: r.experiment,
      name: r.name,
      status: r.status,
      startTime: r.startTime ?? null,
      params: r.params,
      // NaN (a metric MLflow logged as NaN) has no JSON form: it prints as null.
      metrics: r.metrics,
      commit: r.commit ?? null,
    })),
  });
}

function renderText(runs: Run[], sourceCount: number): string {
  if (sourceCount === 0) return 'No run stores found here (mlflow.db, mlruns/, a DVC or Git repository, .mlops/runs).';
  if (runs.length === 0) return 'No runs found.';
  const rows = runs.map((r) => [
    r.id.length > 20 ? `${r.id.slice(0, 19)}…` : r.id,
    r.experiment,
    r.name.length > 40 ? `${r.name.slice(0, 39)}…` : r.name,
    r.status,
    r.startTime ? r.startTime.slice(0, 16).replace('T', ' ') : '',
    Object.entries(r.metrics)
      .slice(0, 3)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : Number(v.toPrecision(4))}`)
      .join(' '),
  ]);
  const header = ['ID', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED', 'METRICS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line), `${runs.length} run${runs.length === 1 ? '' : 's'}`].join('\n');
}
