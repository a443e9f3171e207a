import type Docker from 'dockerode';
import * as vscode from 'vscode';
import {
  connectEngine,
  defaultEngineEnvironment,
  EngineConfigError,
  EngineUnreachableError,
  pingEngine,
  resolveEngine,
} from '../../core/docker/engineConnection';
import { output } from '../output';
import { dockerSettings } from './dockerSettings';

/** The engine connection of the extension: resolved from settings and the environment, on demand. */
export class DockerEngine implements vscode.Disposable {
  private current: { docker: Docker; where: string } | undefined;
  private readonly listener: vscode.Disposable;

  constructor() {
    this.listener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.docker.host') || e.affectsConfiguration('mlops.docker.context')) this.current = undefined;
    });
  }

  /** Where the engine is expected (for messages), without connecting. */
  where(): string {
    try {
      return this.endpoint().where;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private endpoint(): { docker: Docker; where: string } {
    if (!this.current) {
      const settings = dockerSettings();
      const endpoint = resolveEngine(defaultEngineEnvironment({ host: settings.host, context: settings.context }));
      this.current = { docker: connectEngine(endpoint), where: endpoint.where };
    }
    return this.current;
  }

  /** A connected engine, or throws `EngineUnreachableError`/`EngineConfigError` with the one sentence. */
  async connect(): Promise<{ docker: Docker; where: string }> {
    const endpoint = this.endpoint();
    await pingEngine(endpoint.docker, endpoint.where);
    return endpoint;
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
