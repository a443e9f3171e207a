import type { ParamValue } from './model';

/**
 * A run started from the Pipelines view or `mlops pipeline run`, recorded as
 * `.mlops/runs/<id>.json` beside the dvc.yaml so the Runs view and the compare panel can show it
 * with no MLflow at all. The combined output is beside it as `<id>.log`.
 */
export type RunRecordRunner = 'dvc' | 'builtin' | 'mlflow';

export type RunRecordStatus = 'running' | 'finished' | 'failed' | 'killed';

export interface RunRecord {
  /** Sortable: UTC timestamp then a short random suffix (`20261123T182926123Z-a1b2c3`). */
  id: string;
  /** Stage names that were asked for (DVC names such as `train@rf`). */
  stages: string[];
  /** The dvc.yaml (or MLproject), relative to the folder holding `.mlops/`. */
  pipelineFile: string;
  runner: RunRecordRunner;
  /** ISO 8601. */
  startTime: string;
  endTime?: string;
  status: RunRecordStatus;
  exitCode?: number;
  /** Params of the stages' params files at the start of the run, flattened to dotted keys. */
  params: Record<string, ParamValue>;
  /** Numbers from the stages' metrics files after the run, flattened to dotted keys. */
  metrics: Record<string, number>;
  /** Git commit of the folder, when it is in a Git repository. */
  commit?: string;
  /** Whether the working tree had uncommitted changes at the start of the run. */
  dirty?: boolean;
  /** The run's output, relative to the folder holding `.mlops/`. */
  logFile?: string;
  /** One sentence on why the run failed, when it did. */
  message?: string;
}

/** Records are JSON files; anything else in `.mlops/runs/` is not a record. */
export const RUN_RECORD_VERSION = 1;
