import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { SqliteDatabase, SqliteFormatError, type SqlRow, type SqlValue } from '../sqlite/sqliteDatabase';
import type { MetricPoint, ParamValue, Run, RunSource } from './model';
import { isoFromMillis, paramFromText, statusFromMlflow } from './runValues';

const MLFLOW_TABLES = ['experiments', 'runs', 'params', 'latest_metrics', 'metrics', 'tags'];
const ATTEMPTS = 4;

/**
 * Runs of an MLflow SQLite store (`mlflow.db`), read with the page-level reader: latest values come
 * from `latest_metrics`, histories from `metrics` through its run_uuid index, one run at a time.
 * Nothing is written and no lock is taken, so a training job logging to the store is undisturbed.
 */
export class MlflowSqliteSource implements RunSource {
  readonly kind = 'mlflow' as const;
  readonly label: string;
  private db: SqliteDatabase | undefined;

  constructor(
    readonly path: string,
    label?: string,
  ) {
    this.label = label ?? basename(path);
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    return this.consistently(signal, (db) => readRuns(db, signal));
  }

  async metricHistory(runId: string, metric: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    const uuid = runId.startsWith('mlflow:') ? runId.slice('mlflow:'.length) : runId;
    return this.consistently(signal, async (db) => {
      const rows = await db.rowsWhere('metrics', 'run_uuid', uuid);
      return rows
        .filter((row) => row.key === metric)
        .map((row) => ({ step: toNumber(row.step), timestamp: toNumber(row.timestamp), value: metricValue(row) }))
        .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    });
  }

  dispose(): void {
    void this.db?.close();
    this.db = undefined;
  }

  /**
   * Runs `read` against a state of the file no writer changed meanwhile: a commit that lands during
   * the read (the change counter or the WAL moved) makes it start over. A writer that commits
   * every few milliseconds never leaves such a window, so after a few attempts the last read that
   * completed without error is returned: it may miss the newest commit, which the next refresh shows.
   */
  private async consistently<T>(signal: AbortSignal | undefined, read: (db: SqliteDatabase) => Promise<T>): Promise<T> {
    let lastError: unknown;
    let completed: { value: T } | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      signal?.throwIfAborted();
      const db = await this.open();
      const before = db.version;
      try {
        const value = await read(db);
        await db.refresh();
        if (db.version === before) return value;
        completed = { value };
      } catch (error) {
        lastError = error;
        await db.refresh().catch(() => undefined);
        const beingWritten = db.version !== before || existsSync(`${this.path}-journal`);
        if (!(error instanceof SqliteFormatError) || !beingWritten) throw error;
      }
    }
    if (completed) return completed.value;
    throw lastError instanceof Error
      ? lastError
      : new Error(`${this.label} kept changing while it was read; refresh again when the run that writes it pauses.`);
  }

  private async open(): Promise<SqliteDatabase> {
    if (this.db) {
      await this.db.refresh();
      return this.db;
    }
    const db = await SqliteDatabase.open(this.path);
    const missing = MLFLOW_TABLES.filter((t) => !db.table(t));
    if (missing.length > 0) {
      await db.close();
      throw new Error(
        `${this.label} is a SQLite database but not an MLflow store (it has no ${missing.join(', ')} table${missing.length > 1 ? 's' : ''}); point the setting at the file MLflow writes.`,
      );
    }
    this.db = db;
    return db;
  }
}

async function readRuns(db: SqliteDatabase, signal?: AbortSignal): Promise<Run[]> {
  const experiments = new Map<string, string>();
  await db.scan('experiments', (row) => {
    if (row.lifecycle_stage !== 'deleted') experiments.set(String(row.experiment_id), String(row.name));
  });
  const runs = new Map<string, Run>();
  await db.scan('runs', (row) => {
    const experiment = experiments.get(String(row.experiment_id));
    if (experiment === undefined || row.lifecycle_stage === 'deleted') return;
    const uuid = String(row.run_uuid);
    runs.set(uuid, {
      id: `mlflow:${uuid}`,
      source: 'mlflow',
      experiment,
      name: typeof row.name === 'string' && row.name ? row.name : uuid,
      status: statusFromMlflow(row.status),
      startTime: isoFromMillis(row.start_time),
      endTime: isoFromMillis(row.end_time),
      params: {},
      metrics: {},
      tags: {},
      artifactUri: typeof row.artifact_uri === 'string' ? row.artifact_uri : undefined,
    });
  });
  signal?.throwIfAborted();
  await db.scanColumns('params', ['run_uuid', 'key', 'value'], ([uuid, key, value]) => {
    const run = runs.get(String(uuid));
    if (run) run.params[String(key)] = paramValue(value ?? null);
  });
  signal?.throwIfAborted();
  await db.scanColumns('latest_metrics', ['run_uuid', 'key', 'value', 'is_nan'], ([uuid, key, value, isNan]) => {
    const run = runs.get(String(uuid));
    if (run) run.metrics[String(key)] = isNan === 1 ? Number.NaN : toNumber(value ?? null);
  });
  signal?.throwIfAborted();
  await db.scanColumns('tags', ['run_uuid', 'key', 'value'], ([uuid, key, value]) => {
    const run = runs.get(String(uuid));
    if (run && value !== null && value !== undefined) run.tags[String(key)] = String(value);
  });
  for (const run of runs.values()) {
    const commit = run.tags['mlflow.source.git.commit'];
    if (commit) run.commit = commit;
    const uuid = run.id.slice('mlflow:'.length);
    if (run.name === uuid && run.tags['mlflow.runName']) run.name = run.tags['mlflow.runName'];
  }
  return [...runs.values()].sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
}

function paramValue(value: SqlValue): ParamValue {
  if (value === null) return null;
  if (typeof value === 'string') return paramFromText(value);
  if (typeof value === 'number') return value;
  return String(value);
}

function metricValue(row: SqlRow): number {
  return row.is_nan === 1 ? Number.NaN : toNumber(row.value);
}

function toNumber(value: SqlValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return Number(value);
  return Number.NaN;
}
