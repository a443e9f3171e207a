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
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

function valueOf(run: Run, kind: ComparisonRowKind, key: string): ComparisonValue | undefined {
  const bag: Record<string, ComparisonValue> = kind === 'param' ? run.params : kind === 'metric' ? run.metrics : run.tags;
  return Object.prototype.hasOwnProperty.call(bag, key) ? bag[key] : undefined;
}

function bestColumns(values: readonly (ComparisonValue | undefined)[], direction: MetricDirection): number[] {
  let best: number | undefined;
  let at: number[] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    if (best === undefined || (direction === 'min' ? v < best : v > best)) {
      best = v;
      at = [i];
    } else if (v === best) at.push(i);
  });
  // A best among identical values tells nothing.
  return at.length === values.filter((v) => typeof v === 'number' && Number.isFinite(v)).length && at.length > 1 ? [] : at;
}

function deltasAgainst(values: readonly (ComparisonValue | undefined)[], baseline: number): (ComparisonDelta | undefined)[] {
  return values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(baseline)) return undefined;
    const absolute = v - baseline;
    return { absolute, percent: baseline === 0 ? null : (absolute / Math.abs(baseline)) * 100 };
  });
}

/**
 * The diff table of runs: one row per param, metric and tag key found in any run, one column per
 * run. Pure and deterministic, so the panel, the CLI and the exports all agree.
 */
export function buildComparison(allRuns: readonly Run[], options: ComparisonOptions = {}): Comparison {
  const hidden = new Set(options.hiddenRunIds ?? []);
  // Columns are indexes into allRuns, so the key matrix (the costly part) is built once per runs array.
  let order = allRuns.flatMap((r, i) => (hidden.has(r.id) ? [] : [i]));

  if (options.sort) {
    const { kind, key, descending } = options.sort;
    const decorated = order.map((index) => ({ index, value: valueOf(allRuns[index] as Run, kind, key) }));
    decorated.sort((a, b) => {
      const missingA = a.value === undefined || a.value === null;
      const missingB = b.value === undefined || b.value === null;
      if (missingA || missingB) return missingA === missingB ? a.index - b.index : missingA ? 1 : -1;
      const byValue = compareValues(a.value, b.value);
      return (descending ? -byValue : byValue) || a.index - b.index;
    });
    order = decorated.map((d) => d.index);
  }

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

  const filter = options.filter?.trim().toLowerCase() ?? '';
  const rows: ComparisonRow[] = [];
  let totalRows = 0;
  for (const { kind, key, values: column } of keyMatrix(allRuns)) {
    if (options.kinds && !options.kinds.includes(kind)) continue;
    const values = identity ? column : order.map((i) => column[i]);
    if (hidden.size > 0 && values.every((v) => v === undefined)) continue;
    totalRows++;
    if (filter && !key.toLowerCase().includes(filter) && !`${kind}:${key}`.toLowerCase().includes(filter)) continue;
    const changed = values.some((v) => !sameValue(v, values[0]));
    if (options.onlyChanged && !changed) continue;
    const row: ComparisonRow = { kind, key, values, changed, best: [] };
    if (kind === 'metric') {
      const chosen = options.directions?.[key];
      const direction = chosen ?? inferMetricDirection(key);
      if (direction) {
        row.direction = direction;
        row.directionSource = chosen ? 'user' : 'name';
        row.best = bestColumns(values, direction);
      }
    }
    const base = baselineIndex === undefined ? undefined : values[baselineIndex];
    if (typeof base === 'number' && kind !== 'tag') row.deltas = deltasAgainst(values, base);
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

interface KeyColumn {
  kind: ComparisonRowKind;
  key: string;
  /** One value per run, in the order of the runs array. */
  values: readonly (ComparisonValue | undefined)[];
}

// Keyed by the runs array itself: callers replace the array when a run changes (never mutate it),
// so a toggle in the panel re-uses the matrix and only re-orders and re-ranks.
const keyMatrices = new WeakMap<readonly Run[], KeyColumn[]>();

/** Params, then metrics, then tags, each in natural key order, with every run's value. */
function keyMatrix(runs: readonly Run[]): KeyColumn[] {
  const cached = keyMatrices.get(runs);
  if (cached) return cached;
  const matrix: KeyColumn[] = [];
  for (const kind of ['param', 'metric', 'tag'] as const) {
    const bagOf = (run: Run): Record<string, ComparisonValue> =>
      kind === 'param' ? run.params : kind === 'metric' ? run.metrics : run.tags;
    const seen = new Set<string>();
    for (const run of runs) for (const key of Object.keys(bagOf(run))) seen.add(key);
    const sorted = [...seen].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
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
    sorted.forEach((key, i) => matrix.push({ kind, key, values: columns[i] ?? [] }));
  }
  keyMatrices.set(runs, matrix);
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
