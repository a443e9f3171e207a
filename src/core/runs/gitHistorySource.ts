import { simpleGit, type SimpleGit } from 'simple-git';
import { parse as parseYaml } from 'yaml';
import type { MetricPoint, ParamValue, Run, RunSource } from './model';
import { flattenMetrics, flattenParams, latestValueHistory } from './runValues';

export interface GitHistoryOptions {
  /** The workspace folder; only commits that touch it are read. */
  cwd: string;
  /** How many commits back; default 20. */
  maxCommits?: number;
  /** The git executable; default `git` on PATH. */
  gitPath?: string;
}

const DEFAULT_PARAMS_FILE = 'params.yaml';
const DEFAULT_METRICS_FILES = ['metrics.json', 'metrics.yaml', 'metrics.yml'];
const FIELD = '\x1f';

/**
 * A run per recent commit: the params files and metrics files as they were at that commit
 * (`git show <sha>:<path>`). Metrics files are metrics.json/.yaml and the `metrics:` outputs that
 * dvc.yaml declared at that commit. Needs neither DVC nor MLflow, only the repository.
 */
export class GitHistorySource implements RunSource {
  readonly kind = 'git' as const;
  readonly label = 'Git history';
  private readonly git: SimpleGit;
  private latest = new Map<string, Run>();

  constructor(private readonly options: GitHistoryOptions) {
    this.git = simpleGit({ baseDir: options.cwd, binary: options.gitPath || 'git', maxConcurrentProcesses: 4 });
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    let prefix: string;
    let branch: string;
    let log: string;
    try {
      prefix = (await this.git.raw(['rev-parse', '--show-prefix'])).trim();
      branch = (await this.git.raw(['rev-parse', '--abbrev-ref', 'HEAD']).catch(() => 'HEAD')).trim();
      log = await this.git.raw(['log', `-n${this.options.maxCommits ?? 20}`, `--format=%H${FIELD}%aI${FIELD}%an${FIELD}%s`, '--', '.']);
    } catch (error) {
      const message = (error as Error).message;
      if (/not a git repository/i.test(message))
        throw new Error(`${this.options.cwd} is not in a Git repository; commit your params and metrics files to compare them over time.`);
      if (/does not have any commits|unknown revision|bad default revision/i.test(message)) return [];
      if (/ENOENT|spawn/i.test(message)) throw new Error('Git is not installed or not on PATH; install Git to see runs from the history.');
      throw new Error(`Git could not read the history: ${firstLine(message)}.`);
    }
    const runs: Run[] = [];
    for (const line of log.split('\n')) {
      if (!line.trim()) continue;
      signal?.throwIfAborted();
      const [sha = '', date = '', author = '', subject = ''] = line.split(FIELD);
      const run = await this.runAt(sha, prefix, { date, author, subject, branch });
      if (run) runs.push(run);
    }
    this.latest = new Map(runs.map((r) => [r.id, r]));
    return runs;
  }

  /** Metrics files hold one value per commit: the history is that value. */
  async metricHistory(runId: string, metric: string): Promise<MetricPoint[]> {
    if (!this.latest.has(runId)) await this.listRuns();
    return latestValueHistory(this.latest.get(runId), metric);
  }

  private async runAt(
    sha: string,
    prefix: string,
    commit: { date: string; author: string; subject: string; branch: string },
  ): Promise<Run | undefined> {
    const dvcYaml = parseText('dvc.yaml', await this.show(sha, `${prefix}dvc.yaml`));
    const declared = declaredFiles(dvcYaml);
    const params: Record<string, ParamValue> = {};
    for (const file of new Set([DEFAULT_PARAMS_FILE, ...declared.params])) {
      const content = parseText(file, await this.show(sha, `${prefix}${file}`));
      if (content === undefined) continue;
      for (const [key, value] of Object.entries(flattenParams(content)))
        params[file === DEFAULT_PARAMS_FILE ? key : `${file}:${key}`] = value;
    }
    const metrics: Record<string, number> = {};
    for (const file of new Set([...DEFAULT_METRICS_FILES, ...declared.metrics])) {
      const content = parseText(file, await this.show(sha, `${prefix}${file}`));
      if (content !== undefined) flattenMetrics(content, '', metrics);
    }
    if (Object.keys(params).length === 0 && Object.keys(metrics).length === 0) return undefined;
    return {
      id: `git:${sha.slice(0, 7)}`,
      source: 'git',
      experiment: commit.branch === 'HEAD' ? 'detached HEAD' : commit.branch,
      name: commit.subject || sha.slice(0, 7),
      status: 'finished',
      startTime: commit.date ? new Date(commit.date).toISOString() : undefined,
      params,
      metrics,
      tags: { author: commit.author },
      commit: sha,
    };
  }

  private async show(sha: string, path: string): Promise<string | undefined> {
    try {
      return await this.git.show([`${sha}:${path}`]);
    } catch {
      return undefined;
    }
  }
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? text).trim().replace(/\.$/, '');
}

function parseText(file: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch {
    return undefined;
  }
}

/** Params files (`- other.yaml: [keys]`) and metrics outputs declared by the stages of a dvc.yaml. */
export function declaredFiles(dvcYaml: unknown): { params: string[]; metrics: string[] } {
  const params: string[] = [];
  const metrics: string[] = [];
  const usable = (path: string): boolean => !path.includes('${') && /\.(json|ya?ml)$/i.test(path);
  const addMetrics = (list: unknown, wdir: string): void => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      const path = typeof entry === 'string' ? entry : entry && typeof entry === 'object' ? Object.keys(entry)[0] : undefined;
      if (path && usable(path)) metrics.push(joinPath(wdir, path));
    }
  };
  if (!dvcYaml || typeof dvcYaml !== 'object') return { params, metrics };
  const root = dvcYaml as Record<string, unknown>;
  addMetrics(root.metrics, '');
  for (const stage of Object.values((root.stages ?? {}) as Record<string, unknown>)) {
    if (!stage || typeof stage !== 'object') continue;
    const body = ((stage as Record<string, unknown>).do ?? stage) as Record<string, unknown>;
    const wdir = typeof body.wdir === 'string' && !body.wdir.includes('${') ? body.wdir : '';
    addMetrics(body.metrics, wdir);
    if (Array.isArray(body.params)) {
      for (const entry of body.params) {
        if (entry && typeof entry === 'object') for (const file of Object.keys(entry)) if (usable(file)) params.push(joinPath(wdir, file));
      }
    }
  }
  return { params, metrics };
}

function joinPath(wdir: string, path: string): string {
  if (!wdir || wdir === '.') return path.replace(/^\.\//, '');
  const parts: string[] = [];
  for (const part of `${wdir}/${path}`.split('/')) {
    if (part === '..') parts.pop();
    else if (part && part !== '.') parts.push(part);
  }
  return parts.join('/');
}
