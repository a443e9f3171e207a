import { execFile } from 'node:child_process';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { DEFAULT_PARAMS_FILE } from '../pipeline/dvcPipeline';
import { stagePathOf } from '../pipeline/graph';
import type { DvcPipeline } from '../pipeline/model';
import type { ParamValue } from '../runs/model';
import { RUN_RECORDS_DIR, type RunRecord } from '../runs/runRecord';
import { flattenMetrics, flattenParams } from '../runs/runValues';
import { writeFileAtomic } from './atomicFile';
import { readStructuredFile } from '../params/paramLookup';

/**
 * Records every run as `.mlops/runs/<id>.json` (written when the run starts, so it shows as
 * running, and again when it ends) with its output streamed to `<id>.log`.
 */
export const MAX_LOG_BYTES = 5 * 1024 * 1024;

/** Sortable and unique enough for one folder: `20261123T182926123Z-a1b2c3`. */
export function newRunId(date: Date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function runsFolder(root: string): string {
  return join(root, RUN_RECORDS_DIR);
}

function stagesNamed(pipeline: DvcPipeline, names: readonly string[]) {
  const wanted = new Set(names);
  return pipeline.stages.filter((s) => wanted.has(s.name));
}

/**
 * The params files the stages use, whole and flattened to dotted keys. Keys of the params.yaml
 * beside the dvc.yaml stay bare (`models.rf.max_depth`); other files' keys carry the file
 * (`config/train.yaml:lr`), as `dvc exp show` tells them apart.
 */
export async function snapshotParams(
  pipeline: DvcPipeline,
  stageNames: readonly string[],
  files: FileAccess = diskFileAccess,
): Promise<Record<string, ParamValue>> {
  const root = dirname(pipeline.file);
  const paths = new Set<string>();
  for (const stage of stagesNamed(pipeline, stageNames)) for (const param of stage.params) paths.add(stagePathOf(stage, param.file));
  const params: Record<string, ParamValue> = {};
  for (const path of [...paths].sort()) {
    const value = await readStructuredFile(path, files);
    if (value === undefined) continue;
    const name = relative(root, path).split('\\').join('/');
    const flat = flattenParams(value);
    for (const [key, v] of Object.entries(flat)) params[name === DEFAULT_PARAMS_FILE ? key : `${name}:${key}`] = v;
  }
  return params;
}

/** Numbers in the stages' `metrics:` files (JSON or YAML), flattened to dotted keys. */
export async function snapshotMetrics(
  pipeline: DvcPipeline,
  stageNames: readonly string[],
  files: FileAccess = diskFileAccess,
): Promise<Record<string, number>> {
  const metrics: Record<string, number> = {};
  for (const stage of stagesNamed(pipeline, stageNames)) {
    for (const metric of stage.metrics) {
      const value = await readStructuredFile(stagePathOf(stage, metric.path), files);
      if (value !== undefined) flattenMetrics(value, '', metrics);
    }
  }
  return metrics;
}

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}

/** The folder's Git commit and whether tracked files have uncommitted changes; nothing outside Git. */
export async function gitState(folder: string): Promise<{ commit?: string; dirty?: boolean }> {
  const head = (await git(folder, ['rev-parse', 'HEAD']))?.trim();
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return {};
  const status = await git(folder, ['status', '--porcelain', '--untracked-files=no']);
  return status === undefined ? { commit: head } : { commit: head, dirty: status.trim().length > 0 };
}

/** A run being recorded: feed it the output, then finish it. */
export class RunRecorder {
  private log: WriteStream | undefined;
  private logBytes = 0;
  private truncated = false;
  private finished: Promise<RunRecord> | undefined;

  private constructor(
    readonly record: RunRecord,
    readonly recordFile: string,
    readonly logPath: string,
    private readonly pipeline: DvcPipeline,
    private readonly metricStages: readonly string[],
    private readonly files: FileAccess,
    private readonly maxLogBytes: number,
  ) {}

  /**
   * Starts a record: params and Git state as they are now. `coveredStages` are the stages whose
   * params and metrics belong to the run (the target and what runs upstream of it).
   */
  static async start(options: {
    pipeline: DvcPipeline;
    runner: NonNullable<RunRecord['runner']>;
    stages: string[];
    coveredStages?: string[];
    /** The workspace folder, which holds `.mlops/` (default: the dvc.yaml's folder). */
    root?: string;
    files?: FileAccess;
    now?: Date;
    maxLogBytes?: number;
  }): Promise<RunRecorder> {
    const root = options.root ?? dirname(options.pipeline.file);
    const files = options.files ?? diskFileAccess;
    const covered = options.coveredStages ?? options.stages;
    const now = options.now ?? new Date();
    const id = newRunId(now);
    const folder = runsFolder(root);
    await fs.mkdir(folder, { recursive: true });
    const logPath = join(folder, `${id}.log`);
    const record: RunRecord = {
      id,
      stages: options.stages,
      pipeline: relative(root, options.pipeline.file).split('\\').join('/'),
      runner: options.runner,
      startTime: now.toISOString(),
      status: 'running',
      params: await snapshotParams(options.pipeline, covered, files),
      metrics: {},
      ...(await gitState(root)),
      logFile: relative(root, logPath).split('\\').join('/'),
    };
    const recorder = new RunRecorder(
      record,
      join(folder, `${id}.json`),
      logPath,
      options.pipeline,
      covered,
      files,
      options.maxLogBytes ?? MAX_LOG_BYTES,
    );
    recorder.log = createWriteStream(logPath, { flags: 'a' });
    recorder.log.on('error', () => {
      // A full disk must not stop the run; the log simply ends there.
      recorder.log = undefined;
    });
    await recorder.save();
    return recorder;
  }

  /** Appends output to the log, up to the size limit. */
  write(text: string): void {
    if (!this.log || this.truncated || text.length === 0) return;
    const bytes = Buffer.from(text, 'utf8');
    const room = this.maxLogBytes - this.logBytes;
    if (bytes.length <= room) {
      this.log.write(bytes);
      this.logBytes += bytes.length;
      return;
    }
    if (room > 0) this.log.write(bytes.subarray(0, room));
    this.logBytes = this.maxLogBytes;
    this.truncated = true;
    this.log.write(`\n[output truncated: the log keeps the first ${Math.round(this.maxLogBytes / 1024 / 1024)} MB]\n`);
  }

  /** Ends the record: status, exit code, end time and the metrics files' values now. */
  finish(result: { exitCode: number; status: RunRecord['status']; message?: string }, now: Date = new Date()): Promise<RunRecord> {
    this.finished ??= (async () => {
      const log = this.log;
      this.log = undefined;
      if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
      this.record.endTime = now.toISOString();
      this.record.status = result.status;
      this.record.exitCode = result.exitCode;
      if (result.message) this.record.message = result.message;
      this.record.metrics = await snapshotMetrics(this.pipeline, this.metricStages, this.files);
      await this.save();
      return this.record;
    })();
    return this.finished;
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.recordFile, `${JSON.stringify(this.record, null, 2)}\n`);
  }
}

/** Every run record in a folder's `.mlops/runs/`, newest first; unreadable files are left out. */
export async function readRunRecords(root: string): Promise<RunRecord[]> {
  const folder = runsFolder(root);
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const records: RunRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const value = JSON.parse(await fs.readFile(join(folder, name), 'utf8')) as RunRecord;
      if (value && typeof value.id === 'string' && Array.isArray(value.stages)) records.push(value);
    } catch {
      // Half-written files cannot happen (atomic writes); anything else unreadable is not ours.
    }
  }
  return records.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
