import * as vscode from 'vscode';
import type { MlflowCredentials } from '../../core/runs/mlflowRestSource';
import type { Run, RunSourceKind } from '../../core/runs/model';
import { registerCommands } from '../commands';
import { openComparePanel, setCompareRunProvider } from '../compare/registerCompare';
import { showError } from '../output';
import type { Services } from '../services';
import { RunsTree, type RunsNode } from './runsTree';

const SECRET_KEY = 'mlops.mlflow.credentials';

/** The Runs view, the tracking-server sign-in, and the bridge to the compare panel. */
export function registerRuns(services: Services): RunsTree {
  const { context } = services;
  const tree = new RunsTree({
    discovery: async (folder) => {
      const config = vscode.workspace.getConfiguration('mlops', folder.uri);
      const trackingUri = config.get<string>('mlflow.trackingUri', '');
      // DVC experiments and Git history start processes (dvc, git): not in an untrusted workspace.
      const kinds: RunSourceKind[] = vscode.workspace.isTrusted ? ['mlflow', 'dvc', 'git', 'workbench'] : ['mlflow', 'workbench'];
      return {
        trackingUri,
        credentials: await readCredentials(context.secrets),
        dvcPath: config.get<string>('dvcPath', '') || undefined,
        maxCommits: config.get<number>('runs.gitCommits', 20),
        kinds,
        timeoutMs: 15_000,
      };
    },
    keyMetric: () => vscode.workspace.getConfiguration('mlops').get<string>('runs.keyMetric', ''),
  });
  const view = vscode.window.createTreeView('mlops.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(tree, view);

  let timer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => tree.refresh(), 1000);
  };
  const watcher = vscode.workspace.createFileSystemWatcher(
    '**/{mlflow.db,mlflow.db-wal,mlruns/**,.mlops/runs/*.json,metrics.json,dvc.lock}',
  );
  context.subscriptions.push(
    watcher,
    watcher.onDidChange(scheduleRefresh),
    watcher.onDidCreate(scheduleRefresh),
    watcher.onDidDelete(scheduleRefresh),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.mlflow') || e.affectsConfiguration('mlops.runs')) tree.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
    { dispose: () => clearTimeout(timer) },
  );

  const loadHistory = async (runId: string, metric: string) => {
    const found = (await tree.allRuns()).find((r) => r.run.id === runId);
    return found ? found.source.metricHistory(runId, metric) : [];
  };
  context.subscriptions.push(
    setCompareRunProvider({
      listRuns: async () => (await tree.allRuns()).map((r) => r.run),
      loadHistory,
      onDidChangeRuns: tree.onDidChangeTreeData as unknown as vscode.Event<void>,
    }),
  );

  const selectedRuns = (node?: RunsNode, nodes?: readonly RunsNode[]): Run[] => {
    const picked = nodes && nodes.length > 0 ? nodes : node ? [node] : view.selection;
    return picked.flatMap((n) => (n.kind === 'run' ? [n.run] : n.kind === 'experiment' ? n.runs : n.kind === 'source' ? n.runs : []));
  };

  registerCommands(context, [
    { id: 'mlops.refreshRuns', run: () => tree.refresh() },
    {
      id: 'mlops.compareSelectedRuns',
      run: async (node?: RunsNode, nodes?: readonly RunsNode[]) => {
        const runs = selectedRuns(node, nodes);
        if (runs.length < 2) return vscode.commands.executeCommand('mlops.compareRuns');
        return openComparePanel(services, runs, loadHistory);
      },
    },
    {
      id: 'mlops.showRunDetails',
      run: async (node?: RunsNode) => {
        if (node?.kind !== 'run') return;
        const document = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(node.run, null, 2) });
        await vscode.window.showTextDocument(document, { preview: true });
      },
    },
    {
      id: 'mlops.signInToTrackingServer',
      run: async () => {
        const kind = await vscode.window.showQuickPick(
          [
            { label: 'Username and password', value: 'basic' as const },
            { label: 'Token', value: 'bearer' as const },
            { label: 'Sign out', value: 'none' as const },
          ],
          { title: 'MLflow tracking server credentials (kept in the secret storage)' },
        );
        if (!kind) return;
        if (kind.value === 'none') {
          await context.secrets.delete(SECRET_KEY);
        } else if (kind.value === 'bearer') {
          const token = await vscode.window.showInputBox({ title: 'MLflow token', password: true, ignoreFocusOut: true });
          if (!token) return;
          await context.secrets.store(SECRET_KEY, JSON.stringify({ kind: 'bearer', token } satisfies MlflowCredentials));
        } else {
          const username = await vscode.window.showInputBox({ title: 'MLflow username', ignoreFocusOut: true });
          if (!username) return;
          const password = await vscode.window.showInputBox({ title: `Password for ${username}`, password: true, ignoreFocusOut: true });
          if (password === undefined) return;
          await context.secrets.store(SECRET_KEY, JSON.stringify({ kind: 'basic', username, password } satisfies MlflowCredentials));
        }
        tree.refresh();
      },
    },
  ]);
  return tree;
}

async function readCredentials(secrets: vscode.SecretStorage): Promise<MlflowCredentials | undefined> {
  const stored = await secrets.get(SECRET_KEY);
  if (!stored) return undefined;
  try {
    return JSON.parse(stored) as MlflowCredentials;
  } catch {
    void showError('The stored MLflow credentials could not be read: sign in to the tracking server again.');
    return undefined;
  }
}
