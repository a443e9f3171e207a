import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { RunnerSetting } from '../../core/runner/dvcRunner';
import { runPipeline } from '../../core/runner/pipelineRun';
import { startProcess } from '../../core/runner/processTree';
import type { RunEvent, RunOutcome } from '../../core/runner/runEvents';
import { output } from '../output';

/** A `mlops` task: what tasks.json entries look like (`"type": "mlops"`). */
export interface MlopsTaskDefinition extends vscode.TaskDefinition {
  type: 'mlops';
  /** dvc.yaml (or MLproject), relative to the workspace folder. */
  pipeline: string;
  /** Stage name (`train@rf`) or MLflow entry point; none for the whole pipeline. */
  stage?: string;
  single?: boolean;
  force?: boolean;
  /** For MLproject entry points: parameter values. */
  parameters?: Record<string, string>;
}

/** How a run reports to the rest of the editor (tree icons, status bar). */
export interface RunObserver {
  started(file: string, stage: string | undefined): void;
  stageRunning(file: string, stage: string): void;
  stageEnded(file: string, stage: string, ok: boolean, detail?: string): void;
  finished(file: string, stage: string | undefined, outcome: { exitCode: number; message?: string }): void;
}

/** MLproject entry points run through `mlflow run`; dvc.yaml stages through the core's pipeline runner. */
export type RunnerChoice = { choice: 'mlflow'; tool: string } | { choice: 'pipeline'; setting: RunnerSetting; dvcPath?: string };

export interface RunTarget {
  folder: vscode.WorkspaceFolder;
  /** Absolute path of dvc.yaml or MLproject. */
  file: string;
  definition: MlopsTaskDefinition;
}

export function taskLabel(definition: MlopsTaskDefinition): string {
  const what = definition.stage ?? 'pipeline';
  const flags = [definition.single ? 'this stage only' : '', definition.force ? 'forced' : ''].filter(Boolean).join(', ');
  return `${what} (${definition.pipeline})${flags ? ` — ${flags}` : ''}`;
}

/**
 * Builds the VS Code task for a run. Its execution is a pseudoterminal over the core runners, so
 * output streams to the terminal, the tree follows the stages, and terminating the task stops the
 * whole process tree.
 */
