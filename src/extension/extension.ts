import * as vscode from 'vscode';
import { registerCommands, type CommandSpec } from './commands';
import { isRelevantDocument, LanguageClientHost } from './languageClient';
import { output, showError } from './output';
import { EmptyView } from './views/placeholderView';
import { PipelinesView, revealStage } from './views/pipelinesView';

/** What tests and other parts of the extension can reach after activation. */
export interface MlopsApi {
  languageClientRunning(): boolean;
}

export async function activate(context: vscode.ExtensionContext): Promise<MlopsApi> {
  const languageClient = new LanguageClientHost(context);
  context.subscriptions.push(languageClient, output);

  const pipelines = new PipelinesView();
  context.subscriptions.push(
    pipelines,
    vscode.window.createTreeView('mlops.pipelines', { treeDataProvider: pipelines, showCollapseAll: true }),
    vscode.window.createTreeView('mlops.runs', { treeDataProvider: new EmptyView('mlops.runs.state') }),
    vscode.window.createTreeView('mlops.images', { treeDataProvider: new EmptyView('mlops.images.state') }),
  );

  const startLanguageClient = (): void => {
    languageClient.start().catch((error: unknown) => showError('The MLOps language server could not start.', error));
  };

  const commands: CommandSpec[] = [
    { id: 'mlops.refreshPipelines', run: () => pipelines.refresh() },
    { id: 'mlops.refreshRuns', run: () => undefined },
    { id: 'mlops.refreshImages', run: () => undefined },
    { id: 'mlops.openStage', run: (node: { path: string; name: string }) => revealStage(node) },
    { id: 'mlops.showOutput', run: () => output.show() },
    {
      id: 'mlops.validateWorkspace',
      run: async () => {
        await languageClient.start();
        return true;
      },
    },
    {
      id: 'mlops.openExample',
      run: async () => {
        const example = vscode.Uri.joinPath(context.extensionUri, 'examples', 'wine-quality');
        await vscode.commands.executeCommand('vscode.openFolder', example, { forceNewWindow: true });
      },
    },
    {
      id: 'mlops.showReadme',
      run: () => vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(context.extensionUri, 'README.md')),
    },
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
    { id: 'mlops.buildImage', run: () => vscode.window.showInformationMessage('Image builds are not available yet.'), startsProcess: true },
    { id: 'mlops.showAllImages', run: () => undefined },
    { id: 'mlops.runStage', run: () => vscode.window.showInformationMessage('Stage runs are not available yet.'), startsProcess: true },
  ];
  registerCommands(context, commands);

  // The language client starts on the first relevant document, or at once when the workspace has
  // pipeline files (so the Problems panel shows a broken pipeline before anyone opens it).
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((document) => {
      if (isRelevantDocument(document)) startLanguageClient();
    }),
  );
  if (vscode.workspace.textDocuments.some(isRelevantDocument)) startLanguageClient();
  else {
    const found = await vscode.workspace.findFiles(
      '**/{dvc.yaml,params.yaml,schema.yaml,MLproject}',
      '**/{node_modules,.venv,.git,.dvc}/**',
      1,
    );
    if (found.length > 0) startLanguageClient();
  }

  return { languageClientRunning: () => languageClient.running !== undefined };
}

export function deactivate(): void {
  // Disposables registered on the context (language client, views, channels) are disposed by VS Code.
}
