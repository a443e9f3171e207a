import * as vscode from 'vscode';
import { registerCommands } from '../commands';
import type { Services } from '../services';
import { EmptyView } from '../views/placeholderView';

/** The Runs view and its commands. */
export function registerRuns({ context }: Services): void {
  context.subscriptions.push(vscode.window.createTreeView('mlops.runs', { treeDataProvider: new EmptyView('mlops.runs.state') }));
  registerCommands(context, [{ id: 'mlops.refreshRuns', run: () => undefined }]);
}
