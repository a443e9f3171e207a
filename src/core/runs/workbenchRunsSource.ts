import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { MetricPoint, Run, RunSource, RunStatus } from './model';
import { RUN_RECORDS_DIR, type RunRecord } from './runRecord';
import { flattenMetrics, flattenParams, latestValueHistory } from './runValues';

const STATUSES: RunStatus[] = ['running', 'finished', 'failed', 'killed', 'scheduled'];

/**
 * Runs started from the Pipelines view: the records under `.mlops/runs/`. A record that cannot be
 * read (being written, hand-edited) is skipped and reported through `problems`, not thrown.
 */
export class WorkbenchRunsSource implements RunSource {
  readonly kind = 'workbench' as const;
  readonly label = 'Runs started here';
  /** One sentence per record that was skipped by the last listRuns. */
  problems: string[] = [];
  private latest = new Map<string, Run>();

  constructor(private readonly folder: string) {}

  async listRuns(signal?: AbortSignal): Promise<Run[]> {
    const dir = join(this.folder, RUN_RECORDS_DIR);
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new Error(
        `${RUN_RECORDS_DIR} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions.`,
      );
    }
    const runs: Run[] = [];
    const problems: string[] = [];
    for (const name of names.sort()) {
      signal?.throwIfAborted();
      try {
        const record = JSON.parse(await fs.readFile(join(dir, name), 'utf8')) as Partial<RunRecord>;
        if (typeof record.id !== 'string' || typeof record.startTime !== 'string') throw new Error('it has no id or startTime');
        runs.push(toRun(record as RunRecord));
      } catch (error) {
        problems.push(`${RUN_RECORDS_DIR}/${name} was skipped: ${(error as Error).message.replace(/\.$/, '')}.`);
      }
    }
    this.problems = problems;
    this.latest = new Map(runs.map((r) => [r.id, r]));
    return runs.sort((a, b) => (b.startTime ?? '').localeCompare(a.startTime ?? ''));
  }

  async metricHistory(runId: string, metric: string): Promise<MetricPoint[]> {
    if (!this.latest.has(runId)) await this.listRuns();
    const run = this.latest.get(runId);
    return latestValueHistory(run, metric, run?.endTime ?? run?.startTime);
  }
}

function toRun(record: RunRecord): Run {
  const stages = Array.isArray(record.stages) ? record.stages.map(String) : [];
  return {
    id: `workbench:${record.id}`,
    source: 'workbench',
    experiment: record.pipeline ?? 'dvc.yaml',
    name: stages.length > 0 ? stages.join(', ') : record.id,
    status: STATUSES.includes(record.status) ? record.status : 'unknown',
    startTime: record.startTime,
    endTime: record.endTime,
    params: flattenParams(record.params ?? {}),
    metrics: flattenMetrics(record.metrics ?? {}),
    tags: {
      ...(record.exitCode !== undefined && record.exitCode !== null ? { exitCode: String(record.exitCode) } : {}),
      ...(record.logFile ? { logFile: record.logFile } : {}),
    },
    commit: record.commit,
  };
}
