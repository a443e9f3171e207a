import type { Run } from '../runs/model';

function isRun(value: unknown): value is Run {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Run>;
  return typeof v.id === 'string' && typeof v.params === 'object' && typeof v.metrics === 'object';
}

function runOf(item: unknown): Run | undefined {
  if (isRun(item)) return item;
  const inner = typeof item === 'object' && item !== null ? (item as { run?: unknown }).run : undefined;
  return isRun(inner) ? inner : undefined;
}

/**
 * The runs in a "Compare Runs" command's arguments: a Run, an array of Runs, or tree items holding
 * one in `run`. A tree view passes the clicked item first and the whole selection second; the
 * selection wins. Duplicates are dropped, order is kept.
 */
export function runsFromCommandArguments(args: readonly unknown[]): Run[] {
  const selection = args[1];
  const candidates: readonly unknown[] =
    Array.isArray(selection) && selection.length > 0 ? selection : Array.isArray(args[0]) ? args[0] : args.slice(0, 1);
  const runs: Run[] = [];
  const seen = new Set<string>();
  for (const item of candidates) {
    const run = runOf(item);
    if (run && !seen.has(run.id)) {
      seen.add(run.id);
      runs.push(run);
    }
  }
  return runs;
}
