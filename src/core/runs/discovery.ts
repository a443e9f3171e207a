import { existsSync, promises as fs } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IGNORED_DIRECTORIES } from '../fileKinds';
import { DvcExperimentsSource } from './dvcExperimentsSource';
import { GitHistorySource } from './gitHistorySource';
import { MlflowFileStoreSource } from './mlflowFileStore';
import { MlflowRestSource, type MlflowCredentials } from './mlflowRestSource';
import { MlflowSqliteSource } from './mlflowSqliteSource';
import type { Run, RunSource, RunSourceKind } from './model';
import { RUN_RECORDS_DIR } from './runRecord';
import { WorkbenchRunsSource } from './workbenchRunsSource';

export interface RunDiscoveryOptions {
  /** The `mlops.mlflow.trackingUri` setting; empty falls back to MLFLOW_TRACKING_URI in `env`. */
  trackingUri?: string;
  /** For a tracking server; from the editor's secret storage or MLflow's env variables. */
  credentials?: MlflowCredentials;
  dvcPath?: string;
  gitPath?: string;
  /** Git history depth; default 20. */
  maxCommits?: number;
  /** Only these kinds; default all. */
  kinds?: RunSourceKind[];
  /** How deep below the folder to look for mlflow.db, mlruns/ and DVC repositories; default 3. */
  depth?: number;
  env?: NodeJS.ProcessEnv;
  /** Per process (dvc) and, unless `mlflowTimeoutMs` is given, per tracking-server request. */
  timeoutMs?: number;
  /** Per tracking-server request (the `mlops.mlflow.requestTimeout` setting). */
  mlflowTimeoutMs?: number;
}

export interface RunSourceFailure {
  source: RunSource;
  /** One sentence for people. */
  error: string;
}

/** Finds every place runs are kept in a workspace folder. Finding never fails; reading may. */
export async function discoverRunSources(folder: string, options: RunDiscoveryOptions = {}): Promise<RunSource[]> {
  const wanted = (kind: RunSourceKind): boolean => !options.kinds || options.kinds.includes(kind);
  const env = options.env ?? process.env;
  const sources: RunSource[] = [];
  const found = await findStores(folder, options.depth ?? 3);
  const label = (path: string): string => relative(folder, path).split('\\').join('/') || '.';

  if (wanted('mlflow')) {
    const seen = new Set<string>();
    const uri = options.trackingUri?.trim() || env.MLFLOW_TRACKING_URI?.trim();
    if (uri) {
      const fromUri = sourceForTrackingUri(uri, folder, options, env);
      if (fromUri) {
        sources.push(fromUri);
        if (fromUri instanceof MlflowSqliteSource) seen.add(resolve(fromUri.path));
        if (fromUri instanceof MlflowFileStoreSource) seen.add(resolve(fromUri.root));
      }
    }
    for (const db of found.sqlite) if (!seen.has(resolve(db))) sources.push(new MlflowSqliteSource(db, label(db)));
    for (const dir of found.mlruns) if (!seen.has(resolve(dir))) sources.push(new MlflowFileStoreSource(dir, `${label(dir)}/`));
  }
  if (wanted('dvc')) {
    for (const repo of found.dvcRepos) {
      const name = found.dvcRepos.length > 1 ? `DVC experiments (${label(repo)})` : undefined;
      sources.push(new DvcExperimentsSource({ cwd: repo, dvcPath: options.dvcPath, timeoutMs: options.timeoutMs, label: name }));
    }
  }
  if (wanted('git') && isInGitRepository(folder)) {
    sources.push(new GitHistorySource({ cwd: folder, maxCommits: options.maxCommits, gitPath: options.gitPath }));
  }
  if (wanted('workbench') && existsSync(join(folder, RUN_RECORDS_DIR))) sources.push(new WorkbenchRunsSource(folder));
  return sources;
}

/** The source a tracking URI names: a server, a SQLite file or a file store. */
export function sourceForTrackingUri(
  uri: string,
  folder: string,
  options: RunDiscoveryOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): RunSource | undefined {
  if (/^https?:\/\//i.test(uri)) {
    return new MlflowRestSource(uri, {
      credentials: options.credentials ?? credentialsFromEnv(env),
      timeoutMs: options.mlflowTimeoutMs ?? options.timeoutMs,
    });
  }
  const sqlite = /^sqlite:\/\/\/(.+)$/i.exec(uri);
  if (sqlite?.[1]) {
    const path = resolve(folder, sqlite[1]);
    return new MlflowSqliteSource(path, relative(folder, path) || path);
  }
  if (/^file:/i.test(uri)) {
    const path = fileURLToPath(uri.startsWith('file://') ? uri : `file://${resolve(folder, uri.slice('file:'.length))}`);
    return new MlflowFileStoreSource(path, `${relative(folder, path) || path}/`);
  }
  // `databricks` and `databricks-uc` name a Databricks profile, not a folder.
  if (/^databricks/i.test(uri)) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) return new MlflowFileStoreSource(resolve(folder, uri), `${uri}/`);
  return undefined;
}

/** MLflow's own variables for a tracking server's credentials. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): MlflowCredentials | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: 'bearer', token: env.MLFLOW_TRACKING_TOKEN };
  if (env.MLFLOW_TRACKING_USERNAME)
    return { kind: 'basic', username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD ?? '' };
  return undefined;
}

/**
 * Lists the runs of every source; a source that fails is reported with its sentence and the
 * others' runs are still returned.
 */
export async function listAllRuns(sources: RunSource[], signal?: AbortSignal): Promise<{ runs: Run[]; failures: RunSourceFailure[] }> {
  const results = await Promise.allSettled(sources.map((source) => source.listRuns(signal)));
  const runs: Run[] = [];
  const failures: RunSourceFailure[] = [];
  results.forEach((result, i) => {
    const source = sources[i] as RunSource;
    if (result.status === 'fulfilled') runs.push(...result.value);
    else failures.push({ source, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
  });
  return { runs, failures };
}

async function findStores(folder: string, depth: number): Promise<{ sqlite: string[]; mlruns: string[]; dvcRepos: string[] }> {
  const out = { sqlite: [] as string[], mlruns: [] as string[], dvcRepos: [] as string[] };
  const walk = async (dir: string, level: number): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isFile() && entry.name === 'mlflow.db') out.sqlite.push(full);
      else if (entry.isDirectory() && entry.name === 'mlruns') out.mlruns.push(full);
      else if (entry.isDirectory() && entry.name === '.dvc') out.dvcRepos.push(dir);
      else if (entry.isDirectory() && level < depth && !IGNORED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.'))
        await walk(full, level + 1);
    }
  };
  await walk(folder, 0);
  return out;
}

function isInGitRepository(folder: string): boolean {
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return true;
    if (dirname(dir) === dir) return false;
  }
}
