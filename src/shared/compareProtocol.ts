/**
 * The one message protocol between the compare panel (webview) and the extension host. Both sides
 * import this module; no other `postMessage` shape exists. Messages are discriminated by `type`.
 */
import type { Comparison, ComparisonRowKind, ComparisonSort } from '../core/compare/comparison';
import type { MetricDirection } from '../core/compare/metricDirection';
import type { MetricPoint, Run } from '../core/runs/model';

/** What the user arranged in the panel; kept by `setState` and restored after a reload. */
export interface CompareViewState {
  onlyChanged: boolean;
  /** Runs as rows and keys as columns, instead of keys as rows. */
  transposed: boolean;
  baselineRunId?: string;
  sort?: ComparisonSort;
  filter: string;
  /** Per-metric direction chosen by the user. */
  directions: Record<string, MetricDirection>;
  /** Runs hidden from the table and the charts (legend clicks). */
  hiddenRunIds: string[];
  /** EMA weight 0 (raw) … 0.99. */
  smoothing: number;
  logScale: boolean;
  xAxis: 'step' | 'time';
  scatter: { x?: { kind: ComparisonRowKind; key: string }; y?: string };
  parallel: { params: string[]; metric?: string };
  bar: { metric?: string };
}

/** What the webview stores with `setState` and the serializer gets back after a reload. */
export interface ComparePanelState {
  runIds: string[];
  viewState: CompareViewState;
}

export interface MetricSeries {
  runId: string;
  points: MetricPoint[];
}

export type HostToWebview =
  /** Everything the panel shows; sent in answer to `ready`. */
  | { type: 'snapshot'; runs: Run[]; comparison: Comparison; viewState: CompareViewState }
  /** The (downsampled) history of one metric for the runs asked for. */
  | { type: 'history'; metric: string; series: MetricSeries[] }
  /** A run changed while the panel is open (a running run logged new metrics or finished). */
  | { type: 'runUpdated'; run: Run }
  /** Something the host could not do, in one sentence. */
  | { type: 'error'; message: string };

export type ExportFormat = 'csv' | 'markdown';

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'requestHistory'; runIds: string[]; metric: string }
  | { type: 'viewState'; viewState: CompareViewState }
  | { type: 'export'; format: ExportFormat; action: 'copy' | 'save' }
  /** A chart as PNG, `data:image/png;base64,…`, to be saved where the user picks. */
  | { type: 'exportImage'; name: string; dataUrl: string }
  | { type: 'openRun'; runId: string };

/** The view state a new panel starts with: "only changed" is on when more than two runs are compared. */
export function defaultViewState(runCount: number): CompareViewState {
  return {
    onlyChanged: runCount > 2,
    transposed: false,
    filter: '',
    directions: {},
    hiddenRunIds: [],
    smoothing: 0,
    logScale: false,
    xAxis: 'step',
    scatter: {},
    parallel: { params: [] },
    bar: {},
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Checks a view state that came from a webview or from restored state, filling what is missing. */
export function sanitizeViewState(value: unknown, runCount: number): CompareViewState {
  const base = defaultViewState(runCount);
  if (!isObject(value)) return base;
  const v = value;
  const directions: Record<string, MetricDirection> = {};
  if (isObject(v.directions)) {
    for (const [k, d] of Object.entries(v.directions)) if (d === 'min' || d === 'max') directions[k] = d;
  }
  const kinds = ['param', 'metric', 'tag'];
  const sort =
    isObject(v.sort) && typeof v.sort.key === 'string' && kinds.includes(v.sort.kind as string)
      ? { kind: v.sort.kind as ComparisonRowKind, key: v.sort.key, descending: v.sort.descending === true }
      : undefined;
  const scatterX =
    isObject(v.scatter) && isObject(v.scatter.x) && typeof v.scatter.x.key === 'string' && kinds.includes(v.scatter.x.kind as string)
      ? { kind: v.scatter.x.kind as ComparisonRowKind, key: v.scatter.x.key }
      : undefined;
  const scatterY = isObject(v.scatter) && typeof v.scatter.y === 'string' ? v.scatter.y : undefined;
  const parallelMetric = isObject(v.parallel) && typeof v.parallel.metric === 'string' ? v.parallel.metric : undefined;
  const barMetric = isObject(v.bar) && typeof v.bar.metric === 'string' ? v.bar.metric : undefined;
  return {
    onlyChanged: typeof v.onlyChanged === 'boolean' ? v.onlyChanged : base.onlyChanged,
    transposed: v.transposed === true,
    ...(typeof v.baselineRunId === 'string' ? { baselineRunId: v.baselineRunId } : {}),
    ...(sort ? { sort } : {}),
    filter: typeof v.filter === 'string' ? v.filter : '',
    directions,
    hiddenRunIds: isStringArray(v.hiddenRunIds) ? v.hiddenRunIds : [],
    smoothing: typeof v.smoothing === 'number' && v.smoothing >= 0 && v.smoothing < 1 ? v.smoothing : 0,
    logScale: v.logScale === true,
    xAxis: v.xAxis === 'time' ? 'time' : 'step',
    scatter: { ...(scatterX ? { x: scatterX } : {}), ...(scatterY !== undefined ? { y: scatterY } : {}) },
    parallel: {
      params: isObject(v.parallel) && isStringArray(v.parallel.params) ? v.parallel.params : [],
      ...(parallelMetric !== undefined ? { metric: parallelMetric } : {}),
    },
    bar: barMetric !== undefined ? { metric: barMetric } : {},
  };
}

/**
 * Narrows a message from the webview. The webview renders data anyone can write, so the host
 * trusts only messages of a known shape.
 */
export function parseWebviewMessage(value: unknown): WebviewToHost | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'requestHistory':
      return isStringArray(value.runIds) && typeof value.metric === 'string'
        ? { type: 'requestHistory', runIds: value.runIds, metric: value.metric }
        : undefined;
    case 'viewState':
      return { type: 'viewState', viewState: sanitizeViewState(value.viewState, 0) };
    case 'export':
      return (value.format === 'csv' || value.format === 'markdown') && (value.action === 'copy' || value.action === 'save')
        ? { type: 'export', format: value.format, action: value.action }
        : undefined;
    case 'exportImage':
      return typeof value.name === 'string' && typeof value.dataUrl === 'string' && value.dataUrl.startsWith('data:image/png;base64,')
        ? { type: 'exportImage', name: value.name, dataUrl: value.dataUrl }
        : undefined;
    case 'openRun':
      return typeof value.runId === 'string' ? { type: 'openRun', runId: value.runId } : undefined;
    default:
      return undefined;
  }
}

/** The options of `buildComparison` that a view state stands for (hidden runs only leave the charts). */
export function comparisonOptionsOf(viewState: CompareViewState): {
  onlyChanged: boolean;
  baselineRunId?: string;
  sort?: ComparisonSort;
  filter: string;
  directions: Record<string, MetricDirection>;
} {
  return {
    onlyChanged: viewState.onlyChanged,
    ...(viewState.baselineRunId !== undefined ? { baselineRunId: viewState.baselineRunId } : {}),
    ...(viewState.sort ? { sort: viewState.sort } : {}),
    filter: viewState.filter,
    directions: viewState.directions,
  };
}
