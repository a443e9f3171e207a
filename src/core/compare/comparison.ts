import type { ParamValue, Run } from '../runs/model';
import { inferMetricDirection, type MetricDirection } from './metricDirection';

export type ComparisonRowKind = 'param' | 'metric' | 'tag';

/** A cell of the diff table; undefined (in `values`) means the run has no such key. */
export type ComparisonValue = ParamValue;

export interface ComparisonDelta {
  /** value − baseline value. */
  absolute: number;
  /** Change relative to |baseline| in percent; null when the baseline is 0. */
  percent: number | null;
}

export interface ComparisonRow {
  kind: ComparisonRowKind;
  key: string;
  /** One value per column of `Comparison.runs`, in that order; undefined when the run lacks the key. */
  values: readonly (ComparisonValue | undefined)[];
  /** False when every run has the same value (and every run has the key). */
  changed: boolean;
  /** Metric rows: the direction used to mark the best value (override, else inferred from the name). */
  direction?: MetricDirection;
  /** Metric rows: where the direction came from. */
  directionSource?: 'name' | 'user';
  /** Columns holding the best value (ties mark every one); empty when nothing can be ranked. */
  best: number[];
  /** With a baseline: the change of each numeric value against the baseline's; undefined elsewhere. */
  deltas?: (ComparisonDelta | undefined)[];
}

export interface ComparisonColumn {
  id: string;
  name: string;
  source: Run['source'];
  status: Run['status'];
}

export interface ComparisonSort {
  kind: ComparisonRowKind;
  key: string;
  descending: boolean;
}

export interface ComparisonOptions {
  /** Keep only rows whose value differs between runs. */
  onlyChanged?: boolean;
  /** The run the others are compared with; it becomes the first column. */
  baselineRunId?: string;
  /** Per-metric direction chosen by the user, overriding the one inferred from the name. */
  directions?: Record<string, MetricDirection>;
  /** Case-insensitive text the row key (or `kind:key`) must contain. */
  filter?: string;
  /** Row kinds to show; all when absent. */
  kinds?: ComparisonRowKind[];
  /** Order the runs by one key's value (runs without the key go last); otherwise input order. */
  sort?: ComparisonSort;
  /** Runs to leave out of the table. */
  hiddenRunIds?: string[];
}

export interface Comparison {
  runs: ComparisonColumn[];
  /** The baseline's column (always 0 when set), or undefined. */
  baselineIndex?: number;
  rows: ComparisonRow[];
  /** Rows before only-changed and the filter were applied. */
  totalRows: number;
}

function sameValue(a: ComparisonValue | undefined, b: ComparisonValue | undefined): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

const collator = new Intl.Collator(undefined, { numeric: true });

function compareValues(a: ComparisonValue | undefined, b: ComparisonValue | undefined): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a - b;
  }
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  // The same order as localeCompare(…, { numeric: true }), without building a collator per call.
  return collator.compare(String(a), String(b));
}

/** Positions (in the given values) of the best value; ties mark every one, identical values none. */
function bestColumns(values: readonly (ComparisonValue | undefined)[], direction: MetricDirection): number[] {
  let best: number | undefined;
  let at: number[] = [];
  let finite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    finite++;
    if (best === undefined || (direction === 'min' ? v < best : v > best)) {
      best = v;
      at = [i];
    } else if (v === best) at.push(i);
  }
  // A best among identical values tells nothing.
  return at.length === finite && at.length > 1 ? [] : at;
}

function deltasAgainst(values: readonly (ComparisonValue | undefined)[], baseline: number): (ComparisonDelta | undefined)[] {
  return values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(baseline)) return undefined;
    const absolute = v - baseline;
    return { absolute, percent: baseline === 0 ? null : (absolute / Math.abs(baseline)) * 100 };
  });
}

/**
 * Sets `row.deltas` as a property computed on first read and then kept: the panel reads the deltas of
 * the rows on screen only, so choosing a baseline for 2,000 runs × 200 keys does not make 400,000
 * delta objects up front. Exports, the CLI and `postMessage` (which reads every property) see the
 * same array an eager computation would make.
 */
function defineLazyDeltas(row: ComparisonRow, values: readonly (ComparisonValue | undefined)[], baseline: number): void {
  Object.defineProperty(row, 'deltas', {
    configurable: true,
    enumerable: true,
    get(): (ComparisonDelta | undefined)[] {
      const deltas = deltasAgainst(values, baseline);
      Object.defineProperty(row, 'deltas', { value: deltas, configurable: true, enumerable: true, writable: true });
      return deltas;
    },
    set(value: (ComparisonDelta | undefined)[] | undefined) {
      Object.defineProperty(row, 'deltas', { value, configurable: true, enumerable: true, writable: true });
    },
  });
}

