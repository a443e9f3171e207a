import * as vscode from 'vscode';
import { discoverRunSources, type RunDiscoveryOptions } from '../../core/runs/discovery';
import type { Run, RunSource, RunStatus } from '../../core/runs/model';
import { sortRuns, type RunFilter, type RunSort } from '../../core/runs/runFilter';
import { newestFirst, pagerFor, type ExperimentSummary, type RunCursor, type RunPager } from '../../core/runs/runPages';

/** What the view knows of one source: its experiments, the pages read so far, and every run once a filter or sort needed them. */
export interface SourceState {
  folder: string;
  source: RunSource;
  pager: RunPager;
  experiments: ExperimentSummary[];
  /** Pages read so far, per experiment, newest first. */
  pages: Map<string, ExperimentPages>;
  /** Every run, read in the background when a filter or a sort needs them. */
  all?: Run[];
  allLoading?: Promise<void>;
  allError?: string;
  node?: RunsNode;
  experimentNodes: Map<string, RunsNode>;
}

interface ExperimentPages {
  runs: Run[];
  /** Where the next page starts; undefined once the last page was read. */
  next?: RunCursor;
  loading?: Promise<void>;
  error?: string;
  /** How many of the filtered or sorted runs to show once every run is loaded. */
  limit: number;
}

export type RunsNode =
  | { kind: 'source'; folder: string; source: RunSource; state?: SourceState; error?: string; pending?: boolean }
  | { kind: 'experiment'; source: RunSource; state: SourceState; name: string; summary: ExperimentSummary }
  | { kind: 'run'; source: RunSource; run: Run }
  /** "Load N more": the next page of the runs under `parent`. */
  | {
      kind: 'more';
      source: RunSource;
      state: SourceState;
      experiment: string;
      parent: RunsNode;
      count: number;
      shown: number;
      total: number;
    }
  /** A page that could not be read, in one sentence. */
  | { kind: 'message'; source: RunSource; text: string };

const STATUS_ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('progressBar.background')),
  finished: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  killed: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('list.warningForeground')),
  scheduled: new vscode.ThemeIcon('clock'),
  unknown: new vscode.ThemeIcon('circle-outline'),
};

/** How long the view waits for every source before it shows those read and a spinner for the rest. */
const SLOW_SOURCE_MS = 1000;

const SOURCE_ICONS: Record<RunSource['kind'], string> = {
  mlflow: 'beaker',
  dvc: 'git-branch',
  git: 'git-commit',
  workbench: 'play-circle',
};

export interface RunsTreeOptions {
  /** Options for each workspace folder (settings, credentials); `trusted` decides whether processes may start. */
  discovery(folder: vscode.WorkspaceFolder): Promise<RunDiscoveryOptions>;
  keyMetric(): string;
  /** How many runs a page holds (the `mlops.runs.pageSize` setting). */
  pageSize(): number;
}

/**
 * The Runs view: every run source of every workspace folder → experiment → run. A source that fails
 * shows its one-sentence error on its own node; the others keep working.
 *
 * The first paint reads only each source's experiments (with their counts) and then, as an
 * experiment is expanded, its first page of runs, newest first; "Load N more" reads the next page.
 * A filter or a sort other than newest-first needs every run: they are read in the background (with
 * progress on the view) and, until they are there, the filter applies to the runs already loaded and
 * the nodes say so.
 */
