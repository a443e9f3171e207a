import { relative } from 'node:path';
import * as vscode from 'vscode';
import { diskFileAccess } from '../../core/fileAccess';
import { checkParameterValue, type Mlproject, type MlprojectEntryPoint } from '../../core/pipeline/mlproject';
import { parseParamInput, type ParamEdit } from '../../core/params/editParams';
import { editParamsFile } from '../../core/params/paramsFileWrite';
import { formatParamValue, keyRange, type OverviewStage } from '../../core/pipelineView/overview';
import { findExecutable, type RunnerSetting } from '../../core/runner/dvcRunner';
import { registerCommands } from '../commands';
import { output, showError } from '../output';
import type { Services } from '../services';
import { locationOf, PipelinesTree, type PipelineNode } from './pipelinesTree';
import {
  makeTask,
  stopAllRuns,
  taskLabel,
  type MlopsTaskDefinition,
  type RunnerChoice,
  type RunObserver,
  type RunTarget,
} from './stageRuns';

type StageLike = Extract<PipelineNode, { kind: 'stage' | 'template' | 'pipeline' }>;

/** The Pipelines view, its watchers, and the commands that run stages as `mlops` tasks. */
export function registerPipelines(services: Services): PipelinesTree {
  const { context } = services;
  const tree = new PipelinesTree(diskFileAccess);
  const view = vscode.window.createTreeView('mlops.pipelines', { treeDataProvider: tree, showCollapseAll: true });
  const status = vscode.window.createStatusBarItem('mlops.run', vscode.StatusBarAlignment.Left, 10);
  status.name = 'MLOps Run';
  const executions = new Map<string, vscode.TaskExecution>();
  // Deactivation (window closed, extension disabled) stops every run's whole process tree.
  context.subscriptions.push(tree, view, status, { dispose: stopAllRuns });

  // Any change in the workspace may change a stage's status (a dep, a param, dvc.lock); refresh
  // once things settle rather than on every write of a running stage.
  let timer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (uri?: vscode.Uri): void => {
    if (uri && /[\\/](\.git|\.dvc|node_modules|\.venv|__pycache__)[\\/]/.test(uri.fsPath)) return;
    clearTimeout(timer);
    timer = setTimeout(() => tree.refresh(), 600);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  context.subscriptions.push(
    watcher,
    watcher.onDidChange(scheduleRefresh),
    watcher.onDidCreate(scheduleRefresh),
    watcher.onDidDelete(scheduleRefresh),
    vscode.workspace.onDidChangeWorkspaceFolders(() => scheduleRefresh()),
    { dispose: () => clearTimeout(timer) },
  );

  const running = new Set<string>();
  const observer: RunObserver = {
    started: (file, stage) => {
      running.add(`${file}:${stage ?? ''}`);
      status.text = `$(sync~spin) ${stage ?? 'pipeline'}`;
      status.tooltip = `MLOps: running ${stage ?? 'the pipeline'} of ${vscode.workspace.asRelativePath(file)} — click to show the terminal`;
      status.command = 'workbench.action.terminal.focus';
      status.show();
    },
    stageRunning: (file, stage) => {
      tree.setLive(file, stage, { state: 'running' });
      status.text = `$(sync~spin) ${stage}`;
    },
    stageEnded: (file, stage, ok, detail) => tree.setLive(file, stage, ok ? undefined : { state: 'failed', detail }),
    finished: (file, stage, outcome) => {
      running.delete(`${file}:${stage ?? ''}`);
      if (running.size === 0) status.hide();
      tree.refresh();
      if (outcome.exitCode !== 0) {
        const what = stage ? `Stage ${stage}` : `The pipeline ${vscode.workspace.asRelativePath(file)}`;
        void vscode.window
          .showErrorMessage(`${what} failed: ${outcome.message ?? `exit code ${outcome.exitCode}`}`, 'Show Output')
          .then((choice) => {
            if (choice) void vscode.commands.executeCommand('workbench.action.terminal.focus');
          });
      }
    },
  };

  const chooseRunner = async (target: RunTarget): Promise<RunnerChoice | { error: string }> => {
    const config = vscode.workspace.getConfiguration('mlops', target.folder.uri);
    if (target.file.toLowerCase().endsWith('mlproject')) {
      const mlflow = findExecutable('mlflow', target.folder.uri.fsPath);
      return mlflow
        ? { choice: 'mlflow', tool: mlflow }
        : { error: 'MLflow is not installed: install it (pip install mlflow) to run MLproject entry points.' };
    }
    return {
      choice: 'pipeline',
      setting: config.get<RunnerSetting>('runner', 'auto'),
      dvcPath: config.get<string>('dvcPath', '') || undefined,
    };
  };

  const taskFor = (definition: MlopsTaskDefinition, folder: vscode.WorkspaceFolder): vscode.Task => {
    const file = vscode.Uri.joinPath(folder.uri, definition.pipeline).fsPath;
    const target: RunTarget = { folder, file, definition };
    return makeTask(target, () => chooseRunner(target), observer);
  };

  context.subscriptions.push(
    vscode.tasks.registerTaskProvider('mlops', {
      provideTasks: async () => {
        const tasks: vscode.Task[] = [];
        for (const { file, entry } of await tree.stages()) {
          const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
          if (folder) tasks.push(taskFor({ type: 'mlops', pipeline: relative(folder.uri.fsPath, file), stage: entry.stage.name }, folder));
        }
        return tasks;
      },
      resolveTask: (task) => {
        const definition = task.definition as MlopsTaskDefinition;
        const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
        if (!folder || typeof definition.pipeline !== 'string') return undefined;
        return taskFor(definition, folder);
      },
    }),
    vscode.tasks.onDidStartTask((event) => {
      const definition = event.execution.task.definition;
      if (definition.type === 'mlops') executions.set(taskKey(definition as MlopsTaskDefinition), event.execution);
    }),
    vscode.tasks.onDidEndTask((event) => {
      const definition = event.execution.task.definition;
      if (definition.type === 'mlops') executions.delete(taskKey(definition as MlopsTaskDefinition));
    }),
  );

  const run = async (node: StageLike | undefined, flags: { single?: boolean; force?: boolean; whole?: boolean }): Promise<void> => {
    const picked = node ?? (await pickStage(tree));
    if (!picked) return;
    const file = picked.kind === 'pipeline' ? picked.overview.file : picked.file;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    if (!folder) {
      await vscode.window.showErrorMessage(`${file} is not inside a workspace folder, so it cannot be run as a task.`);
      return;
    }
    const stage = flags.whole || picked.kind === 'pipeline' ? undefined : picked.kind === 'stage' ? picked.entry.stage.name : picked.name;
    const definition: MlopsTaskDefinition = { type: 'mlops', pipeline: relative(folder.uri.fsPath, file), stage };
    if (flags.single) definition.single = true;
    if (flags.force) definition.force = true;
    if (executions.has(taskKey(definition))) {
      await vscode.window.showInformationMessage(`${taskLabel(definition)} is already running.`);
      return;
    }
    await vscode.tasks.executeTask(taskFor(definition, folder));
  };

  const stop = async (node: StageLike | undefined): Promise<void> => {
    const file = node ? (node.kind === 'pipeline' ? node.overview.file : node.file) : undefined;
    const stopping = [...executions.values()].filter((execution) => {
      const definition = execution.task.definition as MlopsTaskDefinition;
      return !file || vscode.Uri.joinPath((execution.task.scope as vscode.WorkspaceFolder).uri, definition.pipeline).fsPath === file;
    });
    if (stopping.length === 0) {
      await vscode.window.showInformationMessage('No MLOps run is in progress.');
      return;
    }
    for (const execution of stopping) execution.terminate();
  };

  registerCommands(context, [
    { id: 'mlops.refreshPipelines', run: () => tree.refresh() },
    { id: 'mlops.openStage', run: (node?: PipelineNode) => (node ? openLocation(node) : undefined) },
    { id: 'mlops.openPipelineItem', run: (node: PipelineNode) => openLocation(node) },
    { id: 'mlops.runStage', run: (node?: StageLike) => run(node, {}), startsProcess: true },
    { id: 'mlops.runStageOnly', run: (node?: StageLike) => run(node, { single: true }), startsProcess: true },
    { id: 'mlops.forceRunStage', run: (node?: StageLike) => run(node, { force: true }), startsProcess: true },
    { id: 'mlops.runPipeline', run: (node?: StageLike) => run(node, { whole: true }), startsProcess: true },
    { id: 'mlops.stopRun', run: (node?: StageLike) => stop(node) },
    {
      id: 'mlops.modifyParamsAndRun',
      startsProcess: true,
      run: async (node?: StageLike) => {
        const picked = node ?? (await pickStage(tree));
        if (picked?.kind !== 'stage') return;
        if (await modifyParams(picked.entry)) await run(picked, {});
      },
    },
    {
      id: 'mlops.runEntryPoint',
      run: (node?: { project: Mlproject; entryPoint: MlprojectEntryPoint }) =>
        node ? runEntryPoint(node.project, node.entryPoint, taskFor) : undefined,
      startsProcess: true,
    },
    { id: 'mlops.createPipeline', run: () => createPipeline(tree) },
  ]);
  return tree;
}

/**
 * Asks for new values of the stage's params (leaf keys, current values pre-filled) and writes them
 * into their params files, keeping comments and formatting; false when nothing should run.
 */
async function modifyParams(entry: OverviewStage): Promise<boolean> {
  const leaves: { file: string; key: string; value: unknown }[] = [];
  for (const param of entry.params) {
    if (param.key === undefined || param.missing) continue;
    for (const [key, value] of leafValues(param.key, param.value)) leaves.push({ file: param.file, key, value });
  }
  if (leaves.length === 0) {
    await vscode.window.showInformationMessage(`Stage ${entry.stage.name} reads no params that can be edited here.`);
    return false;
  }
  const chosen = await vscode.window.showQuickPick(
    leaves.map((leaf) => ({
      label: leaf.key,
      description: `${formatParamValue(leaf.value)} · ${vscode.workspace.asRelativePath(leaf.file)}`,
      leaf,
    })),
    { canPickMany: true, title: `Modify Params and Run ${entry.stage.name}`, placeHolder: 'Params to change' },
  );
  if (!chosen || chosen.length === 0) return false;
  const edits = new Map<string, ParamEdit[]>();
  for (const { leaf } of chosen) {
    const typed = await vscode.window.showInputBox({
      title: `${leaf.key} (${vscode.workspace.asRelativePath(leaf.file)})`,
      value: typeof leaf.value === 'string' ? leaf.value : JSON.stringify(leaf.value),
      prompt: 'A YAML value: 0.1, true, rf, [1, 2]',
      ignoreFocusOut: true,
    });
    if (typed === undefined) return false;
    const list = edits.get(leaf.file) ?? [];
    list.push({ key: leaf.key, value: parseParamInput(typed) });
    edits.set(leaf.file, list);
  }
  for (const [file, fileEdits] of edits) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
    if (open?.isDirty) {
      await vscode.window.showWarningMessage(
        `${vscode.workspace.asRelativePath(file)} has unsaved changes: save or revert it, then try again.`,
      );
      return false;
    }
    const result = await editParamsFile(file, fileEdits);
    if ('error' in result) {
      await showError(result.error);
      return false;
    }
    output.info(`set ${fileEdits.map((e) => `${e.key}=${JSON.stringify(e.value)}`).join(', ')} in ${file}`);
  }
  return true;
}

