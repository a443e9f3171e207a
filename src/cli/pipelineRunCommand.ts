import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { runPipeline } from '../core/runner/pipelineRun';
import { oneOf, parseArgs, UsageError } from './args';

export const pipelineRunUsage = 'mlops pipeline run STAGE|FILE:STAGE|FILE [--single] [--force] [--runner auto|dvc|builtin]';

export interface PipelineRunIo {
  /** The run's output as it comes (default: standard output). */
  write?: (text: string) => void;
  /** What the command says about the run: refusals, failures, where it was recorded (default: standard error). */
  error?: (text: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Stops the run; without one, Ctrl-C (SIGINT) and SIGTERM stop it. */
  signal?: AbortSignal;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/** `train` → ./dvc.yaml's train; `sub/dvc.yaml:train@rf` → that file's stage; `sub/dvc.yaml` or `sub/` → its whole pipeline. */
export async function resolveRunTarget(target: string, cwd: string): Promise<{ pipelineFile: string; stage?: string }> {
  const colon = target.lastIndexOf(':');
  // A drive letter (C:\…) is not a FILE:STAGE separator.
  if (colon > 1 || (colon === 1 && !/^[A-Za-z]:[\\/]/.test(target))) {
    const filePart = target.slice(0, colon);
    const stage = target.slice(colon + 1);
    if (!stage) throw new UsageError(`no stage after '${filePart}:'; give FILE:STAGE`);
    let pipelineFile = resolve(cwd, filePart);
    if (await isDirectory(pipelineFile)) pipelineFile = join(pipelineFile, 'dvc.yaml');
    return { pipelineFile, stage };
  }
  const asPath = resolve(cwd, target);
  if (
    /(^|[\\/])dvc\.yaml$/.test(target) ||
    target.endsWith('/') ||
    target.endsWith(sep) ||
    (target !== '' && (await isDirectory(asPath)))
  ) {
    return { pipelineFile: (await isDirectory(asPath)) ? join(asPath, 'dvc.yaml') : asPath };
  }
  return { pipelineFile: join(cwd, 'dvc.yaml'), stage: target };
}

/**
 * `mlops pipeline run`: runs a stage (with what it needs upstream) through DVC or the built-in
 * runner, streams its output, records the run under `.mlops/runs/`, and exits with the stage's code.
 */
export async function pipelineRunCommand(argv: string[], io: PipelineRunIo = {}): Promise<number> {
  const args = parseArgs(argv, { flags: ['single', 'force'], options: ['runner'] });
  if (args.positionals.length !== 1)
    throw new UsageError(args.positionals.length === 0 ? 'say which stage to run' : 'give one stage to run');
  const runner = oneOf(args.options.get('runner')?.at(-1), ['auto', 'dvc', 'builtin'] as const, 'runner', 'auto');
  const write = io.write ?? ((text: string) => void process.stdout.write(text));
  const error = io.error ?? ((text: string) => void process.stderr.write(text));
  const cwd = io.cwd ?? process.cwd();
  const target = await resolveRunTarget(args.positionals[0] ?? '', cwd);
  const shown = relative(cwd, target.pipelineFile) || target.pipelineFile;
  if (!(await exists(target.pipelineFile))) {
    error(`${shown} does not exist: run this in the folder holding dvc.yaml, or give FILE:STAGE.\n`);
    return 1;
  }
  // Records go with the project being run: the current folder when the pipeline is inside it.
  const inside = !relative(cwd, target.pipelineFile).startsWith('..') && !isAbsolute(relative(cwd, target.pipelineFile));
  const workspaceFolder = inside ? cwd : dirname(target.pipelineFile);

  let controller: AbortController | undefined;
  const stop = (): void => controller?.abort();
  if (!io.signal) {
    controller = new AbortController();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  try {
    const result = await runPipeline({
      pipelineFile: target.pipelineFile,
      stage: target.stage,
      single: args.flags.has('single'),
      force: args.flags.has('force'),
      runner,
      workspaceFolder,
      env: io.env ?? process.env,
      signal: io.signal ?? controller?.signal,
      onEvent: (event) => {
        if (event.type === 'output') write(event.text);
      },
    });
    if (result.message) error(`${result.message}\n`);
    if (result.recordFile) error(`Run recorded in ${relative(cwd, result.recordFile) || result.recordFile}\n`);
    return result.exitCode;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}
