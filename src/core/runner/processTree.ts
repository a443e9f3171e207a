import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Child processes started as their own process group, so stopping a run stops everything the
 * stage started (a shell, the Python it runs, the workers that Python forks), not just the shell.
 */
export type OutputStream = 'stdout' | 'stderr';

export interface ProcessResult {
  /** Exit code, or 128 + signal number when the process was killed by a signal (as shells report it). */
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal?: NodeJS.Signals;
  /** Whether `stop()` (or the abort signal) ended it. */
  stopped: boolean;
  /** The last `tailBytes` of combined output, for error messages. */
  tail: string;
  /** Set when the command could not be started at all (missing executable, missing cwd). */
  spawnError?: string;
}

export interface ProcessOptions {
  /** A shell command line (`/bin/sh -c`), or an executable and its arguments (no shell). */
  command: string | { file: string; args: string[] };
  cwd: string;
  env?: NodeJS.ProcessEnv;
  onOutput?: (text: string, stream: OutputStream) => void;
  signal?: AbortSignal;
  /** How much of the latest output to keep for the result's `tail` (default 16 KB). */
  tailBytes?: number;
  /** Time between SIGTERM and SIGKILL when stopping (default 1.5 s). */
  killAfterMs?: number;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  readonly done: Promise<ProcessResult>;
  /** Stops the whole process group: SIGTERM now, SIGKILL after `killAfterMs`. Resolves when it is gone. */
  stop(): Promise<ProcessResult>;
}

const DEFAULT_TAIL_BYTES = 16 * 1024;
const DEFAULT_KILL_AFTER_MS = 1500;
/** After the leader exits, how long to wait for grandchildren still holding its stdout. */
const PIPE_DRAIN_MS = 2000;

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/** Keeps only the last `limit` characters of what was appended, without growing with the output. */
export class OutputTail {
  private chunks: string[] = [];
  private length = 0;

  constructor(private readonly limit: number) {}

  append(text: string): void {
    if (text.length === 0 || this.limit <= 0) return;
    const kept = text.length > this.limit ? text.slice(text.length - this.limit) : text;
    this.chunks.push(kept);
    this.length += kept.length;
    while (this.length > this.limit && this.chunks.length > 1) {
      const first = this.chunks[0] ?? '';
      const excess = this.length - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.length -= first.length;
      } else {
        this.chunks[0] = first.slice(excess);
        this.length -= excess;
      }
    }
  }

  toString(): string {
    return this.chunks.join('');
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  if (process.platform === 'win32') {
    // Windows has no process groups; taskkill /T walks the tree.
    if (signal === 'SIGKILL' || signal === 'SIGTERM')
      spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' }).on('error', () => {});
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Live (not zombie) processes of a process group, from /proc; undefined where there is no /proc.
 * Zombies count as gone: they hold no resources and an init that does not reap would keep them forever.
 */
export function processGroupMembers(pgid: number): number[] | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(name));
  }
  return members;
}

/** Whether any process of the group is still alive (POSIX only). */
export function processGroupAlive(pgid: number): boolean {
  const members = processGroupMembers(pgid);
  if (members) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function startProcess(options: ProcessOptions): RunningProcess {
  const tail = new OutputTail(options.tailBytes ?? DEFAULT_TAIL_BYTES);
  const killAfterMs = options.killAfterMs ?? DEFAULT_KILL_AFTER_MS;
  const windows = process.platform === 'win32';
  const [file, args] =
    typeof options.command === 'string'
      ? windows
        ? [process.env.ComSpec ?? 'cmd.exe', ['/d', '/s', '/c', options.command]]
        : ['/bin/sh', ['-c', options.command]]
      : [options.command.file, options.command.args];

  let stopped = false;
  let killTimer: NodeJS.Timeout | undefined;
  let child: ChildProcess;
  let resolveDone!: (result: ProcessResult) => void;
  const done = new Promise<ProcessResult>((resolve) => (resolveDone = resolve));
  let settled = false;
  const finish = (result: Omit<ProcessResult, 'tail' | 'stopped'>): void => {
    if (settled) return;
    settled = true;
    if (killTimer) clearTimeout(killTimer);
    options.signal?.removeEventListener('abort', onAbort);
    resolveDone({ ...result, stopped, tail: tail.toString() });
  };

  const stop = (): Promise<ProcessResult> => {
    if (!settled && !stopped) {
      stopped = true;
      killGroup(child, 'SIGTERM');
      // The leader may exit on SIGTERM while children that ignore it live on: kill the group anyway.
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), killAfterMs);
      killTimer.unref?.();
    }
    return done;
  };
  const onAbort = (): void => void stop();

  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: !windows,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
  } catch (error) {
    finish({ exitCode: 127, spawnError: (error as Error).message });
    return { pid: undefined, done, stop: () => done };
  }

  const listen = (stream: NodeJS.ReadableStream | null, name: OutputStream): void => {
    if (!stream) return;
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text.length === 0) return;
      tail.append(text);
      options.onOutput?.(text, name);
    });
    stream.on('end', () => {
      const rest = decoder.end();
      if (rest.length > 0) {
        tail.append(rest);
        options.onOutput?.(rest, name);
      }
    });
  };
  listen(child.stdout, 'stdout');
  listen(child.stderr, 'stderr');

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const resultOf = (code: number | null, signal: NodeJS.Signals | null): Omit<ProcessResult, 'tail' | 'stopped'> =>
    signal ? { exitCode: 128 + (SIGNAL_NUMBERS[signal] ?? 0), signal } : { exitCode: code ?? 1 };
  child.on('error', (error) => {
    if (child.pid === undefined) finish({ exitCode: 127, spawnError: error.message });
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    if (stopped) return;
    // A background process of the stage may keep the pipes open; do not wait for it forever.
    const drain = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(resultOf(code, signal));
    }, PIPE_DRAIN_MS);
    drain.unref?.();
  });
  child.on('close', (code, signal) => {
    const final = exit ?? { code, signal };
    if (!stopped) {
      finish(resultOf(final.code, final.signal));
      return;
    }
    // Stopped: wait until nothing of the group is left, so "stopped" means gone.
    const pgid = child.pid;
    if (pgid === undefined || windows || !processGroupAlive(pgid)) {
      finish(resultOf(final.code, final.signal));
      return;
    }
    const giveUpAt = Date.now() + killAfterMs + 1000;
    const poll = setInterval(() => {
      if (!processGroupAlive(pgid) || Date.now() > giveUpAt) {
        clearInterval(poll);
        finish(resultOf(final.code, final.signal));
      }
    }, 20);
  });

  if (options.signal?.aborted) void stop();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return { pid: child.pid, done, stop };
}
