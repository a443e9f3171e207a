import * as vscode from 'vscode';
import { defaultEngineEnvironment, EngineConfigError, EngineConnection, EngineUnreachableError } from '../../core/docker/engineConnection';
import { output } from '../output';
import { dockerSettings } from './dockerSettings';

/**
 * The engine connection of the extension: resolved from settings and the environment on demand,
 * forgotten when those settings change, and resolved again when the engine stops answering (see
 * `EngineConnection`), so a restarted daemon is used again without a reload.
 */
export class DockerEngine extends EngineConnection implements vscode.Disposable {
  private readonly listener: vscode.Disposable;

  constructor() {
    super(() => {
      const settings = dockerSettings();
      return defaultEngineEnvironment({ host: settings.host, context: settings.context });
    });
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.docker.host') || e.affectsConfiguration('mlops.docker.context')) this.reset();
    });
  }

  dispose(): void {
    this.listener.dispose();
  }
}

/** Shows an engine failure with "Retry" and "Configure"; returns true when the person chose Retry. */
export async function showEngineProblem(error: unknown): Promise<boolean> {
  if (error instanceof EngineUnreachableError || error instanceof EngineConfigError) {
    output.error(`${error.message}\n${error instanceof EngineUnreachableError ? String(error.detail) : ''}`);
    const choice = await vscode.window.showErrorMessage(error.message, 'Retry', 'Configure');
    if (choice === 'Configure') await vscode.commands.executeCommand('workbench.action.openSettings', 'mlops.docker');
    return choice === 'Retry';
  }
  return false;
}