function leafValues(prefix: string, value: unknown): [string, unknown][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => leafValues(`${prefix}.${k}`, v));
  }
  return [[prefix, value]];
}

function taskKey(definition: MlopsTaskDefinition): string {
  return `${definition.pipeline}:${definition.stage ?? ''}:${definition.single ? 's' : ''}${definition.force ? 'f' : ''}`;
}

async function pickStage(tree: PipelinesTree): Promise<StageLike | undefined> {
  const stages = await tree.stages();
  if (stages.length === 0) {
    await vscode.window.showInformationMessage('No dvc.yaml stages in this workspace: create a pipeline first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    stages.map(({ file, entry }) => ({ label: entry.stage.name, description: vscode.workspace.asRelativePath(file), file, entry })),
    { placeHolder: 'Stage to run' },
  );
  return picked ? { kind: 'stage', file: picked.file, entry: picked.entry } : undefined;
}

async function openLocation(node: PipelineNode): Promise<void> {
  const location = locationOf(node);
  if (!location) return;
  const uri = vscode.Uri.file(location.file);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(uri)} does not exist yet: run the stage that produces it.`);
    return;
  }
  let range = location.range;
  if (node.kind === 'param' && node.param.key !== undefined) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    range = keyRange(location.file, text, node.param.key);
  }
  const selection = range ? new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character) : undefined;
  if (node.kind === 'path' && !/\.(ya?ml|json|py|txt|md|csv|toml|cfg|ini|sh|r|R|ipynb)$/.test(location.file)) {
    await vscode.commands.executeCommand('vscode.open', uri);
    return;
  }
  await vscode.window.showTextDocument(uri, { selection, preview: true });
}

async function runEntryPoint(
  project: Mlproject,
  entryPoint: MlprojectEntryPoint,
  taskFor: (definition: MlopsTaskDefinition, folder: vscode.WorkspaceFolder) => vscode.Task,
): Promise<void> {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(project.file));
  if (!folder) return;
  const parameters: Record<string, string> = {};
  for (const parameter of entryPoint.parameters) {
    const value = await vscode.window.showInputBox({
      title: `mlflow run ${entryPoint.name}: ${parameter.name} (${parameter.type})`,
      value: parameter.default === undefined ? '' : String(parameter.default),
      prompt: parameter.default === undefined ? 'Required' : `Default: ${String(parameter.default)}`,
      validateInput: (text) => checkParameterValue(parameter.type, text),
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    parameters[parameter.name] = value;
  }
  await vscode.tasks.executeTask(
    taskFor({ type: 'mlops', pipeline: relative(folder.uri.fsPath, project.file), stage: entryPoint.name, parameters }, folder),
  );
}

async function createPipeline(tree: PipelinesTree): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    await vscode.window.showInformationMessage('Open a folder first: a dvc.yaml belongs at the root of a project.');
    return;
  }
  const target = vscode.Uri.joinPath(folder.uri, 'dvc.yaml');
  try {
    await vscode.workspace.fs.stat(target);
  } catch {
    const template =
      'stages:\n  train:\n    cmd: python train.py\n    deps:\n      - train.py\n    params:\n      - train\n    outs:\n      - model.pkl\n';
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(template));
    output.info(`created ${target.fsPath}`);
  }
  await vscode.window.showTextDocument(target);
  tree.refresh();
}
