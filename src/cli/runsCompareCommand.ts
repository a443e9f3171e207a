import { resolve } from 'node:path';
import { buildComparison, formatDelta, formatValue, toCsv, toMarkdown, type Comparison } from '../core/compare';
import { discoverRunSources, listAllRuns } from '../core/runs/discovery';
import type { Run } from '../core/runs/model';
import { oneOf, parseArgs, UsageError } from './args';

const FORMATS = ['table', 'json', 'csv', 'markdown'] as const;

export const runsCompareUsage = 'mlops runs compare ID... [--format table|json|csv|markdown] [--only-changed] [--baseline ID]';

/**
 * `mlops runs compare`: the compare panel's diff table on the command line. A run is named by its
 * id (`git:1a2b3c4`, `mlflow:3f2a…`), a unique prefix of it, its native id, or its name.
 */
export async function runsCompareCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const args = parseArgs(argv, { options: ['format', 'baseline'], flags: ['only-changed', 'json'] });
  if (args.positionals.length < 2) throw new UsageError('name at least two runs to compare');
  const format = args.flags.has('json') ? 'json' : oneOf(args.options.get('format')?.at(-1), FORMATS, 'format', 'table');
  const sources = await discoverRunSources(resolve(process.cwd()), { dvcPath: process.env.MLOPS_DVC_PATH });
  const { runs, failures } = await listAllRuns(sources);
  for (const s of sources) s.dispose?.();
  for (const failure of failures) process.stderr.write(`mlops runs: ${failure.source.label}: ${failure.error}\n`);

  const picked: Run[] = [];
  for (const name of args.positionals) {
    const matches = findRuns(runs, name);
    if (matches.length === 0) {
      process.stderr.write(`mlops runs compare: no run '${name}' here; list them with mlops runs list.\n`);
      return 1;
    }
    if (matches.length > 1) {
      process.stderr.write(
        `mlops runs compare: '${name}' names ${matches.length} runs (${matches
          .slice(0, 3)
          .map((r) => r.id)
          .join(', ')}…); give more of the id.\n`,
      );
      return 1;
    }
    picked.push(matches[0] as Run);
  }
  const baselineName = args.options.get('baseline')?.at(-1);
  const baseline = baselineName === undefined ? undefined : findRuns(picked, baselineName)[0];
  if (baselineName !== undefined && !baseline) throw new UsageError(`the baseline '${baselineName}' is not one of the compared runs`);
  const comparison = buildComparison(picked, { onlyChanged: args.flags.has('only-changed'), baselineRunId: baseline?.id });
  out(render(comparison, format));
  return 0;
}

function findRuns(runs: readonly Run[], name: string): Run[] {
  const exact = runs.filter((r) => r.id === name || r.id.slice(r.id.indexOf(':') + 1) === name);
  if (exact.length > 0) return exact;
  const byPrefix = runs.filter((r) => r.id.startsWith(name) || r.id.slice(r.id.indexOf(':') + 1).startsWith(name));
  if (byPrefix.length > 0) return byPrefix;
  return runs.filter((r) => r.name === name);
}

function render(comparison: Comparison, format: (typeof FORMATS)[number]): string {
  if (format === 'csv') return toCsv(comparison).trimEnd();
  if (format === 'markdown') return toMarkdown(comparison).trimEnd();
  if (format === 'json') {
    return JSON.stringify({
      runs: comparison.runs,
      rows: comparison.rows.map((row) => ({
        kind: row.kind,
        key: row.key,
        values: row.values.map((v) => (v === undefined ? null : v)),
        changed: row.changed,
        best: row.best.map((i) => comparison.runs[i]?.id),
        ...(row.deltas ? { deltas: row.deltas.map((d) => d ?? null) } : {}),
      })),
    });
  }
  const header = ['', ...comparison.runs.map((r) => r.name || r.id)];
  const lines = comparison.rows.map((row) => [
    `${row.kind} ${row.key}`,
    ...row.values.map((v, i) => {
      const delta = row.deltas?.[i];
      const mark = row.best.includes(i) ? ' *' : '';
      return `${formatValue(v)}${delta && i !== comparison.baselineIndex ? ` (${formatDelta(delta)})` : ''}${mark}`;
    }),
  ]);
  const table = [header, ...lines];
  const widths = header.map((_, c) => Math.min(40, Math.max(...table.map((row) => (row[c] ?? '').length))));
  const text = table
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const hidden = comparison.totalRows - comparison.rows.length;
  return `${text}${comparison.rows.some((r) => r.best.length > 0) ? '\n* best value of the metric' : ''}${hidden > 0 ? `\n(${hidden} unchanged rows hidden)` : ''}`;
}
