import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * One run per pipeline at a time, across the editor and terminals: two runs of the same dvc.yaml
 * would write the same outs. The lock is `.mlops/run.lock` beside the dvc.yaml, holding who runs.
 */
export interface RunLockOwner {
  pid: number;
  host: string;
  /** What is running, for the refusal message. */
  what: string;
  startTime: string;
}

export interface RunLock {
  release(): Promise<void>;
}

export function runLockFile(pipelineFile: string): string {
  return join(dirname(pipelineFile), '.mlops', 'run.lock');
}

function alive(owner: RunLockOwner): boolean {
  // A lock from another machine (shared folder) cannot be checked; trust it.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<RunLockOwner | undefined> {
  try {
    const value = JSON.parse(await fs.readFile(path, 'utf8')) as RunLockOwner;
    return typeof value.pid === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the pipeline's run lock, or returns the sentence saying who holds it. A lock left by a
 * process that no longer exists (a crash, a killed terminal) is taken over.
 */
export async function acquireRunLock(pipelineFile: string, what: string, now: Date = new Date()): Promise<RunLock | string> {
  const path = runLockFile(pipelineFile);
  await fs.mkdir(dirname(path), { recursive: true });
  const owner: RunLockOwner = { pid: process.pid, host: hostname(), what, startTime: now.toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(path, JSON.stringify(owner), { flag: 'wx' });
      return {
        release: async () => {
          const current = await readOwner(path);
          if (current && current.pid === owner.pid && current.startTime === owner.startTime) await fs.rm(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(path);
    if (holder && alive(holder)) {
      const since = holder.startTime.slice(11, 19);
      return `${basename(pipelineFile)} is already running (${holder.what}, started at ${since} UTC); wait for it to finish or stop it first.`;
    }
    await fs.rm(path, { force: true });
  }
  return `${basename(pipelineFile)} could not be locked for a run; delete ${runLockFile(pipelineFile)} if no run is going on.`;
}
