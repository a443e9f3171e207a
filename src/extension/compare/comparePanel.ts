import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { buildComparison, type Comparison } from '../../core/compare/comparison';
import { comparePanelHtml } from '../../core/compare/panelHtml';
import { downsampleMinMax, historyBuckets } from '../../core/compare/seriesReduction';
import { toCsv, toMarkdown } from '../../core/compare/tableExport';
import type { MetricPoint, Run } from '../../core/runs/model';
import {
  comparisonOptionsOf,
  defaultViewState,
  parseWebviewMessage,
  type CompareViewState,
  type HostToWebview,
  type MetricSeries,
  type WebviewToHost,
} from '../../shared/compareProtocol';
import { output, showError } from '../output';

export type LoadHistory = (runId: string, metric: string) => Promise<MetricPoint[]>;

/** Where the panel gets runs when it is not handed them: the quick pick, restore after reload, live updates. */
export interface CompareRunProvider {
  /** Every run the workspace knows (the latest record of each). */
  listRuns(): Promise<Run[]>;
  loadHistory: LoadHistory;
  /** Fires when runs may have changed, e.g. a running run logged metrics. */
  onDidChangeRuns?: vscode.Event<void>;
  /** Shows one run (in the Runs view, or its details). */
  openRun?(run: Run): unknown;
}

const HISTORY_CONCURRENCY = 8;
const LIVE_INTERVAL_MS = 3_000;

function selectionKey(runIds: readonly string[]): string {
  return [...runIds].sort().join('\n');
}

/**
 * One compare panel: a webview over a fixed selection of runs. It sends the webview a typed snapshot
 * when it says `ready`, loads metric histories as charts come into view, follows running runs, and
 * exports what the table shows.
 */
export class CompareRunsPanel implements vscode.Disposable {
  static readonly viewType = 'mlops.compareRuns';
  private static readonly open = new Map<string, CompareRunsPanel>();

  private readonly disposables: vscode.Disposable[] = [];
  private readonly key: string;
  private readonly liveMetrics = new Set<string>();
  private liveTimer: ReturnType<typeof setInterval> | undefined;
  private disposed = false;

