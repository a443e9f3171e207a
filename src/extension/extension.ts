import * as vscode from 'vscode';
import { addCiWorkflow } from './ciCommand';
import { registerCommands } from './commands';
import { YAML_SYNTAX_OWNER_NOTIFICATION } from '../core/language/redHatYaml';
import { contributeTo, registerWithRedHatYaml, type YamlExtensionApi } from './redHatYaml';
import { registerCompare } from './compare/registerCompare';
import { registerDocker } from './docker/registerDocker';
import { isRelevantDocument, LanguageClientHost } from './languageClient';
import { output, showError } from './output';
import type { PipelinesTree } from './pipeline/pipelinesTree';
import { registerPipelines } from './pipeline/registerPipelines';
import { registerRuns } from './runs/registerRuns';
import type { RunsTree } from './runs/runsTree';
import type { Services } from './services';

/** What tests and other parts of the extension can reach after activation. */
export interface MlopsApi {
  languageClientRunning(): boolean;
  /** The Pipelines view's nodes, as the view shows them (for tests and other extensions). */
  pipelines: PipelinesTree;
  runs: RunsTree;
  /** Registers our schema contributor with an object shaped like Red Hat YAML's API (tests pass their own). */
  contributeToYaml(api: YamlExtensionApi): boolean;
}

export async function activate(context: vscode.ExtensionContext): Promise<MlopsApi> {
  const languageClient = new LanguageClientHost(context);
  context.subscriptions.push(languageClient, output);
  const services: Services = { context, languageClient };

  const pipelines = registerPipelines(services);
  const runs = registerRuns(services);
  registerCompare(services);
  registerDocker(services);
  let syntaxByRedHat = false;
  const sendSyntaxOwner = (): void =>
    void languageClient.running?.sendNotification(YAML_SYNTAX_OWNER_NOTIFICATION, { redHat: syntaxByRedHat }).catch(() => undefined);
  registerWithRedHatYaml(context, (redHat) => {
    syntaxByRedHat = redHat;
    sendSyntaxOwner();
  });
  languageClient.onStarted(() => sendSyntaxOwner());

  const startLanguageClient = (): void => {
    languageClient.start().catch((error: unknown) => showError('The MLOps language server could not start.', error));
  };

  registerCommands(context, [
    { id: 'mlops.showOutput', run: () => output.show() },
    {
      id: 'mlops.addCiWorkflow',
      run: (folder?: vscode.Uri) =>
        addCiWorkflow(String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0'), folder),
    },
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
  ]);

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

  return { languageClientRunning: () => languageClient.running !== undefined, pipelines, runs, contributeToYaml: contributeTo };
}

export function deactivate(): void {
  // Disposables registered on the context (language client, views, channels) are disposed by VS Code.
}
