import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

async function diagnosticsOf(uri: vscode.Uri, code: string): Promise<vscode.Diagnostic[]> {
  return waitFor(`a ${code} diagnostic in ${uri.path}`, () => {
    const found = vscode.languages.getDiagnostics(uri).filter((d) => (typeof d.code === 'object' ? d.code.value : d.code) === code);
    return found.length > 0 ? found : undefined;
  });
}

describe('Diagnostics from the language server', () => {
  before(async () => {
    await activateExtension();
  });

  it('marks a duplicate key in params.yaml at the exact key, and clears it when fixed', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'params.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const original = document.getText();
    try {
      // A second `evaluate:` block at the end of the file.
      await editor.edit((edit) => edit.insert(document.positionAt(original.length), '\nevaluate:\n  primary_metric: f1_macro\n'));
      const [duplicate] = await diagnosticsOf(uri, 'yaml-duplicate-key');
      const duplicateLine = document.lineCount - 3;
      assert.equal(duplicate!.range.start.line, duplicateLine, `on the second "evaluate" (line ${duplicateLine + 1})`);
      assert.equal(document.getText(duplicate!.range), 'evaluate');
      assert.equal(duplicate!.severity, vscode.DiagnosticSeverity.Error);
    } finally {
      await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, document.lineCount, 0), original));
    }
    await waitFor('the duplicate-key diagnostic to clear', () =>
      vscode.languages.getDiagnostics(uri).every((d) => (typeof d.code === 'object' ? d.code.value : d.code) !== 'yaml-duplicate-key'),
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('reports a YAML syntax error in dvc.yaml without crashing the server, then recovers', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'dvc.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const original = document.getText();
    try {
      await editor.edit((edit) => edit.insert(new vscode.Position(1, 0), '  broken: [unclosed\n'));
      const [syntax] = await diagnosticsOf(uri, 'yaml-syntax');
      assert.equal(syntax!.severity, vscode.DiagnosticSeverity.Error);
      assert.ok(syntax!.range.start.line >= 1, 'the error is at or after the inserted line');
    } finally {
      await editor.edit((edit) => edit.replace(new vscode.Range(0, 0, document.lineCount, 0), original));
    }
    await waitFor('the syntax error to clear', () =>
      vscode.languages.getDiagnostics(uri).every((d) => d.severity !== vscode.DiagnosticSeverity.Error),
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('reports problems in pipeline files nobody has opened (the Problems panel sees them on its own)', async function () {
    this.timeout(90_000);
    const folder = vscode.Uri.joinPath(workspaceRoot(), 'closed-project');
    const uri = vscode.Uri.joinPath(folder, 'schema.yaml');
    await vscode.workspace.fs.createDirectory(folder);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode('COLUMNS:\n  price: flaot64\nTARGET_COLUMN:\n  name: price\n'));
    try {
      const [dtype] = await diagnosticsOf(uri, 'schema-invalid-dtype');
      assert.equal(dtype!.range.start.line, 1);
      assert.ok(
        vscode.workspace.textDocuments.every((d) => d.uri.toString() !== uri.toString()),
        'the file was never opened',
      );
    } finally {
      await vscode.workspace.fs.delete(folder, { recursive: true });
    }
  });
});
