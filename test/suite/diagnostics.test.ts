import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { overlayFileAccess } from '../../src/core/fileAccess';
import { validateFile } from '../../src/core/validation/validateFile';
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

  it('keeps up with typing in a 1,000-stage dvc.yaml: each pause shows what validating the whole text finds', async function () {
    this.timeout(120_000);
    const folder = vscode.Uri.joinPath(workspaceRoot(), 'large-pipeline');
    const write = (name: string, text: string): Thenable<void> =>
      vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, name), new TextEncoder().encode(text));
    const stages: string[] = [];
    const params: string[] = [];
    for (let i = 0; i < 1000; i++) {
      stages.push(
        `  stage_${i}:`,
        `    cmd: python src/stage.py --index ${i} --lr \${group_${i % 10}.lr}`,
        '    deps:',
        '      - src/stage.py',
        `      - ${i === 0 ? 'data/raw.csv' : `data/out_${i - 1}.csv`}`,
        '    params:',
        `      - group_${i % 10}.lr`,
        '    outs:',
        `      - data/out_${i}.csv`,
      );
      if (i === 500) stages.push('    bogus_key: 1');
    }
    for (let g = 0; g < 10; g++) params.push(`group_${g}:`, `  lr: 0.0${g + 1}`);
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder, 'src'));
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder, 'data'));
    await write('src/stage.py', '');
    await write('data/raw.csv', 'a\n');
    await write('params.yaml', `${params.join('\n')}\n`);
    await write('dvc.yaml', `stages:\n${stages.join('\n')}\n`);
    const uri = vscode.Uri.joinPath(folder, 'dvc.yaml');
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const shown = (): string[] =>
      vscode.languages
        .getDiagnostics(uri)
        .filter((d) => d.source === 'mlops')
        .map((d) => `${d.range.start.line}:${d.range.start.character} ${typeof d.code === 'object' ? d.code.value : d.code} ${d.message}`)
        .sort();
    // What the checks find in the editor's text, validated whole in this process.
    const expected = async (): Promise<string[]> => {
      const files = overlayFileAccess((path) => (path === uri.fsPath ? document.getText() : undefined));
      return (await validateFile(uri.fsPath, files))
        .map((f) => `${f.range.start.line}:${f.range.start.character} ${f.code} ${f.message}`)
        .sort();
    };
    const settles = async (what: string): Promise<string[]> => {
      const wanted = await expected();
      await waitFor(what, () => JSON.stringify(shown()) === JSON.stringify(wanted) && wanted, 30_000);
      return wanted;
    };
    try {
      const opened = await settles('the diagnostics of the opened file');
      assert.ok(
        opened.some((d) => d.includes('bogus_key')),
        'the unknown key of stage 500 is reported',
      );
      // A key typed one character at a time at the end of stage 700, as the editor sends it
      // (incremental changes). Halfway, before its colon, the file is not valid YAML.
      const line = document.getText().split('\n').indexOf('  stage_701:');
      let position = new vscode.Position(line, 0);
      const type = async (text: string): Promise<void> => {
        for (const character of text) {
          const at = position;
          assert.ok(await editor.edit((edit) => edit.insert(at, character), { undoStopBefore: false, undoStopAfter: false }));
          position = character === '\n' ? new vscode.Position(at.line + 1, 0) : at.translate(0, 1);
        }
      };
      await type('    typed_k');
      const half = await settles('the diagnostics with a key half typed');
      assert.ok(
        half.length > 0 && half.every((d) => d.includes(' yaml-')),
        `only the syntax error while the key has no colon: ${half.join(' | ')}`,
      );
      await type('ey: 1\n');
      const typed = await settles('the diagnostics after typing a key');
      assert.ok(
        typed.some((d) => d.startsWith(`${line}:4 dvc-unknown-key`) && d.includes('typed_key')),
        `typed_key is reported on line ${line + 1}`,
      );
      // A line added near the top moves every later finding down one line.
      await editor.edit((edit) => edit.insert(new vscode.Position(3, 0), '      - src/stage.py\n'));
      const moved = await settles('the diagnostics after a line was added above');
      assert.ok(
        moved.some((d) => d.startsWith(`${line + 1}:4 dvc-unknown-key`) && d.includes('typed_key')),
        'typed_key moved down a line',
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.workspace.fs.delete(folder, { recursive: true });
    }
  });
});
