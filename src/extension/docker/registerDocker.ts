import * as vscode from 'vscode';
import { registerCommands } from '../commands';
import type { Services } from '../services';
import { EmptyView } from '../views/placeholderView';

/** The Images view, image build and push commands. */
export function registerDocker({ context }: Services): void {
  context.subscriptions.push(vscode.window.createTreeView('mlops.images', { treeDataProvider: new EmptyView('mlops.images.state') }));
  registerCommands(context, [
    { id: 'mlops.refreshImages', run: () => undefined },
    { id: 'mlops.buildImage', run: () => vscode.window.showInformationMessage('Image builds are not available yet.'), startsProcess: true },
    { id: 'mlops.showAllImages', run: () => undefined },
  ]);
}
