import type { MetricPoint, ParamValue, Run, RunStatus } from './model';

/**
 * Flattens nested params to dotted keys (`{models: {rf: {max_depth: 2}}}` → `models.rf.max_depth`).
 * Lists keep their index as a key segment, the way DVC names them (`layers.0`).
 */
export function flattenParams(value: unknown, prefix = '', into: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) into[prefix] = Array.isArray(value) ? '[]' : '{}';
    for (const [key, child] of entries) flattenParams(child, prefix ? `${prefix}.${key}` : key, into);
    return into;
  }
  if (!prefix) return into;
  if (value === null || value === undefined) into[prefix] = null;
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') into[prefix] = value;
  else into[prefix] = String(value);
  return into;
}

const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * MLflow keeps every param as text; numbers written as numbers compare and sort like the same
 * params read from params.yaml by the other sources.
 */
export function paramFromText(text: string): ParamValue {
  return NUMBER_TEXT.test(text.trim()) && Number.isFinite(Number(text)) ? Number(text) : text;
}

/** Flattens a metrics file's content to dotted keys, keeping only numbers (and numeric text). */
export function flattenMetrics(value: unknown, prefix = '', into: Record<string, number> = {}): Record<string, number> {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>))
      flattenMetrics(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix && typeof value === 'number') {
    into[prefix] = value;
  } else if (prefix && typeof value === 'boolean') {
    into[prefix] = value ? 1 : 0;
  } else if (prefix && typeof value === 'string' && NUMBER_TEXT.test(value.trim())) {
    into[prefix] = Number(value);
  }
  return into;
}

/** MLflow's numeric RunStatus values (the file store's meta.yaml holds these). */
const MLFLOW_STATUS_NUMBERS: Record<string, string> = { '1': 'RUNNING', '2': 'SCHEDULED', '3': 'FINISHED', '4': 'FAILED', '5': 'KILLED' };

/** MLflow's run status (name or number) → the model's. */
export function statusFromMlflow(status: unknown): RunStatus {
  const name = MLFLOW_STATUS_NUMBERS[String(status)] ?? String(status).toUpperCase();
  switch (name) {
    case 'RUNNING':
      return 'running';
    case 'FINISHED':
      return 'finished';
    case 'FAILED':
      return 'failed';
    case 'KILLED':
      return 'killed';
    case 'SCHEDULED':
      return 'scheduled';
    default:
      return 'unknown';
  }
}

/** Milliseconds since the epoch → ISO 8601, or undefined for missing/zero times. */
export function isoFromMillis(ms: unknown): string | undefined {
  const n = typeof ms === 'bigint' ? Number(ms) : typeof ms === 'string' ? Number(ms) : ms;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  return new Date(n).toISOString();
}

/**
 * The history of a metric in a store that keeps only its latest value (metrics files, DVC
 * experiments, run records): that value as one point at step 0, stamped `at`.
 */
export function latestValueHistory(run: Run | undefined, metric: string, at: string | undefined = run?.startTime): MetricPoint[] {
  const value = run?.metrics[metric];
  if (value === undefined) return [];
  return [{ step: 0, timestamp: (at ? Date.parse(at) : 0) || 0, value }];
}
