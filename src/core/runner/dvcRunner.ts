import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { startProcess } from './processTree';
import type { RunEvent, RunOutcome } from './runEvents';

/** Runs stages through `dvc repro`, so dvc.lock and the DVC cache are updated as DVC users expect. */
export type RunnerSetting = 'auto' | 'dvc' | 'builtin';

export interface DvcReproOptions {
  /** Absolute path of the dvc.yaml. */
  pipelineFile: string;
  /** DVC stage name (`train@rf` as is); none for the whole pipeline. */
  stage?: string;
  single?: boolean;
  force?: boolean;
  /** Where dvc runs; paths on its command line are relative to it (default: the dvc.yaml's folder). */
  cwd?: string;
}

/** `dvc repro` arguments: `repro dvc.yaml:train@rf --single-item --force`, or `repro dvc.yaml` for the pipeline. */
export function dvcReproArgs(options: DvcReproOptions): string[] {
  const cwd = options.cwd ?? dirname(options.pipelineFile);
  const file = relative(cwd, options.pipelineFile).split('\\').join('/') || 'dvc.yaml';
  const args = ['repro', options.stage === undefined ? file : `${file}:${options.stage}`];
  if (options.single) args.push('--single-item');
  if (options.force) args.push('--force');
  return args;
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (process.platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where a Python tool (`dvc`, `mlflow`) is: the path set by the user, then the folder's own
 * virtualenv, then PATH. An explicit path that does not exist is not silently replaced by another.
 */
export function findExecutable(
  tool: string,
  folder: string,
  options: { explicitPath?: string; env?: NodeJS.ProcessEnv } = {},
): string | undefined {
  const explicit = options.explicitPath?.trim();
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(folder, explicit);
    return isExecutable(path) ? path : undefined;
  }
  const windows = process.platform === 'win32';
  const names = windows ? [`${tool}.exe`, `${tool}.cmd`, tool] : [tool];
  for (const venv of ['.venv', 'venv']) {
    for (const name of names) {
      const path = join(folder, venv, windows ? 'Scripts' : 'bin', name);
      if (isExecutable(path)) return path;
    }
  }
  const env = options.env ?? process.env;
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const path = join(dir, name);
      if (isExecutable(path)) return path;
    }
  }
  return undefined;
}

/** Where `dvc` is (see `findExecutable`). */
export function findDvc(folder: string, options: { explicitPath?: string; env?: NodeJS.ProcessEnv } = {}): string | undefined {
  return findExecutable('dvc', folder, options);
}

/** The folder holding `.dvc/` at or above `dir`, if any (`dvc repro` only works inside one). */
export function findDvcRoot(dir: string): string | undefined {
  let current = resolve(dir);
  for (;;) {
    if (existsSync(join(current, '.dvc'))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

export type RunnerChoice = { runner: 'dvc' | 'builtin'; error?: undefined } | { runner?: undefined; error: string };

/**
 * Which runner a run uses. `auto` prefers DVC when it is installed and the folder is a DVC
 * repository (so dvc.lock stays current), and otherwise runs the commands itself.
 */
export function chooseRunner(setting: RunnerSetting, dvcFound: boolean, inDvcRepository = true): RunnerChoice {
  if (setting === 'builtin') return { runner: 'builtin' };
  if (setting === 'dvc') {
    if (!dvcFound) return { error: 'DVC is not installed: install it (pip install dvc) or set mlops.runner to builtin.' };
    if (!inDvcRepository) return { error: 'This folder is not a DVC repository: run dvc init in it, or set mlops.runner to builtin.' };
    return { runner: 'dvc' };
  }
  return { runner: dvcFound && inDvcRepository ? 'dvc' : 'builtin' };
}

export interface DvcRunOptions extends DvcReproOptions {
  dvcPath: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** Runs `dvc repro` as its own process group; its exit code is the run's. */
export async function runDvcRepro(options: DvcRunOptions): Promise<RunOutcome> {
  const cwd = options.cwd ?? dirname(options.pipelineFile);
  const args = dvcReproArgs({ ...options, cwd });
  const emit = options.onEvent ?? ((): void => {});
  emit({ type: 'output', text: `> dvc ${args.join(' ')}\n`, stream: 'stdout' });
  const result = await startProcess({
    command: { file: options.dvcPath, args },
    cwd,
    env: { DVC_NO_ANALYTICS: '1', ...(options.env ?? process.env) },
    signal: options.signal,
    onOutput: (text, stream) => emit({ type: 'output', stage: options.stage, text, stream }),
  }).done;
  if (result.stopped) return { exitCode: result.exitCode, status: 'killed', ran: [], skipped: [], message: 'The run was stopped.' };
  if (result.spawnError) {
    return {
      exitCode: 1,
      status: 'failed',
      ran: [],
      skipped: [],
      message: `DVC could not start (${result.spawnError}): check the DVC path setting or install it (pip install dvc).`,
    };
  }
  if (result.exitCode !== 0) {
    const what = options.stage === undefined ? 'the pipeline' : `stage '${options.stage}'`;
    return {
      exitCode: result.exitCode,
      status: 'failed',
      ran: [],
      skipped: [],
      failedStage: options.stage,
      message: `dvc repro of ${what} failed with exit code ${result.exitCode}; see its output above.`,
    };
  }
  return { exitCode: 0, status: 'finished', ran: [], skipped: [] };
}