export class RunsTree implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly reloaded = new vscode.EventEmitter<void>();
  /** Fires when the runs were read again (a refresh), not when a page is added or a filter changes. */
  readonly onDidReload = this.reloaded.event;
  private roots: Promise<RunsNode[]> | undefined;
  private states: SourceState[] = [];
  private sources: RunSource[] = [];
  private readonly folders = new Map<RunSource, string>();
  private filter: RunFilter | undefined;
  private sort: RunSort = { key: 'startTime', descending: true };
  /** Counts reads, so a source that settles after a newer refresh does not overwrite it. */
  private generation = 0;

  constructor(private readonly options: RunsTreeOptions) {}

  /** Shows only the runs the filter accepts (none: all); every run is read in the background for it. */
  setFilter(filter: RunFilter | undefined): void {
    this.filter = filter;
    this.changed.fire(undefined);
    if (filter) void this.loadEveryRun();
  }

  get filterText(): string | undefined {
    return this.filter?.text;
  }

  setSort(sort: RunSort): void {
    this.sort = sort;
    this.changed.fire(undefined);
    if (!this.isNewestFirst()) void this.loadEveryRun();
  }

  get sortOrder(): RunSort {
    return this.sort;
  }

  refresh(): void {
    this.generation++;
    this.roots = undefined;
    this.changed.fire(undefined);
    this.reloaded.fire();
  }

  async getRoots(): Promise<RunsNode[]> {
    this.roots ??= Promise.resolve(vscode.window.withProgress({ location: { viewId: 'mlops.runs' } }, () => this.load()));
    return this.roots;
  }

  /** Every run of every source, with the source that can load its metric histories (reads all of them). */
  async allRuns(): Promise<{ run: Run; source: RunSource }[]> {
    await this.getRoots();
    // The caller (the compare panel, its run picker) shows its own progress.
    await this.loadEveryRun(false);
    return this.states.flatMap((state) => (state.all ?? this.loaded(state)).map((run) => ({ run, source: state.source })));
  }

  /** The runs read so far (the loaded pages, or every run once they were read), without reading more. */
  async loadedRuns(): Promise<{ run: Run; source: RunSource }[]> {
    await this.getRoots();
    return this.states.flatMap((state) => (state.all ?? this.loaded(state)).map((run) => ({ run, source: state.source })));
  }

  /** The source of a run id among the runs read so far, else after reading every run. */
  async sourceOfRun(runId: string): Promise<RunSource | undefined> {
    const found = (await this.loadedRuns()).find((r) => r.run.id === runId);
    return (found ?? (await this.allRuns()).find((r) => r.run.id === runId))?.source;
  }

  /** The runs a node stands for: a run, or the runs shown under an experiment or a source. */
  runsUnder(node: RunsNode): Run[] {
    if (node.kind === 'run') return [node.run];
    if (node.kind === 'experiment') return this.visible(node.state, node.name).runs;
    if (node.kind === 'source' && node.state) {
      const state = node.state;
      return state.experiments.flatMap((e) => this.visible(state, e.name).runs);
    }
    return [];
  }

  /** Reads the next page under a "Load N more" node (or shows the next page of filtered runs). */
  async loadMore(node: RunsNode): Promise<void> {
    if (node.kind !== 'more') return;
    const pages = this.pagesOf(node.state, node.experiment);
    if (this.usesEveryRun(node.state)) pages.limit += this.pageSize();
    else await this.readPage(node.state, node.experiment);
    this.changed.fire(node.parent);
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
        } else if (node.error || !node.state) {
          // Its own id: a failed node has no children, and the view would keep it collapsed under
          // the same id once the source answers again (a server back up would hide its runs).
          item.id += ':failed';
          item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
          item.description = node.error;
          item.tooltip = node.error;
          item.collapsibleState = vscode.TreeItemCollapsibleState.None;
        } else {
          item.iconPath = new vscode.ThemeIcon(SOURCE_ICONS[node.source.kind]);
          const state = node.state;
          const total = state.experiments.reduce((n, e) => n + e.runs, 0);
          item.description = this.describe(state, total, state.all ?? this.loaded(state));
          item.tooltip = state.allError ? `Every run could not be read: ${state.allError}` : undefined;
        }
        item.contextValue = node.source.label.startsWith('http') ? 'runSource.server' : 'runSource';
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.name || '(no experiment)', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${node.source.kind}:${node.source.label}:${node.name}`;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        const state = node.state;
        const runs = state.all ? state.all.filter((r) => r.experiment === node.name) : (state.pages.get(node.name)?.runs ?? []);
        item.description = this.describe(state, node.summary.runs, runs);
        item.contextValue = 'experiment';
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Load ${node.count} more`, vscode.TreeItemCollapsibleState.None);
        item.id = `more:${node.state.folder}:${node.source.kind}:${node.source.label}:${node.experiment}`;
        item.iconPath = new vscode.ThemeIcon('fold-down');
        item.description = `${node.shown} of ${node.total} shown`;
        item.tooltip = `Show the next ${node.count} runs (the mlops.runs.pageSize setting sets how many a page holds).`;
        item.command = { command: 'mlops.loadMoreRuns', title: 'Load More Runs', arguments: [node] };
        item.contextValue = 'runsMore';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        item.tooltip = node.text;
        item.contextValue = 'runsMessage';
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
    if (node.kind === 'source' && node.state) {
      const state = node.state;
      // One experiment (a Git history, DVC's workspace) needs no extra level.
      if (state.experiments.length === 1) return this.runNodes(state, state.experiments[0]?.name ?? '', node);
      const experiments = this.usesEveryRun(state)
        ? state.experiments.filter((e) => this.visible(state, e.name).total > 0)
        : state.experiments;
      return experiments.map((summary) => this.experimentNode(state, summary));
    }
    if (node.kind === 'experiment') return this.runNodes(node.state, node.name, node);
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
    this.reloaded.dispose();
    for (const source of this.sources) source.dispose?.();
  }

  private pageSize(): number {
    const size = Math.floor(this.options.pageSize());
    return Number.isFinite(size) && size >= 1 ? size : 100;
  }

  private isNewestFirst(): boolean {
    return this.sort.key === 'startTime' && this.sort.descending;
  }

  /** Whether the runs under this source come from every run (a filter or a sort needs them and they are read). */
  private usesEveryRun(state: SourceState): boolean {
    return state.all !== undefined && (this.filter !== undefined || !this.isNewestFirst());
  }

  private loaded(state: SourceState): Run[] {
    return [...state.pages.values()].flatMap((p) => p.runs);
  }

  /** "12 runs", or with a filter "3 of 12 runs", or while every run is read "3 of 100 loaded runs (of 10,000)". */
  private describe(state: SourceState, total: number, runs: readonly Run[]): string {
    const plural = (n: number): string => `${n.toLocaleString('en-US')} run${n === 1 ? '' : 's'}`;
    if (!this.filter) {
      return state.all || this.isNewestFirst() || runs.length >= total
        ? plural(total)
        : `${plural(total)}, sorting the ${runs.length.toLocaleString('en-US')} loaded`;
    }
    const matching = runs.filter((r) => this.filter?.test(r)).length.toLocaleString('en-US');
    if (state.all) return `${matching} of ${plural(total)}`;
    const loaded = `${matching} of ${runs.length.toLocaleString('en-US')} loaded runs (of ${total.toLocaleString('en-US')})`;
    return state.allError ? `${loaded}; the rest could not be read` : `${loaded}, reading all…`;
  }

  private experimentNode(state: SourceState, summary: ExperimentSummary): RunsNode {
    let node = state.experimentNodes.get(summary.name);
    if (!node) {
      node = { kind: 'experiment', source: state.source, state, name: summary.name, summary };
      state.experimentNodes.set(summary.name, node);
    }
    return node;
  }

  private pagesOf(state: SourceState, experiment: string): ExperimentPages {
    let pages = state.pages.get(experiment);
    if (!pages) {
      pages = { runs: [], limit: this.pageSize() };
      state.pages.set(experiment, pages);
    }
    return pages;
  }

  /** Reads the next page of an experiment (the first when none was read). */
  private async readPage(state: SourceState, experiment: string): Promise<void> {
    const pages = this.pagesOf(state, experiment);
    if (pages.loading) return pages.loading;
    if (pages.runs.length > 0 && !pages.next) return;
    pages.loading = (async () => {
      try {
        const page = await state.pager.page(experiment, this.pageSize(), pages.next);
        const seen = new Set(pages.runs.map((r) => r.id));
        pages.runs.push(...page.runs.filter((r) => !seen.has(r.id)));
        pages.next = page.next;
        pages.error = undefined;
      } catch (error) {
        pages.error = error instanceof Error ? error.message : String(error);
      } finally {
        pages.loading = undefined;
      }
    })();
    return pages.loading;
  }

  /** The runs to show under an experiment now, and how many there are in all. */
  private visible(state: SourceState, experiment: string): { runs: Run[]; total: number; more: number } {
    const pages = this.pagesOf(state, experiment);
    if (this.usesEveryRun(state)) {
      const all = (state.all ?? []).filter((r) => r.experiment === experiment);
      const shown = this.ordered(this.filter ? all.filter((r) => this.filter?.test(r)) : all);
      const runs = shown.slice(0, pages.limit);
      return { runs, total: shown.length, more: Math.min(this.pageSize(), shown.length - runs.length) };
    }
    const summary = state.experiments.find((e) => e.name === experiment);
    const total = Math.max(summary?.runs ?? 0, pages.runs.length);
    const runs = this.ordered(this.filter ? pages.runs.filter((r) => this.filter?.test(r)) : pages.runs);
    const more = pages.next ? Math.max(1, Math.min(this.pageSize(), total - pages.runs.length)) : 0;
    return { runs, total, more };
  }

  private async runNodes(state: SourceState, experiment: string, parent: RunsNode): Promise<RunsNode[]> {
    const pages = this.pagesOf(state, experiment);
    if (!this.usesEveryRun(state) && pages.runs.length === 0 && !pages.error) await this.readPage(state, experiment);
    const { runs, total, more } = this.visible(state, experiment);
    const nodes: RunsNode[] = runs.map((run) => ({ kind: 'run', source: state.source, run }));
    if (pages.error && !this.usesEveryRun(state)) nodes.push({ kind: 'message', source: state.source, text: pages.error });
    if (more > 0) {
      const shown = this.usesEveryRun(state) ? runs.length : pages.runs.length;
      nodes.push({ kind: 'more', source: state.source, state, experiment, parent, count: more, shown, total });
    }
    return nodes;
  }

  /** Runs in the chosen order; newest first is the order pages come in. */
  private ordered(runs: readonly Run[]): Run[] {
    return this.isNewestFirst() ? [...runs].sort(newestFirst) : sortRuns(runs, this.sort);
  }

  /** Reads every run of every source in the background, with progress on the view unless the caller shows its own. */
  private async loadEveryRun(showProgress = true): Promise<void> {
    await this.getRoots();
    const missing = this.states.filter((state) => !state.all && !state.allError);
    if (missing.length === 0) return;
    const load = (): Promise<unknown> =>
      Promise.all(
        missing.map((state) => {
          state.allLoading ??= (async () => {
            try {
              state.all = await state.pager.all();
            } catch (error) {
              state.allError = error instanceof Error ? error.message : String(error);
            } finally {
              state.allLoading = undefined;
              // Without a filter or a sort the tree shows the same pages either way.
              if (this.filter || !this.isNewestFirst()) this.changed.fire(state.node);
            }
          })();
          return state.allLoading;
        }),
      );
    await (showProgress ? vscode.window.withProgress({ location: { viewId: 'mlops.runs' } }, load) : load());
  }

  private keyMetricOf(run: Run): [string, number] | undefined {
    const wanted = this.options.keyMetric();
    if (wanted && run.metrics[wanted] !== undefined) return [wanted, run.metrics[wanted]];
    const first = Object.entries(run.metrics)[0];
    return first;
  }

  /**
   * Reads each source's experiments. The view shows what has been read after at most
   * `SLOW_SOURCE_MS`; a source still reading (a tracking server that is slow or does not answer)
   * shows a spinner on its own node and takes its place when it settles, so one slow server never
   * hides the other sources.
   */
  private async load(): Promise<RunsNode[]> {
    const generation = ++this.generation;
    for (const source of this.sources) source.dispose?.();
    this.sources = [];
    this.states = [];
    const entries: { folder: string; source: RunSource; node?: RunsNode; settled: boolean }[] = [];
    const reads: Promise<void>[] = [];
    const snapshot = (): RunsNode[] =>
      entries.flatMap((e): RunsNode[] =>
        e.settled ? (e.node ? [e.node] : []) : [{ kind: 'source', folder: e.folder, source: e.source, pending: true }],
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
        const pager = pagerFor(source);
        reads.push(
          pager
            .experiments()
            .then(
              (experiments) => {
                if (generation !== this.generation || experiments.every((e) => e.runs === 0)) return;
                const state: SourceState = {
                  folder: entry.folder,
                  source,
                  pager,
                  experiments: experiments.filter((e) => e.runs > 0),
                  pages: new Map(),
                  experimentNodes: new Map(),
                };
                state.node = { kind: 'source', folder: entry.folder, source, state };
                this.states.push(state);
                entry.node = state.node;
              },
              (reason: unknown) => {
                const error = reason instanceof Error ? reason.message : String(reason);
                entry.node = { kind: 'source', folder: entry.folder, source, error };
              },
            )
            .finally(() => {
              entry.settled = true;
              // After the first paint, each source that settles replaces its spinner (unless a
              // refresh has started a newer read meanwhile); a filter or a sort needs its runs too.
              if (shown && generation === this.generation) {
                this.roots = Promise.resolve(snapshot());
                this.changed.fire(undefined);
                if (this.filter || !this.isNewestFirst()) void this.loadEveryRun();
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
    // A filter or a sort chosen before this refresh needs every run again.
    if (this.filter || !this.isNewestFirst()) setTimeout(() => void this.loadEveryRun(), 0);
    return snapshot();
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
