import * as vscode from 'vscode';
import { parse } from 'yaml';
import { findPipelineFiles } from '../../core/pipeline/discovery';

type Node = { kind: 'file'; path: string; stages: string[] } | { kind: 'stage'; path: string; name: string };

/** The Pipelines view: every dvc.yaml of the workspace and its stages. */
export class PipelinesView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private files: Node[] | undefined;

  refresh(): void {
    this.files = undefined;
    this.changed.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'file') {
      const item = new vscode.TreeItem(vscode.workspace.asRelativePath(node.path), vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon('type-hierarchy');
      item.resourceUri = vscode.Uri.file(node.path);
      item.contextValue = 'pipeline';
      item.description = `${node.stages.length} stage${node.stages.length === 1 ? '' : 's'}`;
      return item;
    }
    const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
    item.iconPath = new vscode.ThemeIcon('circle-outline');
    item.contextValue = 'stage';
    item.command = { command: 'mlops.openStage', title: 'Reveal in dvc.yaml', arguments: [node] };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node?.kind === 'file') return node.stages.map((name) => ({ kind: 'stage', path: node.path, name }));
    if (node) return [];
    this.files ??= await this.load();
    await vscode.commands.executeCommand('setContext', 'mlops.pipelines.state', this.files.length === 0 ? 'empty' : 'ready');
    return this.files;
  }

  private async load(): Promise<Node[]> {
    const nodes: Node[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const found = await findPipelineFiles(folder.uri.fsPath);
      for (const path of found.dvc) {
        let stages: string[] = [];
        try {
          const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path)));
          const value = parse(text) as { stages?: Record<string, unknown> } | null;
          stages = Object.keys(value?.stages ?? {});
        } catch {
          stages = [];
        }
        nodes.push({ kind: 'file', path, stages });
      }
    }
    return nodes;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export async function revealStage(node: { path: string; name: string }): Promise<void> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.file(node.path));
  const match = new RegExp(`^\\s+${node.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:`, 'm').exec(document.getText());
  const position = document.positionAt(match?.index ?? 0);
  await vscode.window.showTextDocument(document, { selection: new vscode.Range(position, position) });
}
