import type { MetricPoint, Run, RunSource } from './model';
import { isoFromMillis, paramFromText, statusFromMlflow } from './runValues';

/** How to sign in to a tracking server. The secret never appears in a message or a log. */
export type MlflowCredentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface MlflowRestOptions {
  credentials?: MlflowCredentials;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** Runs and experiments per page; default 1000 (MLflow's maximum for runs/search is 50,000). */
  pageSize?: number;
  /** For tests and proxies; default the global fetch. */
  fetch?: typeof fetch;
}

interface RestRun {
  info?: {
    run_id?: string;
    run_uuid?: string;
    run_name?: string;
    experiment_id?: string;
    status?: string;
    start_time?: number | string;
    end_time?: number | string;
    artifact_uri?: string;
    lifecycle_stage?: string;
  };
  data?: {
    metrics?: { key: string; value: number | string; timestamp?: number | string; step?: number | string }[];
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
  };
}

const PAGE_SIZE = 1000;
/** runs/search accepts a bounded list of experiment ids per request. */
const EXPERIMENTS_PER_SEARCH = 100;

/**
 * Runs of an MLflow tracking server over its REST API (`/api/2.0/mlflow`): experiments/search and
 * runs/search page by page, metric histories from metrics/get-history on demand. Works for any
 * backend the server has (SQLite, PostgreSQL, hosted services such as DagsHub).
 */
export class MlflowRestSource implements RunSource {
  readonly kind = 'mlflow' as const;
  readonly label: string;
  private readonly base: string;
  private readonly authorization: string | undefined;

  constructor(
    trackingUri: string,
    private readonly options: MlflowRestOptions = {},
  ) {
    const url = new URL(trackingUri);
    let credentials = options.credentials;
    // Credentials written into the URI itself are used, then dropped from everything shown.
    if (!credentials && url.username) {
      credentials = { kind: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    }
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/+$/, '');
    this.label = this.base;
    this.authorization =
      credentials?.kind === 'basic'
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
        : credentials?.kind === 'bearer'
          ? `Bearer ${credentials.token}`
          : undefined;
  }

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    const experiments = new Map<string, string>();
    let pageToken: string | undefined;
    do {
      const page: { experiments?: { experiment_id: string; name: string; lifecycle_stage?: string }[]; next_page_token?: string } =
        await this.request(
          'experiments/search',
          { max_results: this.options.pageSize ?? PAGE_SIZE, view_type: 'ACTIVE_ONLY', ...(pageToken ? { page_token: pageToken } : {}) },
          signal,
        );
      for (const e of page.experiments ?? []) if (e.lifecycle_stage !== 'deleted') experiments.set(String(e.experiment_id), e.name);
      pageToken = page.next_page_token || undefined;
    } while (pageToken);

    const runs: Run[] = [];
    const ids = [...experiments.keys()];
    for (let i = 0; i < ids.length; i += EXPERIMENTS_PER_SEARCH) {
      const batch = ids.slice(i, i + EXPERIMENTS_PER_SEARCH);
      pageToken = undefined;
      do {
        const page: { runs?: RestRun[]; next_page_token?: string } = await this.request(
          'runs/search',
          {
            experiment_ids: batch,
            max_results: this.options.pageSize ?? PAGE_SIZE,
            run_view_type: 'ACTIVE_ONLY',
            ...(pageToken ? { page_token: pageToken } : {}),
          },
          signal,
        );
        for (const raw of page.runs ?? []) {
          const run = toRun(raw, experiments);
          if (run) runs.push(run);
        }
        pageToken = page.next_page_token || undefined;
      } while (pageToken);
    }
    return runs.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
  }

  async metricHistory(runId: string, metric: string, signal?: AbortSignal): Promise<MetricPoint[]> {
    const id = runId.startsWith('mlflow:') ? runId.slice('mlflow:'.length) : runId;
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    do {
      const query = new URLSearchParams({ run_id: id, metric_key: metric, max_results: '25000' });
      if (pageToken) query.set('page_token', pageToken);
      const page: {
        metrics?: { value: number | string; timestamp?: number | string; step?: number | string }[];
        next_page_token?: string;
      } = await this.request(`metrics/get-history?${query.toString()}`, undefined, signal);
      for (const m of page.metrics ?? [])
        points.push({ step: Number(m.step ?? 0), timestamp: Number(m.timestamp ?? 0), value: Number(m.value) });
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  /** One REST call; every failure becomes one sentence naming the server, never the secret. */
  private async request<T>(endpoint: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (timeout.aborted)
        throw new Error(
          `The MLflow server at ${this.base} did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}; check that it is running and reachable, then refresh.`,
        );
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(
        `The MLflow server at ${this.base} is not reachable${cause ? ` (${cause})` : ''}; start it or correct the tracking URI, then refresh.`,
      );
    }
    if (!response.ok) {
      // Drain the body so the connection is released; its text may echo headers, so it is not shown.
      await response.text().catch(() => '');
      throw new Error(this.statusMessage(response.status));
    }
    try {
      return (await response.json()) as T;
    } catch {
      throw new Error(
        `The server at ${this.base} answered ${endpoint.split('?')[0]} with something that is not JSON; check that the tracking URI points at an MLflow server.`,
      );
    }
  }

  private statusMessage(status: number): string {
    const server = `The MLflow server at ${this.base}`;
    switch (status) {
      case 401:
        return `${server} did not accept the credentials (401); set the user name and password or token again.`;
      case 403:
        return `${server} does not let this account read experiments (403); ask its administrator for access.`;
      case 404:
        return `${server} has no MLflow REST API at /api/2.0/mlflow (404); check the tracking URI.`;
      default:
        return status >= 500
          ? `${server} failed with an internal error (${status}); check the server's log, then refresh.`
          : `${server} rejected the request (${status}); check the tracking URI and the server version.`;
    }
  }
}

function toRun(raw: RestRun, experiments: Map<string, string>): Run | undefined {
  const info = raw.info ?? {};
  const runId = info.run_id ?? info.run_uuid;
  if (!runId || info.lifecycle_stage === 'deleted') return undefined;
  const params: Run['params'] = {};
  for (const p of raw.data?.params ?? []) params[p.key] = paramFromText(String(p.value));
  const metrics: Run['metrics'] = {};
  for (const m of raw.data?.metrics ?? []) metrics[m.key] = Number(m.value);
  const tags: Run['tags'] = {};
  for (const t of raw.data?.tags ?? []) tags[t.key] = String(t.value);
  return {
    id: `mlflow:${runId}`,
    source: 'mlflow',
    experiment: experiments.get(String(info.experiment_id)) ?? String(info.experiment_id ?? ''),
    experimentId: info.experiment_id === undefined ? undefined : String(info.experiment_id),
    name: info.run_name || tags['mlflow.runName'] || runId,
    status: statusFromMlflow(info.status),
    startTime: isoFromMillis(info.start_time),
    endTime: isoFromMillis(info.end_time),
    params,
    metrics,
    tags,
    commit: tags['mlflow.source.git.commit'],
    artifactUri: info.artifact_uri,
  };
}
