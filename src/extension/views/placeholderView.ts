import * as vscode from 'vscode';

/**
 * A view whose content arrives later; until then it is empty, so its welcome content (which says
 * what to do) is shown.
 */
export class EmptyView implements vscode.TreeDataProvider<never> {
  constructor(private readonly stateKey: string) {}

  getTreeItem(): vscode.TreeItem {
    throw new Error('an empty view has no items');
  }

  async getChildren(): Promise<never[]> {
    await vscode.commands.executeCommand('setContext', this.stateKey, 'empty');
    return [];
  }
}
