import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { FileAccess } from '../../core/fileAccess';
import { findPipelineFiles } from '../../core/pipeline/discovery';
import { PathHasher } from '../../core/pipeline/hashing';
import type { Mlproject, MlprojectEntryPoint, MlprojectParameter } from '../../core/pipeline/mlproject';
import type { SourceSpan, StagePath, StageState } from '../../core/pipeline/model';
import {
  CHECKING,
  formatParamValue,
  loadMlproject,
  loadPipelineOverview,
  type OverviewStage,
  type ParamEntry,
  type PipelineOverview,
} from '../../core/pipelineView/overview';

export type PipelineNode =
  | { kind: 'pipeline'; overview: PipelineOverview }
  | { kind: 'template'; file: string; name: string; stages: OverviewStage[] }
  | { kind: 'stage'; file: string; entry: OverviewStage }
  | {
      kind: 'path';
      file: string;
      stage: string;
      role: 'dep' | 'out' | 'metric' | 'plot';
      path: StagePath;
      absolute: string;
      changed: boolean;
    }
  | { kind: 'param'; file: string; stage: string; param: ParamEntry }
  | { kind: 'problem'; file: string; message: string; span?: SourceSpan }
  | { kind: 'project'; project: Mlproject; error?: string }
  | { kind: 'entryPoint'; project: Mlproject; entryPoint: MlprojectEntryPoint }
  | { kind: 'entryParam'; project: Mlproject; parameter: MlprojectParameter };

/** What the view shows for a stage while the extension runs it (overrides the computed status). */
export interface LiveState {
  state: 'running' | 'failed';
  detail?: string;
}

const STATE_ICONS: Record<StageState, vscode.ThemeIcon> = {
  'up-to-date': new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  changed: new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('list.warningForeground')),
  'never-run': new vscode.ThemeIcon('circle-outline'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('progressBar.background')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  frozen: new vscode.ThemeIcon('lock'),
  unknown: new vscode.ThemeIcon('question'),
};

const STATE_LABELS: Record<StageState, string> = {
  'up-to-date': 'up to date',
  changed: 'changed',
  'never-run': 'never run',
  running: 'running…',
  failed: 'failed',
  frozen: 'frozen',
  unknown: 'status unknown',
};

/**
 * The Pipelines view: every dvc.yaml (nested projects too) and MLproject of the workspace. Stages
 * come in DAG order with their status computed in-process against dvc.lock; foreach/matrix stages
 * sit under their template with DVC's generated names.
 */
