import * as vscode from 'vscode';
import type { MlflowCredentials } from '../../core/runs/mlflowRestSource';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Run, RunSourceKind } from '../../core/runs/model';
import { findDvc } from '../../core/runner/dvcRunner';
import { parseRunFilter } from '../../core/runs/runFilter';
import { registerCommands } from '../commands';
import { openComparePanel, setCompareRunProvider } from '../compare/registerCompare';
import { showError } from '../output';
import type { Services } from '../services';
import { RunsTree, type RunsNode } from './runsTree';

const SECRET_KEY = 'mlops.mlflow.credentials';
const execFileAsync = promisify(execFile);

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
        // A credential is sent only to the server it was entered for, and never from an untrusted
        // workspace (whose settings could point the tracking URI anywhere).
        credentials: vscode.workspace.isTrusted
          ? await readCredentials(context.secrets, trackingUri || process.env.MLFLOW_TRACKING_URI)
          : undefined,
        // The same DVC the stage runs use: the setting, the folder's virtualenv, then PATH.
        dvcPath:
          findDvc(folder.uri.fsPath, { explicitPath: config.get<string>('dvcPath', '') }) ??
          (config.get<string>('dvcPath', '') || undefined),
        maxCommits: config.get<number>('runs.gitCommits', 20),
        kinds,
        timeoutMs: 15_000,
        mlflowTimeoutMs: Math.max(1, config.get<number>('mlflow.requestTimeout', 15)) * 1000,
      };
    },
    keyMetric: () => vscode.workspace.getConfiguration('mlops').get<string>('runs.keyMetric', ''),
    pageSize: () => vscode.workspace.getConfiguration('mlops').get<number>('runs.pageSize', 100),
  });
  const view = vscode.window.createTreeView('mlops.runs', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  context.subscriptions.push(tree, view);

  let timer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => tree.refresh(), 1000);
  };
  // One workspace watcher, filtered here: glob braces with folders in them are not matched the same
  // way by every file watcher, and run stores appear in folders that may not exist yet.
  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  const runStoreChange = (uri: vscode.Uri): void => {
    if (
      /(^|[\\/])(mlflow\.db(-wal)?|metrics\.(json|ya?ml)|dvc\.lock)$|[\\/]mlruns[\\/]|[\\/]\.mlops([\\/]runs)?$|[\\/]\.mlops[\\/]runs[\\/][^\\/]+\.json$|[\\/]\.git[\\/](refs[\\/]|HEAD$)/.test(
        uri.fsPath,
      )
    ) {
      scheduleRefresh();
    }
  };
  context.subscriptions.push(
    watcher,
    watcher.onDidChange(runStoreChange),
    watcher.onDidCreate(runStoreChange),
    watcher.onDidDelete(runStoreChange),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.mlflow') || e.affectsConfiguration('mlops.runs')) tree.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
    // A run from the Pipelines view has just written its record; do not wait for the file watcher.
    vscode.tasks.onDidEndTask((event) => {
      if (event.execution.task.definition.type === 'mlops') scheduleRefresh();
    }),
    { dispose: () => clearTimeout(timer) },
  );

  const loadHistory = async (runId: string, metric: string) => {
    const source = await tree.sourceOfRun(runId);
    return source ? source.metricHistory(runId, metric) : [];
  };
  context.subscriptions.push(
    setCompareRunProvider({
      listRuns: async () => (await tree.allRuns()).map((r) => r.run),
      loadHistory,
      onDidChangeRuns: tree.onDidReload,
    }),
  );

  const selectedRuns = (node?: RunsNode, nodes?: readonly RunsNode[]): Run[] => {
    const picked = nodes && nodes.length > 0 ? nodes : node ? [node] : view.selection;
    return picked.flatMap((n) => tree.runsUnder(n));
  };

  const describeView = (): void => {
    const parts = [
      tree.filterText ? `filter: ${tree.filterText}` : '',
      tree.sortOrder.key !== 'startTime' ? `sorted by ${tree.sortOrder.key}` : '',
    ];
    view.description = parts.filter(Boolean).join(' · ') || undefined;
    void vscode.commands.executeCommand('setContext', 'mlops.runs.filtered', tree.filterText !== undefined);
  };

  registerCommands(context, [
    { id: 'mlops.refreshRuns', run: () => tree.refresh() },
    { id: 'mlops.loadMoreRuns', run: (node?: RunsNode) => (node ? tree.loadMore(node) : undefined) },
    {
      id: 'mlops.filterRuns',
      run: async () => {
        const text = await vscode.window.showInputBox({
          title: 'Filter Runs',
          value: tree.filterText ?? '',
          prompt: 'Words match run names; conditions test values: metrics.rmse < 0.8 and params.model == rf. Empty: show all.',
          validateInput: (value) => {
            const parsed = parseRunFilter(value);
            return 'error' in parsed ? parsed.error : undefined;
          },
        });
        if (text === undefined) return;
        const parsed = parseRunFilter(text);
        tree.setFilter(text.trim() === '' || 'error' in parsed ? undefined : parsed);
        describeView();
      },
    },
    {
      id: 'mlops.clearRunsFilter',
      run: () => {
        tree.setFilter(undefined);
        describeView();
      },
    },
    {
      id: 'mlops.sortRuns',
      run: async () => {
        const metrics = new Set<string>();
        // The metrics of the runs read so far: the sort itself then reads every run in the background.
        for (const { run } of await tree.loadedRuns()) for (const key of Object.keys(run.metrics)) metrics.add(key);
        const picked = await vscode.window.showQuickPick(
          [
            { label: 'Start time', key: 'startTime', descending: true, description: 'newest first' },
            { label: 'Name', key: 'name', descending: false, description: 'A to Z' },
            ...[...metrics].sort().flatMap((key) => [
              { label: key, key, descending: true, description: 'highest first' },
              { label: key, key, descending: false, description: 'lowest first' },
            ]),
          ],
          { title: 'Sort Runs', placeHolder: 'Sort runs by a metric, the start time or the name' },
        );
        if (!picked) return;
        tree.setSort({ key: picked.key, descending: picked.descending });
        describeView();
      },
    },
    {
      id: 'mlops.copyRunId',
      run: async (node?: RunsNode) => {
        if (node?.kind !== 'run') return;
        const native = node.run.id.slice(node.run.id.indexOf(':') + 1);
        await vscode.env.clipboard.writeText(native);
        void vscode.window.setStatusBarMessage(`Copied run id ${native}`, 3000);
      },
    },
    {
      id: 'mlops.openRunInMlflow',
      run: async (node?: RunsNode) => {
        if (node?.kind !== 'run' || !node.source.label.startsWith('http')) return;
        const native = node.run.id.slice(node.run.id.indexOf(':') + 1);
        const base = node.source.label.replace(/\/+$/, '');
        const path = node.run.experimentId ? `#/experiments/${node.run.experimentId}/runs/${native}` : `#/runs/${native}`;
        await vscode.env.openExternal(vscode.Uri.parse(`${base}/${path}`));
      },
    },
    {
      id: 'mlops.checkoutRunCommit',
      startsProcess: true,
      run: async (node?: RunsNode) => {
        if (node?.kind !== 'run' || !node.run.commit) return;
        const folder =
          node.kind === 'run' ? vscode.workspace.workspaceFolders?.find((f) => tree.folderOf(node.source) === f.uri.fsPath) : undefined;
        if (!folder) return;
        const commit = node.run.commit;
        const choice = await vscode.window.showWarningMessage(
          `Check out commit ${commit.slice(0, 7)} ("${node.run.name}")? Git refuses if your changes would be overwritten; HEAD will be detached.`,
          { modal: true },
          'Check Out',
        );
        if (choice !== 'Check Out') return;
        try {
          await execFileAsync('git', ['checkout', '--detach', commit], { cwd: folder.uri.fsPath, timeout: 60_000 });
          void vscode.window.showInformationMessage(`Checked out ${commit.slice(0, 7)}; return with git switch -.`);
        } catch (error) {
          const detail = String((error as { stderr?: string }).stderr ?? error).trim();
          await showError(
            `Git could not check out ${commit.slice(0, 7)}: ${
              detail
                .split('\n')
                .find((l) => l.startsWith('error:'))
                ?.slice(7) ?? 'see the output for why'
            }.`,
            detail,
          );
        }
      },
    },
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
        const configured =
          vscode.workspace.getConfiguration('mlops').get<string>('mlflow.trackingUri', '') || process.env.MLFLOW_TRACKING_URI || '';
        const server = await vscode.window.showInputBox({
          title: 'MLflow tracking server',
          value: /^https?:\/\//i.test(configured) ? configured : 'https://',
          prompt: 'The credentials are kept in the secret storage and sent only to this server.',
          validateInput: (value) => (serverKey(value) ? undefined : 'Give the server address, like https://mlflow.example.com'),
          ignoreFocusOut: true,
        });
        const key = server === undefined ? undefined : serverKey(server);
        if (!key) return;
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
          await context.secrets.delete(key);
        } else if (kind.value === 'bearer') {
          const token = await vscode.window.showInputBox({ title: 'MLflow token', password: true, ignoreFocusOut: true });
          if (!token) return;
          await context.secrets.store(key, JSON.stringify({ kind: 'bearer', token } satisfies MlflowCredentials));
        } else {
          const username = await vscode.window.showInputBox({ title: 'MLflow username', ignoreFocusOut: true });
          if (!username) return;
          const password = await vscode.window.showInputBox({ title: `Password for ${username}`, password: true, ignoreFocusOut: true });
          if (password === undefined) return;
          await context.secrets.store(key, JSON.stringify({ kind: 'basic', username, password } satisfies MlflowCredentials));
        }
        tree.refresh();
      },
    },
  ]);
  return tree;
}

/** The secret-storage key of a server's credentials: one per origin (scheme, host and port). */
function serverKey(uri: string): string | undefined {
  try {
    const url = new URL(uri.trim());
    return /^https?:$/.test(url.protocol) && url.host ? `${SECRET_KEY}:${url.origin}` : undefined;
  } catch {
    return undefined;
  }
}

async function readCredentials(secrets: vscode.SecretStorage, trackingUri: string | undefined): Promise<MlflowCredentials | undefined> {
  const key = trackingUri ? serverKey(trackingUri) : undefined;
  if (!key) return undefined;
  const stored = await secrets.get(key);
  if (!stored) return undefined;
  try {
    return JSON.parse(stored) as MlflowCredentials;
  } catch {
    void showError('The stored MLflow credentials could not be read: sign in to the tracking server again.');
    return undefined;
  }
}
