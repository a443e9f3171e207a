/**
 * One experiment run, whatever recorded it: MLflow (SQLite, file store or tracking server), DVC
 * experiments, a Git commit's params and metrics files, or a run started from the Pipelines view.
 */
export type RunSourceKind = 'mlflow' | 'dvc' | 'git' | 'workbench';

export type RunStatus = 'running' | 'finished' | 'failed' | 'killed' | 'scheduled' | 'unknown';

export type ParamValue = string | number | boolean | null;

export interface Run {
  /** Unique across sources: `<source>:<native id>` (e.g. `mlflow:3f2a…`, `git:1a2b3c4`). */
  id: string;
  source: RunSourceKind;
  experiment: string;
  /** The experiment's id where the store has one (MLflow), for links into its UI. */
  experimentId?: string;
  name: string;
  status: RunStatus;
  /** ISO 8601. */
  startTime?: string;
  endTime?: string;
  /** Params flattened to dotted keys. */
  params: Record<string, ParamValue>;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  commit?: string;
  /** Where the run's artifacts are (path or URI). */
  artifactUri?: string;
}

export interface MetricPoint {
  step: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  value: number;
}

/** A place runs come from, found in a workspace folder. */
export interface RunSource {
  readonly kind: RunSourceKind;
  /** Human label for the tree: `mlflow.db`, `mlruns/`, `http://127.0.0.1:5000`, `Git history`. */
  readonly label: string;
  listRuns(signal?: AbortSignal): Promise<Run[]>;
  /** Full history of one metric of one run, loaded on demand. */
  metricHistory(runId: string, metric: string, signal?: AbortSignal): Promise<MetricPoint[]>;
  dispose?(): void;
}
