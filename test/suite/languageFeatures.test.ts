import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

interface YamlApiLike {
  registerContributor(
    schema: string,
    requestSchema: (resource: string) => string | undefined,
    requestSchemaContent: (uri: string) => Promise<string> | string,
    label?: string,
  ): boolean;
}

function positionIn(document: vscode.TextDocument, needle: string, at: number): vscode.Position {
  const index = document.getText().indexOf(needle);
  assert.ok(index >= 0, `${needle} in ${document.uri.fsPath}`);
  return document.positionAt(index + at);
}

describe('Language features', () => {
  it('renames a param key from dvc.yaml in params.yaml and dvc.yaml, and lists its references', async () => {
    await activateExtension();
    const dvc = vscode.Uri.joinPath(workspaceRoot(), 'dvc.yaml');
    const params = vscode.Uri.joinPath(workspaceRoot(), 'params.yaml');
    const document = await vscode.workspace.openTextDocument(dvc);
    await vscode.window.showTextDocument(document);
    const position = positionIn(document, 'split.random_state', 'split.'.length + 2);
    const references = await waitFor('references from the language server', async () => {
      const found = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', dvc, position);
      return found && found.length > 0 ? found : undefined;
    });
    assert.deepEqual(references.map((l) => `${l.uri.fsPath.slice(workspaceRoot().fsPath.length + 1)}:${l.range.start.line}`).sort(), [
      `dvc.yaml:${position.line}`,
      'params.yaml:3',
    ]);
    const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', dvc, position, 'seed');
    const paramsEdits = edit.get(params);
    const dvcEdits = edit.get(dvc);
    assert.deepEqual(
      paramsEdits.map((e) => [e.range.start.line, e.range.start.character, e.range.end.character, e.newText]),
      [[3, 2, 14, 'seed']],
    );
    assert.deepEqual(
      dvcEdits.map((e) => [e.range.start.line, e.newText]),
      [[position.line, 'seed']],
    );
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('vscode.prepareRename', dvc, positionIn(document, 'cmd', 1))),
      /Rename and references work on params keys/,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it("completes a dep with the other stages' outs", async () => {
    await activateExtension();
    const dvc = vscode.Uri.joinPath(workspaceRoot(), 'dvc.yaml');
    const document = await vscode.workspace.openTextDocument(dvc);
    const position = positionIn(document, '      - src/validate.py', '      - src/va'.length);
    const list = await waitFor('completion items from the language server', async () => {
      const found = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', dvc, position);
      return found && found.items.some((i) => i.detail?.startsWith('out of ')) ? found : undefined;
    });
    const outs = list.items.filter((i) => i.detail?.startsWith('out of ')).map((i) => `${String(i.label)} ${i.detail ?? ''}`);
    assert.ok(outs.includes('artifacts/data_ingestion/train.csv out of ingest'), outs.join(', '));
    assert.ok(!outs.some((o) => o.startsWith('artifacts/data_validation/status.json')), "validate's own out is not offered");
  });

  it('MLOps: Add CI Workflow writes .github/workflows/mlops.yml that validates the workspace, and opens it', async () => {
    await activateExtension();
    const target = join(workspaceRoot().fsPath, '.github', 'workflows', 'mlops.yml');
    rmSync(join(workspaceRoot().fsPath, '.github'), { recursive: true, force: true });
    try {
      await vscode.commands.executeCommand('mlops.addCiWorkflow');
      assert.ok(existsSync(target));
      const workflow = parse(readFileSync(target, 'utf8')) as { jobs: { validate: { steps: { run?: string }[] } } };
      const runs = workflow.jobs.validate.steps.map((s) => s.run).filter((r): r is string => r !== undefined);
      assert.deepEqual(runs.slice(1), ['mlops validate . --format github', 'mlops pipeline status dvc.yaml']);
      assert.match(runs[0] ?? '', /^npm install --global mlops-workbench@\d+\.\d+\.\d+$/);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, target, 'the workflow is opened');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      rmSync(join(workspaceRoot().fsPath, '.github'), { recursive: true, force: true });
    }
  });

  it("answers Red Hat YAML's schema question: permissive for dvc.yaml, nothing for other YAML, off with the setting", async () => {
    const api = await activateExtension<{ contributeToYaml(api: YamlApiLike): boolean }>();
    const registered: { scheme: string; request: (r: string) => string | undefined; content: (u: string) => Promise<string> | string }[] =
      [];
    const fake: YamlApiLike = {
      registerContributor(scheme, request, content) {
        registered.push({ scheme, request, content });
        return true;
      },
    };
    assert.equal(api.contributeToYaml(fake), true);
    const contributor = registered[0];
    assert.ok(contributor);
    const dvc = vscode.Uri.joinPath(workspaceRoot(), 'dvc.yaml').toString();
    const schemaUri = contributor.request(dvc);
    assert.equal(schemaUri, `${contributor.scheme}://schemas/validated-by-mlops-workbench.json`);
    assert.equal(JSON.parse(await contributor.content(schemaUri ?? '')).title, 'Validated by MLOps Workbench');
    assert.equal(contributor.request(vscode.Uri.joinPath(workspaceRoot(), 'config', 'config.yaml').toString()), undefined);
    const settings = vscode.workspace.getConfiguration('mlops.validation');
    await settings.update('replaceRedHatYamlSchema', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the setting applied', () => contributor.request(dvc) === undefined);
    } finally {
      await settings.update('replaceRedHatYamlSchema', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
