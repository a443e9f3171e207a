import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

interface ImageDetail {
  id: string;
  tags: string[];
  commit?: string;
  builtHere: boolean;
  description?: string;
}

interface Snapshot {
  state: string;
  message?: string;
  details: ImageDetail[];
  registries: { address: string; repositories: { name: string; tags: string[] }[]; messages: string[] }[];
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=MLOps Tests', '-c', 'user.email=tests@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();
}

const snapshot = async (): Promise<Snapshot> => (await vscode.commands.executeCommand('mlops.imagesViewSnapshot')) as Snapshot;

// The engine and the registry are started by the launcher (scripts/test-vscode.mjs), which passes
// DOCKER_HOST and MLOPS_TEST_REGISTRY. Nothing can be pulled here, so the image is built FROM scratch
// rather than from the example's own Dockerfile (which starts from a Python base image).
describe('Images view', () => {
  it('builds a Dockerfile from the command, shows the image with its commit tag, pushes it to a registry and lists it there', async function () {
    this.timeout(180_000);
    const registry = process.env.MLOPS_TEST_REGISTRY;
    if (!process.env.DOCKER_HOST || !registry) {
      if (process.env.CI === 'true') assert.fail('the Images test needs DOCKER_HOST and MLOPS_TEST_REGISTRY from the launcher in CI');
      this.skip();
    }
    await activateExtension();
    const root = workspaceRoot().fsPath;
    const folder = join(root, 'image-test');
    mkdirSync(folder, { recursive: true });
    const dockerfile = join(folder, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM scratch\nCOPY model.txt /model.txt\nLABEL purpose=test\n');
    writeFileSync(join(folder, 'model.txt'), 'a tiny model\n');
    writeFileSync(join(folder, 'ignored.txt'), 'not sent\n');
    writeFileSync(join(folder, '.dockerignore'), 'ignored.txt\n');
    git(root, 'add', 'image-test');
    git(root, 'commit', '-q', '-m', 'scratch image for the Images test');
    const commit = git(root, 'rev-parse', 'HEAD');
    const short = git(root, 'rev-parse', '--short', 'HEAD');
    const tag = `wine-quality:${short}`;

    // The lens on the Dockerfile's first line runs the same command.
    const document = await vscode.workspace.openTextDocument(dockerfile);
    const lenses = await waitFor('the Build Image lens', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri);
      return found?.some((l) => l.command?.command === 'mlops.buildImage') ? found : undefined;
    });
    const lens = lenses.find((l) => l.command?.command === 'mlops.buildImage');
    assert.equal(lens?.range.start.line, 0);
    assert.match(lens?.command?.title ?? '', /Build Image/);

    const built = (await vscode.commands.executeCommand('mlops.buildImage', { dockerfile, interactive: false })) as
      { imageId: string; tags: string[]; context: { files: number } } | undefined;
    assert.ok(built, 'the build returned an image (see the MLOps output channel)');
    assert.deepEqual(built.tags, [tag, 'wine-quality:latest'], 'default tags are the commit and latest');
    assert.equal(built.context.files, 3, 'the context holds Dockerfile, .dockerignore and model.txt, not ignored.txt');

    const shown = await waitFor('the image in the Images view', async () => {
      const current = await snapshot();
      return current.details.find((d) => d.tags.includes(tag));
    });
    assert.equal(shown.commit, commit, 'the view shows the commit from the revision label');
    assert.ok(shown.builtHere);
    assert.ok(shown.tags.includes('wine-quality:latest'));
    assert.match(String(shown.description), new RegExp(commit.slice(0, 7)));

    await vscode.commands.executeCommand('mlops.addRegistry', { address: registry, kind: 'generic' });
    try {
      const pushed = await vscode.commands.executeCommand('mlops.pushImage', { reference: tag, registry, interactive: false });
      assert.equal(pushed, `${registry}/${tag}`);
      const listed = (await (await fetch(`http://${registry}/v2/wine-quality/tags/list`)).json()) as { tags?: string[] };
      assert.ok(listed.tags?.includes(short), `the registry lists ${short}: ${JSON.stringify(listed)}`);

      const inRegistry = await waitFor('the pushed tag under the registry in the Images view', async () => {
        const current = await snapshot();
        const entry = current.registries.find((r) => r.address === registry);
        return entry?.repositories.find((r) => r.name === 'wine-quality' && r.tags.includes(short));
      });
      assert.ok(inRegistry.tags.includes(short));
    } finally {
      await vscode.commands.executeCommand('mlops.removeRegistry', { kind: 'registry', registry: { address: registry, kind: 'generic' } });
      for (const detail of (await snapshot()).details.filter((d) => d.id === shown.id)) {
        await vscode.commands.executeCommand('mlops.removeImage', { kind: 'image', image: detail }, { confirm: false });
      }
    }
    await waitFor('the removed image to leave the view', async () => !(await snapshot()).details.some((d) => d.id === shown.id));
  });

  it('an engine that does not answer: the view says where it was looked for', async function () {
    this.timeout(60_000);
    await activateExtension();
    const config = vscode.workspace.getConfiguration('mlops.docker');
    const socket = join(workspaceRoot().fsPath, 'no-engine.sock');
    await config.update('host', `unix://${socket}`, vscode.ConfigurationTarget.Workspace);
    try {
      const message = await waitFor('the unreachable message', async () => {
        const current = await snapshot();
        return current.message?.startsWith('Docker Engine is not reachable') ? current.message : undefined;
      });
      assert.ok(message.startsWith(`Docker Engine is not reachable at unix://${socket}`), message);
    } finally {
      await config.update('host', undefined, vscode.ConfigurationTarget.Workspace);
    }
    if (process.env.DOCKER_HOST) {
      await waitFor('the view to reach the engine again', async () => ((await snapshot()).message === undefined ? true : undefined));
    }
  });

  it('a failing step becomes a diagnostic on its Dockerfile line', async function () {
    this.timeout(120_000);
    if (!process.env.DOCKER_HOST) {
      if (process.env.CI === 'true') assert.fail('the Images test needs DOCKER_HOST from the launcher in CI');
      this.skip();
    }
    await activateExtension();
    const folder = join(workspaceRoot().fsPath, 'image-test', 'broken');
    mkdirSync(folder, { recursive: true });
    const dockerfile = join(folder, 'Dockerfile');
    writeFileSync(dockerfile, 'FROM scratch\n# the file below is not in the context\nCOPY missing.txt /missing.txt\n');
    // The command shows the failure as an error notification and waits on it, so it is not awaited.
    void vscode.commands.executeCommand('mlops.buildImage', { dockerfile, interactive: false, tags: ['mlops-broken:test'] });
    const diagnostic = await waitFor(
      'the build diagnostic',
      () => vscode.languages.getDiagnostics(vscode.Uri.file(dockerfile)).find((d) => d.source === 'docker build'),
      60_000,
    );
    assert.equal(diagnostic.range.start.line, 2, 'on the COPY line, not the comment');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.match(diagnostic.message, /missing\.txt/);
  });
});
