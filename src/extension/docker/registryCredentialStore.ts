import * as vscode from 'vscode';
import { credentialsFromDockerConfig, registryHost, type RegistryCredentials } from '../../core/docker/registryCredentials';

/**
 * Registry credentials: VS Code SecretStorage first, then the docker CLI's own configuration
 * (`~/.docker/config.json` auths and credential helpers), then a prompt. Never settings or logs.
 */
export class RegistryCredentialStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  private key(registry: string): string {
    return `mlops.docker.credentials/${registryHost(registry)}`;
  }

  async get(registry: string): Promise<RegistryCredentials | undefined> {
    const stored = await this.secrets.get(this.key(registry));
    if (stored) {
      try {
        const value = JSON.parse(stored) as { username?: string; password?: string };
        return { username: value.username, password: value.password, from: 'VS Code secret storage' };
      } catch {
        await this.secrets.delete(this.key(registry));
      }
    }
    return credentialsFromDockerConfig(registry);
  }

  async store(registry: string, username: string, password: string): Promise<void> {
    await this.secrets.store(this.key(registry), JSON.stringify({ username, password }));
  }

  async forget(registry: string): Promise<void> {
    await this.secrets.delete(this.key(registry));
  }

  /** Asks for a user name and password/token; stores them on success of the caller's choice. */
  async prompt(registry: string, reason?: string): Promise<RegistryCredentials | undefined> {
    const host = registryHost(registry);
    const username = await vscode.window.showInputBox({
      title: `Sign in to ${host}`,
      prompt: reason ?? `User name for ${host}`,
      ignoreFocusOut: true,
      placeHolder: host === 'ghcr.io' ? 'GitHub user name' : 'user name',
    });
    if (!username) return undefined;
    const password = await vscode.window.showInputBox({
      title: `Sign in to ${host}`,
      prompt: host === 'ghcr.io' ? 'A personal access token with write:packages' : `Password or access token for ${username}`,
      password: true,
      ignoreFocusOut: true,
    });
    if (!password) return undefined;
    await this.store(registry, username, password);
    return { username, password, from: 'VS Code secret storage' };
  }
}
