import type { Range } from '../diagnostic';

/**
 * The pipeline model shared by the validators, the Pipelines view, the status computation, the
 * runners and the CLI. A dvc.yaml is parsed into a `DvcPipeline` whose stages are already expanded
 * (foreach/matrix → DVC's own generated names such as `train@rf`, `sweep@lr-1`) and interpolated
 * (`${...}` resolved where it can be). Paths in stages are as written (relative to `wdir`).
 */
export interface SourceSpan {
  /** Absolute path of the file the value was written in. */
  file: string;
  range: Range;
}

export interface StageParam {
  /** Params file, relative to the stage's wdir (default `params.yaml`). */
  file: string;
  /** Dotted key, or undefined for `{file: null}` (every key of the file). */
  key?: string;
  span?: SourceSpan;
}

export interface StagePath {
  path: string;
  span?: SourceSpan;
  /** Flags written on the entry (`cache: false`, `persist: true`, …). */
  flags?: Record<string, unknown>;
}

export interface PipelineStage {
  /** DVC's name for the stage: `train`, `train@rf`, `sweep@lr-1`. */
  name: string;
  /** For generated stages, the name of the foreach/matrix template. */
  template?: string;
  cmd: string[];
  /** Absolute working directory (dvc.yaml's folder joined with `wdir`). */
  wdir: string;
  deps: StagePath[];
  outs: StagePath[];
  metrics: StagePath[];
  plots: StagePath[];
  params: StageParam[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
  /** Where the stage (or its template) is defined, on its key. */
  span?: SourceSpan;
}

export interface DvcPipeline {
  /** Absolute path of the dvc.yaml. */
  file: string;
  stages: PipelineStage[];
}

/** What a stage's status is, as the tree shows it. */
export type StageState = 'up-to-date' | 'changed' | 'never-run' | 'running' | 'failed' | 'frozen' | 'unknown';

export interface StageStatus {
  stage: string;
  state: StageState;
  /** Human reasons: `deps changed: data/raw.csv`, `params changed: train.lr`. */
  reasons: string[];
  /** The same changes as data, in `dvc status` terms (for icons, tests and tooltips). */
  changes?: StageChange[];
}

/** One difference between the workspace and dvc.lock, as `dvc status` reports it. */
export interface StageChange {
  kind: 'deps' | 'outs' | 'params' | 'cmd' | 'always';
  /** Dep or out path as written in dvc.yaml. */
  path?: string;
  /** Params file (relative to the stage's wdir) and dotted key; no key when the whole file changed. */
  file?: string;
  key?: string;
  change: 'modified' | 'deleted' | 'new' | 'not in cache';
}
