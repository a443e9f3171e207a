import { promises as fs } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { MetricPoint, Run, RunSource } from './model';
import { isoFromMillis, paramFromText, statusFromMlflow } from './runValues';

/**
 * Runs of MLflow's legacy file store: `mlruns/<experiment>/meta.yaml` names the experiment,
 * `mlruns/<experiment>/<run>/` holds meta.yaml, params/, metrics/ and tags/ (one file per key; keys
 * with `/` are folders). Deleted experiments and runs are hidden, as MLflow's UI hides them.
 */
export class MlflowFileStoreSource implements RunSource {
  readonly kind = 'mlflow' as const;
  readonly label: string;
  private runDirs = new Map<string, string>();

  constructor(
    readonly root: string,
    label = 'mlruns/',
  ) {
    this.label = label;
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    let entries;
    try {
      entries = await fs.readdir(this.root, { withFileTypes: true });
    } catch (error) {
      throw new Error(
        `${this.label} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check that the folder exists and is readable.`,
      );
    }
    const runs: Run[] = [];
    const runDirs = new Map<string, string>();
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      signal?.throwIfAborted();
      const experimentDir = join(this.root, entry.name);
      const meta = await readMeta(join(experimentDir, 'meta.yaml'));
      if (!meta || meta.lifecycle_stage === 'deleted') continue;
      const experiment = typeof meta.name === 'string' ? meta.name : entry.name;
      for (const runEntry of await fs.readdir(experimentDir, { withFileTypes: true })) {
        if (!runEntry.isDirectory()) continue;
        const runDir = join(experimentDir, runEntry.name);
        const run = await readRun(runDir, experiment);
        if (!run) continue;
        runDirs.set(run.id, runDir);
        runs.push(run);
      }
    }
    this.runDirs = runDirs;
    return runs.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
  }

  async metricHistory(runId: string, metric: string): Promise<MetricPoint[]> {
    const id = runId.startsWith('mlflow:') ? runId : `mlflow:${runId}`;
    if (!this.runDirs.has(id)) await this.listRuns();
    const dir = this.runDirs.get(id);
    if (!dir) throw new Error(`Run ${runId.replace(/^mlflow:/, '')} is not in ${this.label} any more; refresh the Runs view.`);
    const text = await readText(join(dir, 'metrics', ...metric.split('/')));
    return text === undefined ? [] : parseMetricLines(text).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }
}

/**
 * Lines `timestamp value step` (older stores: `timestamp value`). MLflow appends whole lines, so a
 * last line without its newline is a write in progress (or cut off by a crash) and is skipped.
 */
export function parseMetricLines(text: string): MetricPoint[] {
  const lines = text.split('\n');
  if (!text.endsWith('\n')) lines.pop();
  const points: MetricPoint[] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2 || fields.length > 3) continue;
    const timestamp = Number(fields[0]);
    const value = Number(fields[1]);
    const step = fields[2] === undefined ? 0 : Number(fields[2]);
    if (!Number.isFinite(timestamp) || !Number.isFinite(step) || (Number.isNaN(value) && fields[1]?.toLowerCase() !== 'nan')) continue;
    points.push({ timestamp, value, step });
  }
  return points;
}

/** MLflow's "latest" value: the point with the largest step, then timestamp. */
function latest(points: MetricPoint[]): number | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) if (!best || p.step > best.step || (p.step === best.step && p.timestamp >= best.timestamp)) best = p;
  return best?.value;
}

async function readRun(dir: string, experiment: string): Promise<Run | undefined> {
  const meta = await readMeta(join(dir, 'meta.yaml'));
  if (!meta || meta.lifecycle_stage === 'deleted') return undefined;
  const runId = String(meta.run_id ?? meta.run_uuid ?? '');
  if (!runId) return undefined;
  const params: Run['params'] = {};
  for (const [key, value] of await readKeyFiles(join(dir, 'params'))) params[key] = paramFromText(value);
  const metrics: Run['metrics'] = {};
  for (const [key, value] of await readKeyFiles(join(dir, 'metrics'))) {
    const v = latest(parseMetricLines(value));
    if (v !== undefined) metrics[key] = v;
  }
  const tags: Run['tags'] = {};
  for (const [key, value] of await readKeyFiles(join(dir, 'tags'))) tags[key] = value;
  const name = typeof meta.run_name === 'string' && meta.run_name ? meta.run_name : (tags['mlflow.runName'] ?? runId);
  return {
    id: `mlflow:${runId}`,
    source: 'mlflow',
    experiment,
    name,
    status: statusFromMlflow(meta.status),
    startTime: isoFromMillis(meta.start_time),
    endTime: isoFromMillis(meta.end_time),
    params,
    metrics,
    tags,
    commit: tags['mlflow.source.git.commit'],
    artifactUri: typeof meta.artifact_uri === 'string' ? meta.artifact_uri : undefined,
  };
}

/** Every file under `dir` as [key with `/` separators, content]; a missing folder has none. */
async function readKeyFiles(dir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const text = await readText(full);
        if (text !== undefined) out.push([relative(dir, full).split(sep).join('/'), text]);
      }
    }
  };
  await walk(dir);
  return out;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readMeta(path: string): Promise<Record<string, unknown> | undefined> {
  const text = await readText(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = parseYaml(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