export function makeTask(target: RunTarget, runner: () => Promise<RunnerChoice | { error: string }>, observer: RunObserver): vscode.Task {
  const task = new vscode.Task(
    target.definition,
    target.folder,
    taskLabel(target.definition),
    'mlops',
    new vscode.CustomExecution(async () => new RunTerminal(target, runner, observer)),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  task.group = vscode.TaskGroup.Build;
  return task;
}

/** Runs in progress, so deactivating the extension stops every process tree it started. */
const activeRuns = new Set<{ close(): void }>();

/** Stops every run in progress (on deactivate). */
export function stopAllRuns(): void {
  for (const run of [...activeRuns]) run.close();
}

class RunTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private readonly abort = new AbortController();

  constructor(
    private readonly target: RunTarget,
    private readonly runner: () => Promise<RunnerChoice | { error: string }>,
    private readonly observer: RunObserver,
  ) {}

  open(): void {
    activeRuns.add(this);
    void this.run()
      .then(
        (code) => this.closer.fire(code),
        (error: unknown) => {
          this.write(`\r\n${String(error)}\r\n`);
          this.closer.fire(1);
        },
      )
      .finally(() => activeRuns.delete(this));
  }

  close(): void {
    // Aborting stops the whole process tree of the run (SIGTERM, then SIGKILL).
    this.abort.abort();
  }

  private write(text: string): void {
    this.writer.fire(text.replace(/\r?\n/g, '\r\n'));
  }

  private async run(): Promise<number> {
    const { file, definition } = this.target;
    const chosen = await this.runner();
    if ('error' in chosen) {
      this.write(`${chosen.error}\n`);
      this.observer.finished(file, definition.stage, { exitCode: 1, message: chosen.error });
      return 1;
    }
    this.observer.started(file, definition.stage);
    output.info(`run ${taskLabel(definition)} with ${chosen.choice}`);
    const cwd = dirname(file);
    const env: NodeJS.ProcessEnv = { ...process.env, DVC_NO_ANALYTICS: process.env.DVC_NO_ANALYTICS ?? '1', PYTHONUNBUFFERED: '1' };
    const venvBin = vscode.Uri.joinPath(this.target.folder.uri, '.venv', 'bin').fsPath;
    env.PATH = `${venvBin}:${env.PATH ?? ''}`;
    let outcome: RunOutcome;
    if (chosen.choice === 'pipeline') {
      let current: string | undefined;
      const result = await runPipeline({
        pipelineFile: file,
        stage: definition.stage,
        single: definition.single,
        force: definition.force,
        runner: chosen.setting,
        dvcPath: chosen.dvcPath,
        workspaceFolder: this.target.folder.uri.fsPath,
        env,
        signal: this.abort.signal,
        onEvent: (event) => {
          this.onEvent(event);
          if (event.type !== 'output') return;
          // `dvc repro` names each stage it starts in its output; the tree follows along.
          for (const match of event.text.matchAll(/Running stage '([^']+)'/g)) {
            if (current && current !== match[1]) this.observer.stageEnded(file, current, true);
            current = match[1];
            if (current) this.observer.stageRunning(file, current);
          }
        },
      });
      if (current && result.runner === 'dvc') {
        this.observer.stageEnded(file, current, result.exitCode === 0, result.exitCode === 0 ? undefined : `exit code ${result.exitCode}`);
      }
      if (result.recordFile) output.info(`run recorded in ${result.recordFile}`);
      outcome = result;
    } else {
      const args = ['run', cwd, '-e', definition.stage ?? 'main', '--env-manager', 'local'];
      for (const [k, v] of Object.entries(definition.parameters ?? {})) args.push('-P', `${k}=${v}`);
      this.write(`\x1b[2m$ ${[chosen.tool ?? 'mlflow', ...args].join(' ')}\x1b[0m\n`);
      const result = await startProcess({
        command: { file: chosen.tool ?? 'mlflow', args },
        cwd,
        env,
        signal: this.abort.signal,
        onOutput: (text) => this.write(text),
      }).done;
      outcome = {
        exitCode: result.exitCode,
        status: result.stopped ? 'killed' : result.exitCode === 0 ? 'finished' : 'failed',
        ran: [],
        skipped: [],
        message: result.spawnError
          ? `MLflow could not start (${result.spawnError}): install it (pip install mlflow).`
          : result.stopped
            ? 'The run was stopped.'
            : result.exitCode !== 0
              ? `mlflow run failed with exit code ${result.exitCode}; see its output above.`
              : undefined,
      };
    }
    const exitCode = outcome.exitCode;
    const message = outcome.message;
    this.write(exitCode === 0 ? '\n\x1b[32m✔ run finished\x1b[0m\n' : `\n\x1b[31m✖ ${message ?? `exit code ${exitCode}`}\x1b[0m\n`);
    output.info(`run ${taskLabel(definition)} ended with exit code ${exitCode}${message ? `: ${message}` : ''}`);
    this.observer.finished(file, definition.stage, { exitCode, message });
    return exitCode;
  }

  private onEvent(event: RunEvent): void {
    const { file } = this.target;
    switch (event.type) {
      case 'stage-start':
        this.observer.stageRunning(file, event.stage);
        break;
      case 'output':
        this.write(event.text);
        break;
      case 'stage-skipped':
        this.write(`Stage '${event.stage}' didn't change, skipping (${event.reason})\n`);
        break;
      case 'stage-end':
        this.observer.stageEnded(file, event.stage, event.status === 'finished', event.message);
        break;
    }
  }
}
