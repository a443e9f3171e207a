import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { SqliteDatabase, SqliteFormatError, type SqlRow, type SqlValue } from '../sqlite/sqliteDatabase';
import type { MetricPoint, ParamValue, Run } from './model';
import { cursorOf, type ExperimentSummary, type PagedRunSource, type RunCursor, type RunPage } from './runPages';
import { isoFromMillis, paramFromText, statusFromMlflow } from './runValues';

const MLFLOW_TABLES = ['experiments', 'runs', 'params', 'latest_metrics', 'metrics', 'tags'];
const ATTEMPTS = 4;
const RUN_COLUMNS = ['run_uuid', 'name', 'status', 'start_time', 'end_time', 'lifecycle_stage', 'artifact_uri', 'experiment_id'];

/** A run as the page order needs it: the rest of its row is read when a page shows it. */
interface IndexedRun {
  id: string;
  /** Milliseconds; undefined sorts last. */
  start: number | undefined;
  rowid: number;
}

/** The runs table alone (one row per run, no params, metrics or tags): order and counts for pages. */
interface RunsIndex {
  version: string;
  experiments: ExperimentSummary[];
  /** Per experiment name, newest first. */
  runs: Map<string, IndexedRun[]>;
  names: Map<string, string>;
}

/**
 * Runs of an MLflow SQLite store (`mlflow.db`), read with the page-level reader: latest values come
 * from `latest_metrics`, histories from `metrics` through its run_uuid index, one run at a time.
 * Nothing is written and no lock is taken, so a training job logging to the store is undisturbed.
 */
export class MlflowSqliteSource implements PagedRunSource {
  readonly kind = 'mlflow' as const;
  readonly label: string;
  private db: SqliteDatabase | undefined;
  private index: RunsIndex | undefined;

  constructor(
    readonly path: string,
    label?: string,
  ) {
    this.label = label ?? basename(path);
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    return this.consistently(signal, (db) => readRuns(db, signal));
  }

  /**
   * The experiments that have runs, the one with the newest run first, with their run counts: from
   * the experiments and runs tables only (params, metrics and tags are not read).
   */
  async experiments(signal?: AbortSignal): Promise<ExperimentSummary[]> {
    return this.consistently(signal, async (db) => (await this.runsIndex(db)).experiments);
  }

  /**
   * One page of an experiment's runs, newest first, after `after`: the order comes from the runs
   * table; params, latest metrics and tags are read through their run_uuid indexes for the runs of
   * the page only.
   */
  async runsPage(experiment: string, limit: number, after?: RunCursor, signal?: AbortSignal): Promise<RunPage> {
    return this.consistently(signal, async (db) => {
      const index = await this.runsIndex(db);
      const all = index.runs.get(experiment) ?? [];
      let start = 0;
      if (after) {
        // Binary search for the first run after the cursor (the list is in newest-first order).
        const cursor = { start: after.startTime ? Date.parse(after.startTime) : undefined, id: after.id };
        let high = all.length;
        while (start < high) {
          const mid = (start + high) >> 1;
          if (byStartDescending(all[mid] as IndexedRun, cursor) > 0) high = mid;
          else start = mid + 1;
        }
      }
      const rows = all.slice(start, start + Math.max(1, limit));
      const byRowid = new Map<number, Run>();
      await db.scanColumnsByRowid(
        'runs',
        rows.map((row) => row.rowid),
        RUN_COLUMNS,
        (values, rowid) => {
          const run = runFromRow(values, index.names);
          if (run) byRowid.set(rowid, run);
        },
      );
      const page = rows.map((row) => byRowid.get(row.rowid)).filter((run): run is Run => run !== undefined);
      signal?.throwIfAborted();
      await fillValues(db, new Map(page.map((run) => [run.id.slice('mlflow:'.length), run])), signal);
      const last = page[page.length - 1];
      return start + page.length < all.length && last ? { runs: page, next: cursorOf(last) } : { runs: page };
    });
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
    this.index = undefined;
  }