  /** Reveals the panel of this selection if one is open, else opens one. */
  static show(extensionUri: vscode.Uri, runs: Run[], loadHistory: LoadHistory, provider?: CompareRunProvider): CompareRunsPanel {
    const existing = CompareRunsPanel.open.get(selectionKey(runs.map((r) => r.id)));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(CompareRunsPanel.viewType, titleOf(runs.length), vscode.ViewColumn.Active, {
      ...webviewOptions(extensionUri),
      retainContextWhenHidden: false,
    });
    return new CompareRunsPanel(panel, extensionUri, runs, loadHistory, defaultViewState(runs.length), provider);
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    private runs: Run[],
    private readonly loadHistory: LoadHistory,
    private viewState: CompareViewState,
    private readonly provider?: CompareRunProvider,
    private readonly problem?: string,
  ) {
    this.key = selectionKey(runs.map((r) => r.id));
    if (runs.length > 0) CompareRunsPanel.open.set(this.key, this);
    panel.title = titleOf(runs.length);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mlops.svg');
    panel.webview.options = webviewOptions(extensionUri);
    this.render();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((message: unknown) => {
        this.receive(message).catch((error: unknown) =>
          showError('The compare panel could not do that; see the output for details.', error),
        );
      }),
      // A hidden panel drops its page (retainContextWhenHidden is off); it is drawn again when shown.
      panel.onDidChangeViewState(() => {
        if (panel.visible) this.updateLiveTimer();
      }),
    );
    if (provider?.onDidChangeRuns) this.disposables.push(provider.onDidChangeRuns(() => void this.refreshRuns()));
    this.updateLiveTimer();
  }

  get runIds(): string[] {
    return this.runs.map((r) => r.id);
  }

  /** A fresh nonce on every render, so a nonce seen once is useless afterwards. */
  private render(): void {
    const webview = this.panel.webview;
    webview.html = comparePanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'compare.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'compare.css')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'codicon.css')).toString(),
      title: titleOf(this.runs.length),
    });
  }

  private post(message: HostToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }

  private comparison(): Comparison {
    return buildComparison(this.runs, comparisonOptionsOf(this.viewState));
  }

  private async receive(raw: unknown): Promise<void> {
    const message: WebviewToHost | undefined = parseWebviewMessage(raw);
    if (!message) {
      output.error(`The compare panel sent a message of unknown shape: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.post({ type: 'snapshot', runs: this.runs, comparison: this.comparison(), viewState: this.viewState });
        if (this.problem) this.post({ type: 'error', message: this.problem });
        return;
      case 'viewState':
        this.viewState = message.viewState;
        return;
      case 'requestHistory':
        this.liveMetrics.add(message.metric);
        await this.sendHistories(message.runIds, message.metric);
        return;
      case 'export':
        await this.exportTable(message.format, message.action);
        return;
      case 'exportImage':
        await this.exportImage(message.name, message.dataUrl);
        return;
      case 'openRun': {
        const run = this.runs.find((r) => r.id === message.runId);
        if (!run) return;
        if (this.provider?.openRun) await this.provider.openRun(run);
        else
          void vscode.window.showInformationMessage(
            `${run.name || run.id}: ${run.source} run ${run.id} of experiment ${run.experiment}, ${run.status}.`,
          );
        return;
      }
    }
  }

  private async sendHistories(requested: string[], metric: string): Promise<void> {
    const known = new Set(this.runIds);
    const runIds = requested.filter((id) => known.has(id));
    const buckets = historyBuckets(runIds.length);
    let batch: MetricSeries[] = [];
    let lastPost = Date.now();
    const failures: string[] = [];
    const flush = (): void => {
      if (batch.length > 0) this.post({ type: 'history', metric, series: batch });
      batch = [];
      lastPost = Date.now();
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < runIds.length && !this.disposed) {
        const runId = runIds[next++];
        if (runId === undefined) break;
        try {
          const points = await this.loadHistory(runId, metric);
          batch.push({ runId, points: downsampleMinMax(points, buckets) });
        } catch (error) {
          failures.push(runId);
          output.error(
            `Loading the history of ${metric} for run ${runId} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        // Charts fill in as histories arrive instead of waiting for the slowest run.
        if (batch.length >= 100 || Date.now() - lastPost > 250) flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(HISTORY_CONCURRENCY, runIds.length) }, worker));
    flush();
    if (failures.length > 0) {
      this.post({
        type: 'error',
        message: `The history of ${metric} could not be loaded for ${failures.length} of ${runIds.length} runs; see the MLOps Workbench output.`,
      });
    }
  }

  private async exportTable(format: 'csv' | 'markdown', action: 'copy' | 'save'): Promise<void> {
    const comparison = this.comparison();
    const text = format === 'csv' ? toCsv(comparison) : toMarkdown(comparison);
    const label = format === 'csv' ? 'CSV' : 'Markdown';
    if (action === 'copy') {
      await vscode.env.clipboard.writeText(text);
      void vscode.window.showInformationMessage(`Copied the comparison of ${comparison.runs.length} runs as ${label}.`);
      return;
    }
    const target = await vscode.window.showSaveDialog({
      defaultUri: defaultSaveUri(`run-comparison.${format === 'csv' ? 'csv' : 'md'}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
      title: `Save the comparison as ${label}`,
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    void vscode.window.showInformationMessage(
      `Saved the comparison of ${comparison.runs.length} runs to ${vscode.workspace.asRelativePath(target)}.`,
    );
  }

  private async exportImage(name: string, dataUrl: string): Promise<void> {
    const safeName = name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'chart.png';
    const target = await vscode.window.showSaveDialog({
      defaultUri: defaultSaveUri(safeName.endsWith('.png') ? safeName : `${safeName}.png`),
      filters: { 'PNG image': ['png'] },
      title: 'Save the chart as PNG',
    });
    if (!target) return;
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(`Saved the chart to ${vscode.workspace.asRelativePath(target)}.`);
  }

  /** Polls while a run of the selection is still running, so its curves extend as it logs. */
  private updateLiveTimer(): void {
    const live = this.provider !== undefined && this.runs.some((r) => r.status === 'running') && !this.disposed;
    if (live && this.liveTimer === undefined) this.liveTimer = setInterval(() => void this.refreshRuns(), LIVE_INTERVAL_MS);
    if (!live && this.liveTimer !== undefined) {
      clearInterval(this.liveTimer);
      this.liveTimer = undefined;
    }
  }

  private refreshing = false;
  private async refreshRuns(): Promise<void> {
    if (!this.provider || this.refreshing || this.disposed || !this.panel.visible) return;
    this.refreshing = true;
    try {
      const latest = new Map((await this.provider.listRuns()).map((r) => [r.id, r]));
      const next = this.runs.map((run) => {
        const fresh = latest.get(run.id);
        if (fresh && JSON.stringify(fresh) !== JSON.stringify(run)) {
          this.post({ type: 'runUpdated', run: fresh });
          return fresh;
        }
        return run;
      });
      this.runs = next;
    } catch (error) {
      output.error(`Refreshing the compared runs failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.refreshing = false;
      this.updateLiveTimer();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (CompareRunsPanel.open.get(this.key) === this) CompareRunsPanel.open.delete(this.key);
    if (this.liveTimer !== undefined) clearInterval(this.liveTimer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function titleOf(count: number): string {
  return `Compare ${count} Run${count === 1 ? '' : 's'}`;
}

/** Scripts on, and resources only from the built webview and media: nothing else of the extension or workspace. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

function defaultSaveUri(fileName: string): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, fileName) : undefined;
}
