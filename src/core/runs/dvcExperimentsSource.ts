import { execFile } from 'node:child_process';
import type { MetricPoint, ParamValue, Run, RunSource, RunStatus } from './model';
import { flattenMetrics, flattenParams, latestValueHistory } from './runValues';

export interface DvcExperimentsOptions {
  /** The DVC repository (where `dvc exp show` runs). */
  cwd: string;
  /** The dvc executable; default `dvc` on PATH. */
  dvcPath?: string;
  /** Default 60 s: `dvc exp show` reads every experiment ref and can be slow on big repositories. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Shown in the tree; default `DVC experiments`. */
  label?: string;
}

/** The params file DVC reads by default: its keys are shown without the file name. */
const DEFAULT_PARAMS_FILE = 'params.yaml';

/**
 * DVC experiments from `dvc exp show --json`: the workspace, each baseline commit and the
 * experiments derived from it. Reads both the list format of DVC 3 and the rev-keyed object of DVC 2.
 */
export class DvcExperimentsSource implements RunSource {
  readonly kind = 'dvc' as const;
  readonly label: string;
  private latest = new Map<string, Run>();

  constructor(private readonly options: DvcExperimentsOptions) {
    this.label = options.label ?? 'DVC experiments';
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    const stdout = await this.exec(['exp', 'show', '--json'], signal);
    let json: unknown;
    try {
      json = JSON.parse(stdout.slice(Math.max(0, firstJsonChar(stdout))));
    } catch {
      throw new Error('dvc exp show --json printed something that is not JSON; update DVC (3.0 or newer) and refresh.');
    }
    const runs = parseDvcExpShow(json);
    this.latest = new Map(runs.map((r) => [r.id, r]));
    return runs;
  }

  /** DVC keeps no per-step history of metrics files: the history is the latest value, at step 0. */
  async metricHistory(runId: string, metric: string): Promise<MetricPoint[]> {
    if (!this.latest.has(runId)) await this.listRuns();
    return latestValueHistory(this.latest.get(runId), metric);
  }

  private exec(args: string[], signal?: AbortSignal): Promise<string> {
    const dvc = this.options.dvcPath || 'dvc';
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      execFile(
        dvc,
        args,
        {
          cwd: this.options.cwd,
          timeout: timeoutMs,
          maxBuffer: 256 * 1024 * 1024,
          signal,
          env: { ...process.env, DVC_NO_ANALYTICS: '1', ...this.options.env },
          windowsHide: true,
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT')
            return reject(new Error(`DVC is not installed (no ${dvc} found); install it or set mlops.dvcPath, then refresh.`));
          if (signal?.aborted) return reject(error);
          if ((error as { killed?: boolean }).killed) {
            return reject(
              new Error(
                `dvc exp show did not finish within ${Math.round(timeoutMs / 1000)} s; run it in a terminal to see why, then refresh.`,
              ),
            );
          }
          const detail = lastMeaningfulLine(stderr) ?? lastMeaningfulLine(stdout) ?? error.message;
          if (/not a dvc repository/i.test(stderr))
            return reject(new Error(`${this.options.cwd} is not a DVC repository; run dvc init there to track experiments.`));
          reject(
            new Error(`dvc exp show failed: ${detail.replace(/^ERROR:\s*/, '').replace(/\.$/, '')}; run it in a terminal for details.`),
          );
        },
      );
    });
  }
}

function firstJsonChar(text: string): number {
  const match = /^[[{]/m.exec(text);
  return match ? match.index : 0;
}

function lastMeaningfulLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^(Having any troubles|\+-+|\|)/.test(l))
    .at(-1);
}

interface DvcRevData {
  rev?: string;
  timestamp?: string | null;
  params?: Record<string, { data?: unknown; error?: unknown }>;
  metrics?: Record<string, { data?: unknown; error?: unknown }>;
  name?: string;
  queued?: boolean;
  running?: boolean;
  executor?: unknown;
}

/** Maps the output of `dvc exp show --json` (DVC 3 list or DVC 2 object) to runs. */
export function parseDvcExpShow(json: unknown): Run[] {
  const runs: Run[] = [];
  if (Array.isArray(json)) {
    for (const commit of json as Record<string, unknown>[]) {
      const rev = String(commit.rev ?? '');
      const baselineName =
        rev === 'workspace' ? 'workspace' : typeof commit.name === 'string' && commit.name ? commit.name : rev.slice(0, 7);
      runs.push(toRun(rev, baselineName, baselineName, commit.data as DvcRevData | undefined, commit.error, undefined));
      for (const exp of (commit.experiments ?? commit.exps ?? []) as Record<string, unknown>[]) {
        const revs = (exp.revs ?? [exp]) as Record<string, unknown>[];
        for (const expRev of revs) {
          const r = String(expRev.rev ?? '');
          const name =
            typeof expRev.name === 'string' && expRev.name ? expRev.name : typeof exp.name === 'string' ? exp.name : r.slice(0, 7);
          runs.push(
            toRun(
              r,
              name,
              baselineName,
              expRev.data as DvcRevData | undefined,
              expRev.error,
              exp.executor ?? (expRev.data as DvcRevData | undefined)?.executor,
            ),
          );
        }
      }
    }
    return runs;
  }
  if (json && typeof json === 'object') {
    for (const [baselineRev, group] of Object.entries(json as Record<string, Record<string, { data?: DvcRevData; error?: unknown }>>)) {
      const baseline = group.baseline;
      const baselineName = baselineRev === 'workspace' ? 'workspace' : (baseline?.data?.name ?? baselineRev.slice(0, 7));
      runs.push(toRun(baselineRev, baselineName, baselineName, baseline?.data, baseline?.error, undefined));
      for (const [rev, entry] of Object.entries(group)) {
        if (rev === 'baseline') continue;
        const data = entry.data;
        runs.push(toRun(rev, data?.name ?? rev.slice(0, 7), baselineName, data, entry.error, data?.executor));
      }
    }
  }
  return runs;
}

function toRun(rev: string, name: string, experiment: string, data: DvcRevData | undefined, error: unknown, executor: unknown): Run {
  const params: Record<string, ParamValue> = {};
  for (const [file, content] of Object.entries(data?.params ?? {})) {
    // Keys of files other than params.yaml read `file.yaml:key`, the way DVC shows them.
    for (const [key, value] of Object.entries(flattenParams(content?.data)))
      params[file === DEFAULT_PARAMS_FILE ? key : `${file}:${key}`] = value;
  }
  const metrics: Record<string, number> = {};
  for (const content of Object.values(data?.metrics ?? {})) flattenMetrics(content?.data, '', metrics);
  const isWorkspace = rev === 'workspace';
  return {
    id: `dvc:${rev}`,
    source: 'dvc',
    experiment,
    name,
    status: statusOf(error, executor, data),
    // DVC prints the commit time without an offset, in local time, which is how Date reads it.
    startTime: data?.timestamp && !Number.isNaN(Date.parse(data.timestamp)) ? new Date(data.timestamp).toISOString() : undefined,
    params,
    metrics,
    tags: {},
    commit: isWorkspace || !/^[0-9a-f]{7,40}$/.test(rev) ? undefined : rev,
  };
}

function statusOf(error: unknown, executor: unknown, data: DvcRevData | undefined): RunStatus {
  if (error) return 'failed';
  const state =
    executor && typeof executor === 'object'
      ? (executor as { state?: string }).state
      : typeof executor === 'string'
        ? 'running'
        : undefined;
  if (state === 'running' || data?.running) return 'running';
  if (state === 'queued' || data?.queued) return 'scheduled';
  if (state === 'failed') return 'failed';
  return 'finished';
}