/**
 * The diff table of runs: one row per param, metric and tag key found in any run, one column per
 * run. Pure and deterministic, so the panel, the CLI and the exports all agree.
 *
 * Everything that does not depend on the options (the key matrix, whether a row differs, the best
 * runs of a metric, the run order of a sort) is computed once per runs array and kept, so a toggle
 * only re-orders columns and picks rows.
 */
export function buildComparison(allRuns: readonly Run[], options: ComparisonOptions = {}): Comparison {
  const hidden = new Set(options.hiddenRunIds ?? []);
  const cache = cacheOf(allRuns);
  // Columns are indexes into allRuns, so the key matrix (the costly part) is built once per runs array.
  let order = options.sort ? sortedOrder(allRuns, cache, options.sort).slice() : allRuns.map((_, i) => i);
  if (hidden.size > 0) order = order.filter((i) => !hidden.has((allRuns[i] as Run).id));

  let baselineIndex: number | undefined;
  if (options.baselineRunId !== undefined) {
    const at = order.findIndex((i) => allRuns[i]?.id === options.baselineRunId);
    if (at >= 0) {
      const [baseline] = order.splice(at, 1);
      if (baseline !== undefined) order.unshift(baseline);
      baselineIndex = 0;
    }
  }
  const identity = order.length === allRuns.length && order.every((v, i) => v === i);
  // Where each run (by its index in allRuns) sits among the columns, to place cached best runs.
  let columnOf: Int32Array | undefined;
  const columnsOf = (runIndexes: readonly number[]): number[] => {
    if (identity) return runIndexes.slice();
    if (!columnOf) {
      columnOf = new Int32Array(allRuns.length).fill(-1);
      order.forEach((runIndex, column) => ((columnOf as Int32Array)[runIndex] = column));
    }
    const at = columnOf;
    return runIndexes.map((i) => at[i] as number).sort((a, b) => a - b);
  };

  const filter = options.filter?.trim().toLowerCase() ?? '';
  const rows: ComparisonRow[] = [];
  let totalRows = 0;
  for (const column of cache.matrix) {
    const { kind, key } = column;
    if (options.kinds && !options.kinds.includes(kind)) continue;
    let values: readonly (ComparisonValue | undefined)[] | undefined;
    const ordered = (): readonly (ComparisonValue | undefined)[] => {
      if (!values) {
        const all = column.values;
        if (identity) values = all;
        else {
          const picked = new Array<ComparisonValue | undefined>(order.length);
          for (let c = 0; c < order.length; c++) picked[c] = all[order[c] as number];
          values = picked;
        }
      }
      return values;
    };
    if (hidden.size > 0 && ordered().every((v) => v === undefined)) continue;
    totalRows++;
    if (filter && !column.lowerKey.includes(filter) && !column.lowerKindKey.includes(filter)) continue;
    // Whether the row differs does not depend on the column order; with hidden runs it is asked again.
    const changed = hidden.size > 0 ? differs(ordered()) : column.changed;
    if (options.onlyChanged && !changed) continue;
    const row: ComparisonRow = { kind, key, values: ordered(), changed, best: [] };
    if (kind === 'metric') {
      const chosen = options.directions?.[key];
      const direction = chosen ?? column.inferred;
      if (direction) {
        row.direction = direction;
        row.directionSource = chosen ? 'user' : 'name';
        row.best = hidden.size > 0 ? bestColumns(row.values, direction) : columnsOf(bestRunsOf(column, direction));
      }
    }
    const base = baselineIndex === undefined ? undefined : row.values[baselineIndex];
    if (typeof base === 'number' && kind !== 'tag') defineLazyDeltas(row, row.values, base);
    rows.push(row);
  }

  return {
    runs: order.map((i) => {
      const r = allRuns[i] as Run;
      return { id: r.id, name: r.name, source: r.source, status: r.status };
    }),
    ...(baselineIndex === undefined ? {} : { baselineIndex }),
    rows,
    totalRows,
  };
}

function differs(values: readonly (ComparisonValue | undefined)[]): boolean {
  const first = values[0];
  for (let i = 1; i < values.length; i++) if (!sameValue(values[i], first)) return true;
  return false;
}

