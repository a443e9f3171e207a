import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

describe('Outline', () => {
  it('shows the stages of dvc.yaml in the outline', async () => {
    await activateExtension();
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'dvc.yaml');
    await vscode.window.showTextDocument(uri);
    const symbols = await waitFor('document symbols from the language server', async () => {
      const found = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
      return found && found.length > 0 ? found : undefined;
    });
    const stages = symbols.find((s) => s.name === 'stages');
    assert.deepEqual(
      stages?.children.map((s) => s.name),
      ['ingest', 'validate', 'train', 'evaluate'],
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
