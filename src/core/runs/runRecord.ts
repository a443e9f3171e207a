import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ParamValue } from './model';

/** Where run records live, relative to the workspace folder. */
export const RUN_RECORDS_DIR = join('.mlops', 'runs');

/**
 * What the pipeline runner writes to `.mlops/runs/<id>.json` for each run it starts, and rewrites
 * when the run ends. Times are ISO 8601.
 */
export interface RunRecord {
  /** Unique per run; also the file name (without .json). */
  id: string;
  /** The pipeline file, relative to the workspace folder (like `dvc.yaml` or `sub/dvc.yaml`). */
  pipeline?: string;
  /** Stage names as DVC names them (`train@rf`). */
  stages: string[];
  startTime: string;
  endTime?: string;
  status: 'running' | 'finished' | 'failed' | 'killed';
  exitCode?: number | null;
  /** The params the run read, flattened to dotted keys (nested objects are flattened on read too). */
  params: Record<string, ParamValue>;
  /** The metrics files' values when the run ended, flattened to dotted keys. */
  metrics: Record<string, number>;
  /** HEAD when the run started. */
  commit?: string;
  /** The run's output log, relative to the workspace folder. */
  logFile?: string;
  /** What ran the stages. */
  runner?: 'dvc' | 'builtin' | 'mlflow';
  /** Whether tracked files had uncommitted changes when the run started. */
  dirty?: boolean;
  /** One sentence on why the run failed or was refused, when it did not finish. */
  message?: string;
}

/** Writes a record atomically (temp file, then rename), so readers never see half a file. */
export async function writeRunRecord(folder: string, record: RunRecord): Promise<string> {
  if (!/^[\w.-]+$/.test(record.id))
    throw new Error(`A run id may hold only letters, digits, '.', '_' and '-' (got ${JSON.stringify(record.id)}).`);
  const dir = join(folder, RUN_RECORDS_DIR);
  await fs.mkdir(dir, { recursive: true });
  const path = join(dir, `${record.id}.json`);
  const temp = `${path}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await fs.rename(temp, path);
  return path;
}
