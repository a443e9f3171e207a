/** Settings that change what the checks look at; every field has a default. */
export interface ValidationOptions {
  /** Glob of params files → JSON Schema path (`mlops.params.schemas`). */
  paramsSchemas?: Record<string, string>;
  /** Glob of schema.yaml files → CSV data file (`mlops.schema.dataFiles`). */
  dataFiles?: Record<string, string>;
  /** Report params keys that no stage and no `${}` uses (hint; off by default). */
  reportUnusedParams?: boolean;
  /** Folder that relative globs and setting paths are relative to (the workspace folder). */
  root?: string;
}

export const DEFAULT_VALIDATION_OPTIONS: Readonly<ValidationOptions> = Object.freeze({ reportUnusedParams: false });
