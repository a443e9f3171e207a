import * as vscode from 'vscode';
import { discoverRunSources, type RunDiscoveryOptions } from '../../core/runs/discovery';
import type { Run, RunSource, RunStatus } from '../../core/runs/model';
import { sortRuns, type RunFilter, type RunSort } from '../../core/runs/runFilter';

export type RunsNode =
  | { kind: 'source'; folder: string; source: RunSource; runs: Run[]; error?: string; pending?: boolean }
  | { kind: 'experiment'; source: RunSource; name: string; runs: Run[] }
  | { kind: 'run'; source: RunSource; run: Run };

const STATUS_ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('progressBar.background')),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  killed: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('list.warningForeground')),
  scheduled: new vscode.ThemeIcon('clock'),
  unknown: new vscode.ThemeIcon('circle-outline'),
};

const SOURCE_ICONS: Record<RunSource['kind'], string> = {
  mlflow: 'beaker',
  dvc: 'git-branch',
  git: 'git-commit',
  workbench: 'play-circle',
};

/** How long the view waits for every source before it shows those read and a spinner for the rest. */
const SLOW_SOURCE_MS = 1000;

export interface RunsTreeOptions {
  /** Options for each workspace folder (settings, credentials); `trusted` decides whether processes may start. */
  discovery(folder: vscode.WorkspaceFolder): Promise<RunDiscoveryOptions>;
  keyMetric(): string;
}

/**
 * The Runs view: every run source of every workspace folder → experiment → run. A source that fails
 * shows its one-sentence error on its own node; the others keep working.
 */
