import type { Run } from './model';

/**
 * The Runs view's filter: plain words match the run's name, id, experiment or status; conditions
 * like `metrics.rmse < 0.8`, `params.model == rf` or `tags.stage != train` test one value. Terms
 * are joined with `and` (or just spaces); every term must hold.
 */
export interface RunFilter {
  text: string;
  test(run: Run): boolean;
}

type Condition = { kind: 'metrics' | 'params' | 'tags'; key: string; op: Operator; value: string };
type Operator = '<' | '<=' | '>' | '>=' | '==' | '=' | '!=';

const CONDITION = /^(metrics|params|tags|metric|param|tag)\.([^\s<>=!]+)\s*(<=|>=|==|!=|<|>|=)\s*(?:"([^"]*)"|'([^']*)'|([^\s<>=!]\S*))/;

/** Parses a filter; a condition that cannot be read is reported instead of silently matching nothing. */
export function parseRunFilter(input: string): RunFilter | { error: string } {
  const conditions: Condition[] = [];
  const words: string[] = [];
  let rest = input.trim();
  while (rest.length > 0) {
    const joiner = /^(and|&&)\s+/i.exec(rest);
    if (joiner) {
      rest = rest.slice(joiner[0].length);
      continue;
    }
    const match = CONDITION.exec(rest);
    if (match) {
      const kind = (match[1]!.endsWith('s') ? match[1] : `${match[1]}s`) as Condition['kind'];
      conditions.push({ kind, key: match[2]!, op: match[3] as Operator, value: match[4] ?? match[5] ?? match[6] ?? '' });
      rest = rest.slice(match[0].length).trimStart();
      continue;
    }
    if (/^(metrics?|params?|tags?)\.\S*\s*[<>=!]/.test(rest)) {
      return {
        error: `"${rest.split(/\s+and\s+/i)[0]}" is not a condition I can read: write it like metrics.rmse < 0.8 or params.model == rf.`,
      };
    }
    const word = /^\S+/.exec(rest)![0];
    words.push(word.toLowerCase());
    rest = rest.slice(word.length).trimStart();
  }
  return {
    text: input.trim(),
    test: (run) =>
      words.every((w) => [run.name, run.id, run.experiment, run.status].some((field) => field.toLowerCase().includes(w))) &&
      conditions.every((c) => holds(run, c)),
  };
}

function holds(run: Run, condition: Condition): boolean {
  const bag: Record<string, unknown> = condition.kind === 'metrics' ? run.metrics : condition.kind === 'params' ? run.params : run.tags;
  if (!Object.prototype.hasOwnProperty.call(bag, condition.key)) return false;
  const actual = bag[condition.key];
  const wanted = Number(condition.value);
  const numeric = typeof actual === 'number' && condition.value.trim() !== '' && Number.isFinite(wanted);
  switch (condition.op) {
    case '<':
      return numeric && (actual as number) < wanted;
    case '<=':
      return numeric && (actual as number) <= wanted;
    case '>':
      return numeric && (actual as number) > wanted;
    case '>=':
      return numeric && (actual as number) >= wanted;
    case '==':
    case '=':
      return numeric ? actual === wanted : String(actual) === condition.value;
    case '!=':
      return numeric ? actual !== wanted : String(actual) !== condition.value;
  }
}

export interface RunSort {
  /** `startTime`, `name`, or a metric name. */
  key: string;
  descending: boolean;
}

/** Sorts runs by start time, name or a metric; runs without the metric go last. */
export function sortRuns(runs: readonly Run[], sort: RunSort): Run[] {
  const sign = sort.descending ? -1 : 1;
  const value = (run: Run): number | string | undefined =>
    sort.key === 'startTime' ? run.startTime : sort.key === 'name' ? run.name : run.metrics[sort.key];
  return [...runs].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === undefined || (typeof x === 'number' && Number.isNaN(x))) return y === undefined ? 0 : 1;
    if (y === undefined || (typeof y === 'number' && Number.isNaN(y))) return -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y), undefined, { numeric: true });
  });
}
