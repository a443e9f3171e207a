import * as vscode from 'vscode';
import { registerCommands } from '../commands';
import type { Services } from '../services';
import { PipelinesView, revealStage } from '../views/pipelinesView';

/** The Pipelines view and the stage commands. */
export function registerPipelines({ context }: Services): void {
  const pipelines = new PipelinesView();
  context.subscriptions.push(
    pipelines,
    vscode.window.createTreeView('mlops.pipelines', { treeDataProvider: pipelines, showCollapseAll: true }),
  );
  registerCommands(context, [
    { id: 'mlops.refreshPipelines', run: () => pipelines.refresh() },
    { id: 'mlops.openStage', run: (node: { path: string; name: string }) => revealStage(node) },
    { id: 'mlops.runStage', run: () => vscode.window.showInformationMessage('Stage runs are not available yet.'), startsProcess: true },
    {
      id: 'mlops.createPipeline',
      run: async () => {
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
        }
        await vscode.window.showTextDocument(target);
        pipelines.refresh();
      },
    },
  ]);
}