interface KeyColumn {
  kind: ComparisonRowKind;
  key: string;
  lowerKey: string;
  lowerKindKey: string;
  /** One value per run, in the order of the runs array. */
  values: readonly (ComparisonValue | undefined)[];
  /** Some run's value differs from another's (a missing key counts as a value). */
  changed: boolean;
  /** Metric rows: the direction the name suggests. */
  inferred?: MetricDirection;
  /** Metric rows: indexes (into the runs array) of the best runs, per direction, once asked for. */
  best: Partial<Record<MetricDirection, number[]>>;
}

interface RunsCache {
  matrix: KeyColumn[];
  /** Run order per sort (`kind\0key\0descending`), as indexes into the runs array. */
  sorted: Map<string, number[]>;
}

// Keyed by the runs array itself: callers replace the array when a run changes (never mutate it),
// so a toggle in the panel re-uses the matrix and the per-row results and only re-orders columns.
const caches = new WeakMap<readonly Run[], RunsCache>();

function cacheOf(runs: readonly Run[]): RunsCache {
  let cache = caches.get(runs);
  if (!cache) {
    cache = { matrix: keyMatrix(runs), sorted: new Map() };
    caches.set(runs, cache);
  }
  return cache;
}

function bestRunsOf(column: KeyColumn, direction: MetricDirection): number[] {
  let best = column.best[direction];
  if (!best) {
    best = bestColumns(column.values, direction);
    column.best[direction] = best;
  }
  return best;
}

/** The runs' order by one key (stable, runs without the key last in input order), kept per sort. */
function sortedOrder(runs: readonly Run[], cache: RunsCache, sort: ComparisonSort): readonly number[] {
  const id = `${sort.kind}\u0000${sort.key}\u0000${sort.descending}`;
  const cached = cache.sorted.get(id);
  if (cached) return cached;
  const column = cache.matrix.find((c) => c.kind === sort.kind && c.key === sort.key);
  const values = column?.values;
  const present: number[] = [];
  const missing: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const v = values?.[i];
    (v === undefined || v === null ? missing : present).push(i);
  }
  present.sort((a, b) => {
    const byValue = compareValues(values?.[a], values?.[b]);
    return (sort.descending ? -byValue : byValue) || a - b;
  });
  const order = present.concat(missing);
  cache.sorted.set(id, order);
  return order;
}

/** Params, then metrics, then tags, each in natural key order, with every run's value. */
function keyMatrix(runs: readonly Run[]): KeyColumn[] {
  const matrix: KeyColumn[] = [];
  for (const kind of ['param', 'metric', 'tag'] as const) {
    const bagOf = (run: Run): Record<string, ComparisonValue> =>
      kind === 'param' ? run.params : kind === 'metric' ? run.metrics : run.tags;
    const seen = new Set<string>();
    for (const run of runs) for (const key of Object.keys(bagOf(run))) seen.add(key);
    const sorted = [...seen].sort(collator.compare);
    const columns = sorted.map(() => new Array<ComparisonValue | undefined>(runs.length).fill(undefined));
    const at = new Map(sorted.map((key, i) => [key, columns[i]]));
    runs.forEach((run, j) => {
      // One pass over each run's own keys fills every column at once.
      const bag = bagOf(run);
      const names = Object.keys(bag);
      for (let i = 0; i < names.length; i++) {
        const key = names[i] as string;
        const column = at.get(key);
        if (column) column[j] = bag[key];
      }
    });
    sorted.forEach((key, i) => {
      const values = columns[i] ?? [];
      const inferred = kind === 'metric' ? inferMetricDirection(key) : undefined;
      matrix.push({
        kind,
        key,
        lowerKey: key.toLowerCase(),
        lowerKindKey: `${kind}:${key}`.toLowerCase(),
        values,
        changed: differs(values),
        ...(inferred ? { inferred } : {}),
        best: {},
      });
    });
  }
  return matrix;
}

/** A value as the table shows it: numbers without float noise, booleans and null spelled out. */
export function formatValue(value: ComparisonValue | undefined): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(6)));
  }
  return String(value);
}

/** A delta as `+0.012 (+1.3%)`, with a true minus sign. */
export function formatDelta(delta: ComparisonDelta): string {
  const sign = (n: number): string => (n > 0 ? '+' : n < 0 ? '−' : '±');
  // Four significant digits: a delta is read at a glance, the exact values are in the cells.
  const magnitude = Math.abs(delta.absolute);
  const abs = `${sign(delta.absolute)}${Number.isFinite(magnitude) ? String(Number(magnitude.toPrecision(4))) : String(magnitude)}`;
  if (delta.percent === null) return abs;
  return `${abs} (${sign(delta.percent)}${Math.abs(delta.percent).toFixed(1)}%)`;
}
