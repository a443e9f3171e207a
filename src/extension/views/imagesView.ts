import * as vscode from 'vscode';
import { EngineConfigError, EngineUnreachableError } from '../../core/docker/engineConnection';
import { describeImage, listLocalImages, type LocalImage } from '../../core/docker/localImages';
import { listRepositories, listTags } from '../../core/docker/registryCatalog';
import { registryHost } from '../../core/docker/registryCredentials';
import type { DockerEngine } from '../docker/dockerEngine';
import { dockerSettings, type RegistrySetting } from '../docker/dockerSettings';
import type { RegistryCredentialStore } from '../docker/registryCredentialStore';
import { output } from '../output';

export type ImagesNode =
  | { kind: 'group'; group: 'local' | 'registries' }
  | { kind: 'image'; image: LocalImage }
  | { kind: 'registry'; registry: RegistrySetting }
  | { kind: 'repository'; registry: RegistrySetting; repository: string }
  | { kind: 'remoteTag'; registry: RegistrySetting; repository: string; tag: string }
  | { kind: 'message'; text: string; icon: string };

/** The Images view: local images (built here, or all on request) and the registries with their tags. */
export class ImagesView implements vscode.TreeDataProvider<ImagesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ImagesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private showAll = false;
  private images: LocalImage[] | undefined;
  treeView: vscode.TreeView<ImagesNode> | undefined;

  constructor(
    private readonly engine: DockerEngine,
    private readonly credentials: RegistryCredentialStore,
  ) {}

  /** For tests and commands: the local images the view shows now. */
  get shownImages(): readonly LocalImage[] {
    return this.images ?? [];
  }

  get showingAll(): boolean {
    return this.showAll;
  }

  setShowAll(all: boolean): void {
    this.showAll = all;
    void vscode.commands.executeCommand('setContext', 'mlops.images.showAll', all);
    this.refresh();
  }

  refresh(): void {
    this.images = undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(node: ImagesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const label = node.group === 'local' ? (this.showAll ? 'All Local Images' : 'Local Images') : 'Registries';
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
        item.contextValue = `group-${node.group}`;
        item.iconPath = new vscode.ThemeIcon(node.group === 'local' ? 'server-environment' : 'cloud');
        if (node.group === 'local') item.description = this.showAll ? 'all' : 'built by MLOps Workbench';
        return item;
      }
      case 'image': {
        const { image } = node;
        const name = image.tags[0] ?? `<none> ${image.id.replace(/^sha256:/, '').slice(0, 12)}`;
        const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
        item.id = `image:${image.id}:${name}`;
        item.description = describeImage(image);
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${name}**\n\n`);
        if (image.tags.length > 1) md.appendMarkdown(`Also: ${image.tags.slice(1).join(', ')}\n\n`);
        md.appendMarkdown(`ID: \`${image.id}\`\n\nCreated: ${image.created.toISOString()}\n\n`);
        if (image.commit) md.appendMarkdown(`Commit: \`${image.commit}\`\n\n`);
        if (image.run) md.appendMarkdown(`Run: ${image.run}${image.stage ? ` (stage ${image.stage})` : ''}\n\n`);
        item.tooltip = md;
        item.iconPath = new vscode.ThemeIcon(image.builtHere ? 'package' : 'archive');
        item.contextValue = image.tags.length > 0 ? 'image' : 'image-untagged';
        return item;
      }
      case 'registry': {
        const item = new vscode.TreeItem(node.registry.address, vscode.TreeItemCollapsibleState.Collapsed);
        item.description = [node.registry.kind, node.registry.namespace].filter(Boolean).join(' · ');
        item.contextValue = 'registry';
        item.iconPath = new vscode.ThemeIcon('repo');
        return item;
      }
      case 'repository': {
        const item = new vscode.TreeItem(node.repository, vscode.TreeItemCollapsibleState.Collapsed);
        item.contextValue = 'repository';
        item.iconPath = new vscode.ThemeIcon('folder-library');
        return item;
      }
      case 'remoteTag': {
        const item = new vscode.TreeItem(node.tag, vscode.TreeItemCollapsibleState.None);
        item.contextValue = 'remoteTag';
        item.iconPath = new vscode.ThemeIcon('tag');
        item.tooltip = `${registryHost(node.registry.address)}/${node.repository}:${node.tag}`;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.text;
        return item;
      }
    }
  }

  async getChildren(node?: ImagesNode): Promise<ImagesNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'group' && node.group === 'local') return (this.images ?? []).map((image) => ({ kind: 'image', image }));
    if (node.kind === 'group' && node.group === 'registries')
      return dockerSettings().registries.map((registry) => ({ kind: 'registry', registry }));
    if (node.kind === 'registry' || node.kind === 'repository') {
      const host = registryHost(node.registry.address);
      try {
        const credentials = await this.credentials.get(host);
        if (node.kind === 'registry') {
          const repositories = await listRepositories(host, credentials);
          const prefix = node.registry.namespace ? `${node.registry.namespace}/` : '';
          const shown = repositories.filter((r) => r.startsWith(prefix));
          return shown.length > 0
            ? shown.map((repository) => ({ kind: 'repository', registry: node.registry, repository }))
            : [{ kind: 'message', text: 'No repositories yet', icon: 'info' }];
        }
        const tags = await listTags(host, node.repository, credentials);
        return tags.map((tag) => ({ kind: 'remoteTag', registry: node.registry, repository: node.repository, tag }));
      } catch (error) {
        output.error(`${(error as Error).message}`);
        return [{ kind: 'message', text: (error as Error).message, icon: 'warning' }];
      }
    }
    return [];
  }

  private async roots(): Promise<ImagesNode[]> {
    const setState = (state: string): Thenable<unknown> => vscode.commands.executeCommand('setContext', 'mlops.images.state', state);
    if (!vscode.workspace.isTrusted) {
      if (this.treeView)
        this.treeView.message = 'This workspace is not trusted, so MLOps Workbench does not talk to the Docker Engine here.';
      await setState('untrusted');
      return [];
    }
    try {
      const { docker } = await this.engine.connect();
      this.images = await listLocalImages(docker, this.showAll);
      if (this.treeView) this.treeView.message = undefined;
    } catch (error) {
      this.images = [];
      if (error instanceof EngineUnreachableError || error instanceof EngineConfigError) {
        output.error(`${error.message}\n${error instanceof EngineUnreachableError ? String(error.detail) : ''}`);
        if (this.treeView) this.treeView.message = error.message;
        await setState('unreachable');
        return [];
      }
      throw error;
    }
    const registries = dockerSettings().registries;
    if (this.images.length === 0 && registries.length === 0 && !this.showAll) {
      await setState('empty');
      return [];
    }
    await setState('ready');
    const roots: ImagesNode[] = [{ kind: 'group', group: 'local' }];
    if (registries.length > 0) roots.push({ kind: 'group', group: 'registries' });
    return roots;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
