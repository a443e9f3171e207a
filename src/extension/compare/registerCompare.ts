import * as vscode from 'vscode';
import { runsFromCommandArguments } from '../../core/compare/commandArguments';
import type { MetricPoint, Run } from '../../core/runs/model';
import { sanitizeViewState, type ComparePanelState } from '../../shared/compareProtocol';
import { registerCommands } from '../commands';
import { output } from '../output';
import type { Services } from '../services';
import { CompareRunsPanel, webviewOptions, type CompareRunProvider, type LoadHistory } from './comparePanel';

export { CompareRunsPanel, type CompareRunProvider, type LoadHistory } from './comparePanel';

let provider: CompareRunProvider | undefined;
let providerArrived: (() => void) | undefined;
const providerReady = new Promise<void>((resolve) => (providerArrived = resolve));

/** How long a panel restored after a reload waits for the Runs feature to offer its runs. */
const RESTORE_WAIT_MS = 15_000;

/**
 * The Runs feature hands the compare panel its runs here: for the "Compare Runs…" quick pick,
 * restoring panels after a window reload, and following running runs.
 */
export function setCompareRunProvider(next: CompareRunProvider): vscode.Disposable {
  provider = next;
  providerArrived?.();
  return new vscode.Disposable(() => {
    if (provider === next) provider = undefined;
  });
}

/** Opens (or reveals) the compare panel of these runs. The Runs view calls this with its selection. */
export function openComparePanel(services: Services, runs: Run[], loadHistory: LoadHistory): CompareRunsPanel {
  return CompareRunsPanel.show(services.context.extensionUri, runs, loadHistory, provider);
}

async function pickRuns(): Promise<Run[] | undefined> {
  if (!provider) {
    void vscode.window.showInformationMessage('No runs are loaded yet: open the MLOps Runs view, then pick runs to compare.');
    return undefined;
  }
  const all = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Loading runs…' }, async () =>
    provider ? provider.listRuns() : [],
  );
  if (all.length === 0) {
    void vscode.window.showInformationMessage('No experiment runs were found in this workspace, so there is nothing to compare.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    all.map((run) => ({
      label: run.name || run.id,
      description: `${run.source} · ${run.experiment} · ${run.status}`,
      detail: Object.entries(run.metrics)
        .slice(0, 4)
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`)
        .join('  '),
      run,
    })),
    { canPickMany: true, title: 'Compare Runs', placeHolder: 'Pick the runs to compare (two or more)', matchOnDescription: true },
  );
  return picked?.map((p) => p.run);
}

function historyFromProvider(runId: string, metric: string): Promise<MetricPoint[]> {
  if (!provider) return Promise.reject(new Error('no run source is available to load metric histories'));
  return provider.loadHistory(runId, metric);
}

class CompareRunsSerializer implements vscode.WebviewPanelSerializer<ComparePanelState> {
  constructor(private readonly extensionUri: vscode.Uri) {}

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: ComparePanelState | undefined): Promise<void> {
    const runIds = Array.isArray(state?.runIds) ? state.runIds.filter((id): id is string => typeof id === 'string') : [];
    const viewState = sanitizeViewState(state?.viewState, runIds.length);
    let runs: Run[] = [];
    let problem: string | undefined;
    if (runIds.length === 0) problem = 'This comparison kept no runs: open a new one from the Runs view.';
    else {
      await Promise.race([providerReady, new Promise((resolve) => setTimeout(resolve, RESTORE_WAIT_MS))]);
      if (!provider)
        problem = 'The runs of this comparison could not be loaded because no run source is available: reopen it from the Runs view.';
      else {
        try {
          const byId = new Map((await provider.listRuns()).map((r) => [r.id, r]));
          runs = runIds.map((id) => byId.get(id)).filter((r): r is Run => r !== undefined);
          if (runs.length < runIds.length) {
            problem = `${runIds.length - runs.length} of the ${runIds.length} runs of this comparison no longer exist; the others are shown.`;
          }
        } catch (error) {
          output.error(`Restoring a comparison failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          problem = 'The runs of this comparison could not be loaded: see the MLOps Workbench output, then reopen it from the Runs view.';
        }
      }
    }
    panel.webview.options = webviewOptions(this.extensionUri);
    new CompareRunsPanel(panel, this.extensionUri, runs, historyFromProvider, viewState, provider, problem);
  }
}

/** The compare panel: the "Compare Runs" command and the serializer that restores panels after a reload. */
export function registerCompare(services: Services): void {
  const { context } = services;
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(CompareRunsPanel.viewType, new CompareRunsSerializer(context.extensionUri)),
  );
  registerCommands(context, [
    {
      id: 'mlops.compareRuns',
      run: async (...args: unknown[]) => {
        let runs = runsFromCommandArguments(args);
        if (runs.length < 2) runs = (await pickRuns()) ?? [];
        if (runs.length === 0) return undefined;
        if (runs.length < 2) {
          void vscode.window.showInformationMessage('Pick at least two runs to compare.');
          return undefined;
        }
        return openComparePanel(services, runs, historyFromProvider);
      },
    },
  ]);
}
