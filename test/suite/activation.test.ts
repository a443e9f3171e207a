import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID, waitFor } from './helpers';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string; name: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string }[] };
  };
}

describe('Activation', () => {
  it('activates in the example project and registers every contributed command', async () => {
    await activateExtension();
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    const manifest = JSON.parse(readFileSync(join(extension.extensionPath, 'package.json'), 'utf8')) as Manifest;
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('contributes the MLOps container with the Pipelines, Runs and Images views, and opens it', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const manifest = extension.packageJSON as Manifest;
    assert.deepEqual(
      manifest.contributes.viewsContainers.activitybar.map((c) => c.title),
      ['MLOps'],
    );
    assert.deepEqual(
      manifest.contributes.views.mlops?.map((v) => v.name),
      ['Pipelines', 'Runs', 'Images'],
    );
    // Opening the container and focusing each view must not throw (the view ids are registered).
    await vscode.commands.executeCommand('workbench.view.extension.mlops');
    for (const view of ['mlops.pipelines', 'mlops.runs', 'mlops.images']) {
      await vscode.commands.executeCommand(`${view}.focus`);
    }
  });

  it('starts the language client because the workspace has pipeline files', async () => {
    const api = await activateExtension<{ languageClientRunning(): boolean }>();
    await waitFor('the language client to start', () => api.languageClientRunning());
  });
});