export class PipelinesTree implements vscode.TreeDataProvider<PipelineNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PipelineNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: Promise<PipelineNode[]> | undefined;
  private generation = 0;
  private readonly hasher = new PathHasher();
  private readonly live = new Map<string, LiveState>();

  constructor(private readonly files: FileAccess) {}

  refresh(): void {
    // Keep what is shown until the new status is known, so a refresh does not flicker to "checking…".
    const shown = this.roots;
    const generation = ++this.generation;
    if (!shown) {
      this.changed.fire(undefined);
      return;
    }
    void this.load(true).then((full) => {
      if (generation !== this.generation) return;
      this.roots = Promise.resolve(full);
      this.changed.fire(undefined);
    });
  }

  /** Marks a stage running or failed (key `file:stage`), or clears the mark. */
  setLive(file: string, stage: string, state: LiveState | undefined): void {
    if (state) this.live.set(`${file}:${stage}`, state);
    else this.live.delete(`${file}:${stage}`);
    this.refresh();
  }

  liveState(file: string, stage: string): LiveState | undefined {
    return this.live.get(`${file}:${stage}`);
  }

  async getRoots(): Promise<PipelineNode[]> {
    if (!this.roots) {
      const generation = ++this.generation;
      const quick = this.load(false);
      this.roots = quick;
      // Stages first, status right after: the tree paints before any dep is hashed.
      void quick.then(async () => {
        const full = await this.load(true);
        if (generation !== this.generation) return;
        this.roots = Promise.resolve(full);
        this.changed.fire(undefined);
      });
    }
    return this.roots;
  }

  /** Resolves once the statuses of the current roots are computed (tests, "Run Pipeline"). */
  async whenStatusReady(): Promise<void> {
    await this.getRoots();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const roots = await this.getRoots();
      const pending = roots.some((n) => n.kind === 'pipeline' && n.overview.stages.some((s) => s.status.reasons[0] === CHECKING));
      if (!pending) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Every stage currently listed (for tests, quick picks and "Run Pipeline"). */
  async stages(): Promise<{ file: string; entry: OverviewStage }[]> {
    const roots = await this.getRoots();
    return roots.flatMap((node) =>
      node.kind === 'pipeline' ? node.overview.stages.map((entry) => ({ file: node.overview.file, entry })) : [],
    );
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    switch (node.kind) {
      case 'pipeline':
        return this.pipelineItem(node.overview);
      case 'template': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('list-tree');
        item.description = `${node.stages.length} generated stage${node.stages.length === 1 ? '' : 's'}`;
        item.contextValue = 'template';
        item.id = `template:${node.file}:${node.name}`;
        return item;
      }
      case 'stage':
        return this.stageItem(node.file, node.entry);
      case 'path': {
        const item = new vscode.TreeItem(node.path.path, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(
          node.role === 'dep' ? 'arrow-right' : node.role === 'metric' ? 'graph' : node.role === 'plot' ? 'graph-line' : 'package',
          node.changed ? new vscode.ThemeColor('list.warningForeground') : undefined,
        );
        item.description = node.changed ? `${node.role} · changed` : node.role;
        item.resourceUri = vscode.Uri.file(node.absolute);
        item.tooltip = `${node.role} of ${node.stage}: ${node.absolute}${node.changed ? '\nChanged since the last run.' : ''}`;
        item.contextValue = `path.${node.role}`;
        item.command = { command: 'mlops.openPipelineItem', title: 'Open', arguments: [node] };
        return item;
      }
      case 'param': {
        const { param } = node;
        const label = param.key ?? basename(param.file);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(
          param.missing ? 'warning' : 'symbol-variable',
          param.changed
            ? new vscode.ThemeColor('list.warningForeground')
            : param.missing
              ? new vscode.ThemeColor('list.errorForeground')
              : undefined,
        );
        item.description = param.missing
          ? `param · missing from ${basename(param.file)}`
          : `${param.changed ? 'changed · ' : ''}${formatParamValue(param.key === undefined ? '(whole file)' : param.value)}`;
        item.tooltip = new vscode.MarkdownString()
          .appendText(`param ${label} of ${node.stage} (${param.file})`)
          .appendCodeblock(JSON.stringify(param.value, null, 2) ?? 'missing', 'json');
        item.contextValue = 'param';
        item.command = { command: 'mlops.openPipelineItem', title: 'Open', arguments: [node] };
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'problem';
        if (node.span) item.command = { command: 'mlops.openPipelineItem', title: 'Open', arguments: [node] };
        return item;
      }
      case 'project': {
        const item = new vscode.TreeItem(node.project.name ?? basename(node.project.dir), vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = node.error ?? `MLproject · ${vscode.workspace.asRelativePath(node.project.file)}`;
        item.resourceUri = vscode.Uri.file(node.project.file);
        item.contextValue = 'mlproject';
        item.id = `project:${node.project.file}`;
        return item;
      }
      case 'entryPoint': {
        const item = new vscode.TreeItem(
          node.entryPoint.name,
          node.entryPoint.parameters.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        item.description = node.entryPoint.command;
        item.tooltip = `mlflow run entry point ${node.entryPoint.name}: ${node.entryPoint.command}`;
        item.contextValue = 'entryPoint';
        item.id = `entry:${node.project.file}:${node.entryPoint.name}`;
        item.command = { command: 'mlops.openPipelineItem', title: 'Open', arguments: [node] };
        return item;
      }
      case 'entryParam': {
        const { parameter } = node;
        const item = new vscode.TreeItem(parameter.name, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('symbol-parameter');
        item.description =
          parameter.default === undefined ? `${parameter.type} · required` : `${parameter.type} = ${String(parameter.default)}`;
        item.contextValue = 'entryParam';
        item.command = { command: 'mlops.openPipelineItem', title: 'Open', arguments: [node] };
        return item;
      }
    }
  }

  /** Fills in what getTreeItem leaves out: a stage's tooltip (name, state, command, reasons). */
  resolveTreeItem(item: vscode.TreeItem, node: PipelineNode): vscode.TreeItem {
    if (node.kind === 'stage' && item.tooltip === undefined) item.tooltip = this.stageTooltip(node.file, node.entry);
    return item;
  }

  /** The tooltip of a stage row, for its status as currently shown. */
  stageTooltip(file: string, entry: OverviewStage): vscode.MarkdownString {
    const { stage, status } = entry;
    const state: StageState = this.liveState(file, stage.name)?.state ?? status.state;
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(stage.name)}** — ${STATE_LABELS[state]}\n\n`);
    tooltip.appendCodeblock(stage.cmd.join('\n'), 'shellscript');
    for (const r of status.reasons) tooltip.appendText(`• ${r}\n`);
    return tooltip;
  }

  async getChildren(node?: PipelineNode): Promise<PipelineNode[]> {
    if (!node) {
      const roots = await this.getRoots();
      await vscode.commands.executeCommand('setContext', 'mlops.pipelines.state', roots.length === 0 ? 'empty' : 'ready');
      return roots;
    }
    switch (node.kind) {
      case 'pipeline':
        return pipelineChildren(node.overview);
      case 'template':
        return node.stages.map((entry) => ({ kind: 'stage', file: node.file, entry }));
      case 'stage':
        return stageChildren(node.file, node.entry);
      case 'project':
        return node.project.entryPoints.map((entryPoint) => ({ kind: 'entryPoint', project: node.project, entryPoint }));
      case 'entryPoint':
        return node.entryPoint.parameters.map((parameter) => ({ kind: 'entryParam', project: node.project, parameter }));
      default:
        return [];
    }
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.changed.dispose();
  }

  private pipelineItem(overview: PipelineOverview): vscode.TreeItem {
    const few = (this.rootCount ?? 0) <= 3;
    const item = new vscode.TreeItem(
      vscode.workspace.asRelativePath(overview.file),
      few ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = `pipeline:${overview.file}`;
    item.resourceUri = vscode.Uri.file(overview.file);
    item.contextValue = 'pipeline';
    if (overview.error) {
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      item.description = overview.error;
      item.tooltip = `${overview.file} could not be read: ${overview.error}`;
      return item;
    }
    item.iconPath = new vscode.ThemeIcon('type-hierarchy');
    const counts = new Map<StageState, number>();
    for (const { status } of overview.stages) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
    const n = overview.stages.length;
    const summary = [...counts].map(([state, count]) => `${count} ${STATE_LABELS[state]}`).join(', ');
    item.description = `${n} stage${n === 1 ? '' : 's'}${n > 0 ? ` · ${summary}` : ''}`;
    if (overview.cycles.length > 0) item.description += ` · cycle: ${overview.cycles.map((c) => c.join(' → ')).join('; ')}`;
    return item;
  }

  private stageItem(file: string, entry: OverviewStage): vscode.TreeItem {
    const { stage, status } = entry;
    const live = this.liveState(file, stage.name);
    const state: StageState = live?.state ?? status.state;
    const item = new vscode.TreeItem(stage.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `stage:${file}:${stage.name}`;
    item.iconPath = STATE_ICONS[state];
    const checking = !live && status.reasons[0] === CHECKING;
    const reason = live?.detail ?? (state === 'changed' ? status.reasons[0] : undefined);
    item.description = checking ? CHECKING : reason ? `${STATE_LABELS[state]} · ${reason}` : STATE_LABELS[state];
    if (checking) item.iconPath = new vscode.ThemeIcon('loading~spin');
    // The tooltip is made by resolveTreeItem, when the pointer rests on the row: the first paint
    // of a large pipeline builds (and sends to the window) no markdown for rows nobody hovers.
    item.contextValue = state === 'running' ? 'stage.running' : stage.frozen ? 'stage.frozen' : 'stage';
    item.accessibilityInformation = { label: `Stage ${stage.name}, ${STATE_LABELS[state]}${reason ? `, ${reason}` : ''}` };
    return item;
  }

  private rootCount: number | undefined;

  private async load(withStatus: boolean): Promise<PipelineNode[]> {
    const nodes: PipelineNode[] = [];
    const projects: PipelineNode[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const found = await findPipelineFiles(folder.uri.fsPath);
      for (const file of found.dvc) {
        let overview: PipelineOverview;
        try {
          overview = await loadPipelineOverview(file, this.files, this.hasher, { status: withStatus });
        } catch (error) {
          overview = { file, stages: [], cycles: [], problems: [], error: String(error) };
        }
        nodes.push({ kind: 'pipeline', overview });
      }
      for (const file of found.mlproject) {
        const loaded = await loadMlproject(file, this.files);
        if (loaded) projects.push({ kind: 'project', project: loaded.project });
        else
          projects.push({
            kind: 'project',
            project: { file, dir: dirname(file), environments: [], entryPoints: [] },
            error: 'could not be read',
          });
      }
    }
    this.rootCount = nodes.length + projects.length;
    return [...nodes, ...projects];
  }
}

function pipelineChildren(overview: PipelineOverview): PipelineNode[] {
  const children: PipelineNode[] = [];
  for (const problem of overview.problems.filter((p) => p.severity === 'error').slice(0, 5)) {
    children.push({ kind: 'problem', file: overview.file, message: problem.message, span: { file: problem.file, range: problem.range } });
  }
  const templates = new Map<string, OverviewStage[]>();
  for (const entry of overview.stages) {
    const template = entry.stage.template;
    if (template) {
      let group = templates.get(template);
      if (!group) {
        group = [];
        templates.set(template, group);
        children.push({ kind: 'template', file: overview.file, name: template, stages: group });
      }
      group.push(entry);
    } else {
      children.push({ kind: 'stage', file: overview.file, entry });
    }
  }
  return children;
}

function stageChildren(file: string, entry: OverviewStage): PipelineNode[] {
  const { stage, status } = entry;
  const changedPaths = new Set((status.changes ?? []).filter((c) => c.path !== undefined).map((c) => c.path));
  const path = (role: 'dep' | 'out' | 'metric' | 'plot', p: StagePath): PipelineNode => ({
    kind: 'path',
    file,
    stage: stage.name,
    role,
    path: p,
    absolute: `${stage.wdir}/${p.path}`.replace(/\/\.\//g, '/'),
    changed: changedPaths.has(p.path),
  });
  return [
    ...stage.deps.map((p) => path('dep', p)),
    ...entry.params.map((param): PipelineNode => ({ kind: 'param', file, stage: stage.name, param })),
    ...stage.outs.map((p) => path('out', p)),
    ...stage.metrics.map((p) => path('metric', p)),
    ...stage.plots.map((p) => path('plot', p)),
  ];
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}

/** Where a node points in a file: a span, or the top of the file. */
export function locationOf(node: PipelineNode): { file: string; range?: SourceSpan['range'] } | undefined {
  switch (node.kind) {
    case 'path':
      return { file: node.absolute };
    case 'param':
      return node.param.span ? { file: node.param.span.file, range: node.param.span.range } : { file: node.param.file };
    case 'problem':
      return node.span ? { file: node.span.file, range: node.span.range } : { file: node.file };
    case 'stage':
      return node.entry.stage.span ? { file: node.entry.stage.span.file, range: node.entry.stage.span.range } : { file: node.file };
    case 'entryPoint':
      return { file: node.project.file, range: node.entryPoint.span?.range };
    case 'entryParam':
      return { file: node.project.file, range: node.parameter.span?.range };
    case 'pipeline':
      return { file: node.overview.file };
    case 'project':
      return { file: node.project.file };
    default:
      return undefined;
  }
}