  /** The runs table read once per committed state of the file. */
  private async runsIndex(db: SqliteDatabase): Promise<RunsIndex> {
    if (this.index?.version === db.version) return this.index;
    const version = db.version;
    const names = await readExperiments(db);
    const runs = new Map<string, IndexedRun[]>();
    await db.scanColumns(
      'runs',
      ['run_uuid', 'start_time', 'lifecycle_stage', 'experiment_id'],
      ([uuid, startTime, lifecycle, experimentId], rowid) => {
        const experiment = names.get(String(experimentId));
        if (experiment === undefined || lifecycle === 'deleted') return;
        const start = Number(startTime ?? Number.NaN);
        const row = { id: `mlflow:${String(uuid)}`, start: Number.isFinite(start) && start > 0 ? start : undefined, rowid };
        const list = runs.get(experiment);
        if (list) list.push(row);
        else runs.set(experiment, [row]);
      },
    );
    const ids = new Map([...names].map(([id, name]) => [name, id]));
    const summaries: ExperimentSummary[] = [];
    for (const [name, list] of runs) {
      list.sort(byStartDescending);
      summaries.push({ name, id: ids.get(name), runs: list.length });
    }
    const newest = (name: string): IndexedRun => runs.get(name)?.[0] ?? { id: name, start: undefined, rowid: 0 };
    summaries.sort((a, b) => byStartDescending(newest(a.name), newest(b.name)));
    this.index = { version, experiments: summaries, runs, names };
    return this.index;
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

async function readExperiments(db: SqliteDatabase): Promise<Map<string, string>> {
  const experiments = new Map<string, string>();
  await db.scan('experiments', (row) => {
    if (row.lifecycle_stage !== 'deleted') experiments.set(String(row.experiment_id), String(row.name));
  });
  return experiments;
}

/** A run from its row of the runs table (values in RUN_COLUMNS order); undefined when it or its experiment is deleted. */
function runFromRow(values: SqlValue[], experiments: Map<string, string>): Run | undefined {
  const [uuidValue, name, status, start, end, lifecycle, artifactUri, experimentId] = values;
  const experiment = experiments.get(String(experimentId));
  if (experiment === undefined || lifecycle === 'deleted') return undefined;
  const uuid = String(uuidValue);
  return {
    id: `mlflow:${uuid}`,
    source: 'mlflow',
    experiment,
    name: typeof name === 'string' && name ? name : uuid,
    status: statusFromMlflow(status ?? null),
    startTime: isoFromMillis(start ?? null),
    endTime: isoFromMillis(end ?? null),
    params: {},
    metrics: {},
    tags: {},
    artifactUri: typeof artifactUri === 'string' ? artifactUri : undefined,
  };
}

async function readRuns(db: SqliteDatabase, signal?: AbortSignal): Promise<Run[]> {
  const experiments = await readExperiments(db);
  const runs = new Map<string, Run>();
  await db.scanColumns('runs', RUN_COLUMNS, (values) => {
    const run = runFromRow(values, experiments);
    if (run) runs.set(run.id.slice('mlflow:'.length), run);
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
  for (const run of runs.values()) finishRun(run);
  return [...runs.values()].sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
}

/** Params, latest metrics and tags of these runs only (keyed by run_uuid), through the run_uuid indexes. */
async function fillValues(db: SqliteDatabase, runs: Map<string, Run>, signal?: AbortSignal): Promise<void> {
  if (runs.size === 0) return;
  const uuids = [...runs.keys()];
  await db.scanColumnsWhereIn('params', 'run_uuid', uuids, ['run_uuid', 'key', 'value'], ([uuid, key, value]) => {
    const run = runs.get(String(uuid));
    if (run) run.params[String(key)] = paramValue(value ?? null);
  });
  signal?.throwIfAborted();
  await db.scanColumnsWhereIn('latest_metrics', 'run_uuid', uuids, ['run_uuid', 'key', 'value', 'is_nan'], ([uuid, key, value, isNan]) => {
    const run = runs.get(String(uuid));
    if (run) run.metrics[String(key)] = isNan === 1 ? Number.NaN : toNumber(value ?? null);
  });
  signal?.throwIfAborted();
  await db.scanColumnsWhereIn('tags', 'run_uuid', uuids, ['run_uuid', 'key', 'value'], ([uuid, key, value]) => {
    const run = runs.get(String(uuid));
    if (run && value !== null && value !== undefined) run.tags[String(key)] = String(value);
  });
  for (const run of runs.values()) finishRun(run);
}

/** The commit and the run name MLflow keeps in tags. */
function finishRun(run: Run): void {
  const commit = run.tags['mlflow.source.git.commit'];
  if (commit) run.commit = commit;
  const uuid = run.id.slice('mlflow:'.length);
  if (run.name === uuid && run.tags['mlflow.runName']) run.name = run.tags['mlflow.runName'];
}

/** The order of {@link newestFirst} on raw start times: newest first, none last, then by id descending. */
function byStartDescending(a: { start: number | undefined; id: string }, b: { start: number | undefined; id: string }): number {
  if (a.start !== b.start) {
    if (a.start === undefined) return 1;
    if (b.start === undefined) return -1;
    return b.start - a.start;
  }
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
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