export class RunsTree implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: Promise<RunsNode[]> | undefined;
  private sources: RunSource[] = [];
  private readonly folders = new Map<RunSource, string>();
  private filter: RunFilter | undefined;
  private sort: RunSort = { key: 'startTime', descending: true };
  /** Counts reads, so a source that settles after a newer refresh does not overwrite it. */
  private generation = 0;

  constructor(private readonly options: RunsTreeOptions) {}

  /** Shows only the runs the filter accepts (none: all). The tree keeps the loaded runs. */
  setFilter(filter: RunFilter | undefined): void {
    this.filter = filter;
    this.changed.fire(undefined);
  }

  get filterText(): string | undefined {
    return this.filter?.text;
  }

  setSort(sort: RunSort): void {
    this.sort = sort;
    this.changed.fire(undefined);
  }

  get sortOrder(): RunSort {
    return this.sort;
  }

  /** The runs of a node after the filter and in the chosen order. */
  private shown(runs: readonly Run[]): Run[] {
    return sortRuns(this.filter ? runs.filter((r) => this.filter?.test(r)) : runs, this.sort);
  }

  refresh(): void {
    this.generation++;
    this.roots = undefined;
    this.changed.fire(undefined);
  }

  async getRoots(): Promise<RunsNode[]> {
    this.roots ??= Promise.resolve(vscode.window.withProgress({ location: { viewId: 'mlops.runs' } }, () => this.load()));
    return this.roots;
  }

  /** Every run currently listed, with the source that can load its metric histories. */
  async allRuns(): Promise<{ run: Run; source: RunSource }[]> {
    const roots = await this.getRoots();
    return roots.flatMap((node) => (node.kind === 'source' ? node.runs.map((run) => ({ run, source: node.source })) : []));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'source': {
        const item = new vscode.TreeItem(node.source.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `source:${node.folder}:${node.source.kind}:${node.source.label}`;
        if (node.pending) {
          item.id += ':pending';
          item.iconPath = new vscode.ThemeIcon('loading~spin');
          item.description = node.source.label.startsWith('http') ? 'waiting for the server…' : 'reading…';
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
        } else if (node.error) {
          // Its own id: a failed node has no children, and the view would keep it collapsed under
          // the same id once the source answers again (a server back up would hide its runs).
          item.id += ':failed';
          item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
          item.description = node.error;
          item.tooltip = node.error;
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
        } else {
          item.iconPath = new vscode.ThemeIcon(SOURCE_ICONS[node.source.kind]);
          const shown = this.filter ? this.shown(node.runs).length : node.runs.length;
          item.description = this.filter ? `${shown} of ${node.runs.length} runs` : `${shown} run${shown === 1 ? '' : 's'}`;
        }
        item.contextValue = node.source.label.startsWith('http') ? 'runSource.server' : 'runSource';
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.name || '(no experiment)', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.source.kind}:${node.source.label}:${node.name}`;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.description = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}`;
        item.contextValue = 'experiment';
        return item;
      }
      case 'run': {
        const { run } = node;
        const item = new vscode.TreeItem(run.name || run.id, vscode.TreeItemCollapsibleState.None);
        item.id = `run:${run.id}`;
        item.iconPath = STATUS_ICONS[run.status];
        const key = this.keyMetricOf(run);
        const when = run.startTime ? new Date(run.startTime).toLocaleString() : '';
        item.description = [key ? `${key[0]} ${formatNumber(key[1])}` : '', when].filter(Boolean).join(' · ');
        const tooltip = new vscode.MarkdownString();
        tooltip.appendText(
          `${run.name || run.id} — ${run.status}\n${run.source} · ${run.experiment}${run.commit ? ` · ${run.commit.slice(0, 7)}` : ''}\n`,
        );
        const params = Object.entries(run.params).slice(0, 12);
        if (params.length > 0) tooltip.appendText(`\nParams:\n${params.map(([k, v]) => `  ${k} = ${String(v)}`).join('\n')}\n`);
        const metrics = Object.entries(run.metrics).slice(0, 12);
        if (metrics.length > 0) tooltip.appendText(`\nMetrics:\n${metrics.map(([k, v]) => `  ${k} = ${formatNumber(v)}`).join('\n')}`);
        item.tooltip = tooltip;
        item.contextValue = `run.${run.source}${node.source.label.startsWith('http') ? '.server' : ''}`;
        item.accessibilityInformation = {
          label: `Run ${run.name || run.id}, ${run.status}${key ? `, ${key[0]} ${formatNumber(key[1])}` : ''}`,
        };
        return item;
      }
    }
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) {
      const roots = await this.getRoots();
      await vscode.commands.executeCommand('setContext', 'mlops.runs.state', roots.length === 0 ? 'empty' : 'ready');
      return roots;
    }
    if (node.kind === 'source') {
      const experiments = new Map<string, Run[]>();
      for (const run of this.shown(node.runs)) {
        const list = experiments.get(run.experiment) ?? [];
        list.push(run);
        experiments.set(run.experiment, list);
      }
      // One experiment (a Git history, DVC's workspace) needs no extra level.
      if (experiments.size <= 1) return this.shown(node.runs).map((run) => ({ kind: 'run', source: node.source, run }));
      return [...experiments].map(([name, runs]) => ({ kind: 'experiment', source: node.source, name, runs }));
    }
    if (node.kind === 'experiment') return this.shown(node.runs).map((run) => ({ kind: 'run', source: node.source, run }));
    return [];
  }

  /** The workspace folder a source was found in. */
  folderOf(source: RunSource): string | undefined {
    return this.folders.get(source);
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.changed.dispose();
    for (const source of this.sources) source.dispose?.();
  }

  private keyMetricOf(run: Run): [string, number] | undefined {
    const wanted = this.options.keyMetric();
    if (wanted && run.metrics[wanted] !== undefined) return [wanted, run.metrics[wanted]];
    const first = Object.entries(run.metrics)[0];
    return first;
  }

  /**
   * Reads every source. The view shows what has been read after at most `SLOW_SOURCE_MS`; a source
   * still reading (a tracking server that is slow or does not answer) shows a spinner on its own
   * node and takes its place when it settles, so one slow server never hides the other sources.
   */
  private async load(): Promise<RunsNode[]> {
    const generation = ++this.generation;
    for (const source of this.sources) source.dispose?.();
    this.sources = [];
    const entries: { folder: string; source: RunSource; node?: RunsNode; settled: boolean }[] = [];
    const reads: Promise<void>[] = [];
    const snapshot = (): RunsNode[] =>
      entries.flatMap((e): RunsNode[] =>
        e.settled ? (e.node ? [e.node] : []) : [{ kind: 'source', folder: e.folder, source: e.source, runs: [], pending: true }],
      );
    let shown = false;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      const sources = await discoverRunSources(folder.uri.fsPath, await this.options.discovery(folder));
      this.sources.push(...sources);
      for (const source of sources) {
        this.folders.set(source, folder.uri.fsPath);
        const entry: (typeof entries)[number] = { folder: folder.uri.fsPath, source, settled: false };
        entries.push(entry);
        reads.push(
          source
            .listRuns()
            .then(
              (runs) => {
                if (runs.length > 0) entry.node = { kind: 'source', folder: entry.folder, source, runs };
              },
              (reason: unknown) => {
                const error = reason instanceof Error ? reason.message : String(reason);
                entry.node = { kind: 'source', folder: entry.folder, source, runs: [], error };
              },
            )
            .finally(() => {
              entry.settled = true;
              // After the first paint, each source that settles replaces its spinner (unless a
              // refresh has started a newer read meanwhile).
              if (shown && generation === this.generation) {
                this.roots = Promise.resolve(snapshot());
                this.changed.fire(undefined);
              }
            }),
        );
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(reads),
      new Promise((resolve) => {
        timer = setTimeout(resolve, SLOW_SOURCE_MS);
      }),
    ]);
    clearTimeout(timer);
    shown = true;
    return snapshot();
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
