import * as vscode from 'vscode';
import { parsePorts, type LocalImage } from '../../core/docker/localImages';
import { registryHost } from '../../core/docker/registryCredentials';
import { registerCommands } from '../commands';
import { output, showError } from '../output';
import type { Services } from '../services';
import { ImagesView, type ImagesNode } from '../views/imagesView';
import { BuildCommand, isDockerfileName, type BuildCommandOptions } from './buildCommand';
import { DockerEngine, showEngineProblem } from './dockerEngine';
import { dockerSettings, saveRegistries, type RegistryKind, type RegistrySetting } from './dockerSettings';
import { PushCommand, type PushCommandOptions } from './pushCommand';
import { RegistryCredentialStore } from './registryCredentialStore';

/** A "Build Image" lens on the first line of every Dockerfile. */
class DockerfileCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isDockerfileName(document.uri.path.split('/').pop() ?? '')) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    return [new vscode.CodeLens(range, { title: '$(package) Build Image', command: 'mlops.buildImage', arguments: [document.uri] })];
  }
}

function imageOf(node: unknown): LocalImage | undefined {
  return (node as ImagesNode | undefined)?.kind === 'image' ? (node as { image: LocalImage }).image : undefined;
}

function referenceOf(node: unknown): string | undefined {
  const n = node as ImagesNode | undefined;
  if (n?.kind === 'image') return n.image.tags[0] ?? n.image.id;
  if (n?.kind === 'remoteTag') return `${registryHost(n.registry.address)}/${n.repository}:${n.tag}`;
  return typeof node === 'string' ? node : undefined;
}

/** The Images view, image build and push commands, registries and the Dockerfile CodeLens. */
export function registerDocker({ context }: Services): void {
  const engine = new DockerEngine();
  const credentials = new RegistryCredentialStore(context.secrets);
  const diagnostics = vscode.languages.createDiagnosticCollection('docker build');
  const view = new ImagesView(engine, credentials);
  const treeView = vscode.window.createTreeView('mlops.images', { treeDataProvider: view, showCollapseAll: true });
  view.treeView = treeView;
  const build = new BuildCommand(context, engine, diagnostics, () => view.refresh());
  const push = new PushCommand(engine, credentials, () => view.refresh());
  context.subscriptions.push(
    engine,
    diagnostics,
    view,
    treeView,
    vscode.languages.registerCodeLensProvider(
      [
        { scheme: 'file', pattern: '**/{Dockerfile,Containerfile,*.Dockerfile,*.dockerfile,Dockerfile.*,Containerfile.*}' },
        { language: 'dockerfile', scheme: 'file' },
      ],
      new DockerfileCodeLens(),
    ),
    vscode.workspace.onDidGrantWorkspaceTrust(() => view.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mlops.docker')) view.refresh();
    }),
  );

  const withEngine = async <T>(
    action: (docker: Awaited<ReturnType<DockerEngine['connect']>>['docker']) => Promise<T>,
  ): Promise<T | undefined> => {
    try {
      const { docker } = await engine.connect();
      return await action(docker);
    } catch (error) {
      if (await showEngineProblem(error)) return withEngine(action);
      throw error;
    }
  };

  registerCommands(context, [
    { id: 'mlops.refreshImages', run: () => view.refresh() },
    { id: 'mlops.buildImage', run: (arg?: vscode.Uri | BuildCommandOptions) => build.run(arg), startsProcess: true },
    {
      // From the Runs view: the image records which run (and for built-in runs, which stages) it packages.
      id: 'mlops.buildImageFromRun',
      startsProcess: true,
      run: (node?: { kind?: string; run?: { id: string; source: string; name: string } }) => {
        const run = node?.kind === 'run' ? node.run : undefined;
        if (!run) return build.run();
        return build.run({ run: run.id, stage: run.source === 'workbench' ? run.name : undefined });
      },
    },
    {
      id: 'mlops.pushImage',
      run: (arg?: string | ImagesNode | PushCommandOptions) => push.run(referenceOf(arg) ?? (arg as PushCommandOptions | undefined)),
      startsProcess: true,
    },
    { id: 'mlops.showAllImages', run: () => view.setShowAll(true) },
    { id: 'mlops.showBuiltImages', run: () => view.setShowAll(false) },
    {
      id: 'mlops.copyImageReference',
      run: async (node?: ImagesNode) => {
        const reference = referenceOf(node);
        if (!reference) return;
        await vscode.env.clipboard.writeText(reference);
        void vscode.window.setStatusBarMessage(`Copied ${reference}`, 3000);
      },
    },
    {
      id: 'mlops.removeImage',
      startsProcess: true,
      run: async (node?: ImagesNode, options?: { confirm?: boolean }) => {
        const image = imageOf(node);
        if (!image) return;
        const name = image.tags[0] ?? image.id;
        if (options?.confirm !== false) {
          const choice = await vscode.window.showWarningMessage(
            `Remove the image ${name}${image.tags.length > 1 ? ` and its ${image.tags.length - 1} other tags` : ''}?`,
            { modal: true },
            'Remove',
          );
          if (choice !== 'Remove') return;
        }
        try {
          await withEngine(async (docker) => {
            for (const tag of image.tags.length > 0 ? image.tags : [image.id]) await docker.getImage(tag).remove();
          });
        } catch (error) {
          const conflict = /conflict|being used|has dependent/i.test(String((error as Error).message));
          await showError(
            conflict ? `The image ${name} is used by a container: remove the container first.` : `The image ${name} could not be removed.`,
            error,
          );
        }
        view.refresh();
      },
    },
    {
      id: 'mlops.inspectImage',
      startsProcess: true,
      run: async (node?: ImagesNode) => {
        const reference = referenceOf(node);
        if (!reference) return;
        try {
          const info = await withEngine((docker) => docker.getImage(imageOf(node)?.id ?? reference).inspect());
          const document = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(info, null, 2) });
          await vscode.window.showTextDocument(document, { preview: true });
        } catch (error) {
          await showError(`The image ${reference} could not be inspected: it may have been removed.`, error);
        }
      },
    },
    {
      id: 'mlops.runImage',
      startsProcess: true,
      run: async (node?: ImagesNode, options?: { ports?: string; command?: string[] }) => {
        const reference = referenceOf(node);
        if (!reference) return;
        const ports =
          options?.ports ??
          (await vscode.window.showInputBox({
            title: `Run ${reference}`,
            prompt: 'Ports to publish on 127.0.0.1 (HOST:CONTAINER, comma-separated); empty runs without network',
            ignoreFocusOut: true,
          }));
        if (ports === undefined) return;
        let mapping;
        try {
          mapping = parsePorts(ports);
        } catch (error) {
          await vscode.window.showErrorMessage((error as Error).message);
          return;
        }
        const published = Object.keys(mapping.bindings).length > 0;
        const network = published ? 'bridge' : dockerSettings().runNetwork || 'none';
        try {
          const container = await withEngine(async (docker) => {
            const created = await docker.createContainer({
              Image: reference,
              Cmd: options?.command,
              ExposedPorts: mapping.exposed,
              HostConfig: { NetworkMode: network, PortBindings: mapping.bindings, AutoRemove: false },
              Labels: { 'dev.mlops-workbench.run-of': reference },
            });
            await created.start();
            return created;
          });
          if (!container) return;
          output.info(`Started container ${container.id.slice(0, 12)} from ${reference} (network ${network})`);
          const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
          logs.on('data', (chunk: Buffer) => output.get().append(demux(chunk)));
          output.show();
          return container.id;
        } catch (error) {
          const noBridge = /network bridge not found|network .* not found/i.test(String((error as Error).message));
          await showError(
            noBridge
              ? `The engine has no "${network}" network, so ports cannot be published: run without ports, or set mlops.docker.runNetwork.`
              : `The image ${reference} could not be started: see the output for the engine’s answer.`,
            error,
          );
          return undefined;
        }
      },
    },
    {
      id: 'mlops.addRegistry',
      run: async (preset?: RegistrySetting) => {
        let registry = preset;
        if (!registry) {
          const kinds: { label: string; registryKind: RegistryKind; address?: string }[] = [
            { label: 'Docker Hub', registryKind: 'dockerhub', address: 'docker.io' },
            { label: 'GitHub Container Registry', registryKind: 'ghcr', address: 'ghcr.io' },
            { label: 'AWS ECR', registryKind: 'ecr' },
            { label: 'Other v2 registry (including localhost)', registryKind: 'generic' },
          ];
          const kind = await vscode.window.showQuickPick(kinds, { title: 'Add Registry' });
          if (!kind) return;
          const address =
            kind.address ??
            (await vscode.window.showInputBox({
              title: `Add ${kind.label}`,
              prompt:
                kind.registryKind === 'ecr'
                  ? 'Registry host, like 123456789012.dkr.ecr.eu-west-1.amazonaws.com'
                  : 'Registry host and port, like 127.0.0.1:5000 or registry.example.com',
              ignoreFocusOut: true,
              validateInput: (v) =>
                /^[a-zA-Z0-9.-]+(:\d+)?$/.test(v.trim()) ? undefined : 'Give a host name with an optional port, without http://',
            }));
          if (!address) return;
          const namespace = await vscode.window.showInputBox({
            title: `Add ${kind.label}`,
            prompt:
              kind.registryKind === 'dockerhub' || kind.registryKind === 'ghcr'
                ? 'Your user or organisation name (images are pushed under it)'
                : 'Repository prefix (optional)',
            ignoreFocusOut: true,
          });
          if (namespace === undefined) return;
          registry = { address: address.trim(), kind: kind.registryKind, namespace: namespace.trim() || undefined };
          if (kind.registryKind === 'ecr') {
            const profile = await vscode.window.showInputBox({
              title: 'Add AWS ECR',
              prompt: 'AWS profile (empty: the standard credential chain)',
              ignoreFocusOut: true,
            });
            if (profile === undefined) return;
            registry.awsProfile = profile.trim() || undefined;
          }
        }
        const registries = dockerSettings().registries.filter((r) => registryHost(r.address) !== registryHost(registry.address));
        await saveRegistries([...registries, registry]);
        view.refresh();
      },
    },
    {
      id: 'mlops.removeRegistry',
      run: async (node?: ImagesNode) => {
        if (node?.kind !== 'registry') return;
        await saveRegistries(dockerSettings().registries.filter((r) => registryHost(r.address) !== registryHost(node.registry.address)));
        await credentials.forget(node.registry.address);
        view.refresh();
      },
    },
    {
      id: 'mlops.signInToRegistry',
      run: async (node?: ImagesNode) => {
        if (node?.kind !== 'registry') return;
        if (await credentials.prompt(node.registry.address)) view.refresh();
      },
    },
    // For integration tests: what the Images view shows now, local images and the registries subtree.
    {
      id: 'mlops.imagesViewSnapshot',
      run: async () => {
        const roots = await view.getChildren();
        const registries: { address: string; repositories: { name: string; tags: string[] }[]; messages: string[] }[] = [];
        for (const group of roots) {
          if (group.kind !== 'group' || group.group !== 'registries') continue;
          for (const registry of await view.getChildren(group)) {
            if (registry.kind !== 'registry') continue;
            const entry = {
              address: registry.registry.address,
              repositories: [] as { name: string; tags: string[] }[],
              messages: [] as string[],
            };
            for (const child of await view.getChildren(registry)) {
              if (child.kind === 'message') entry.messages.push(child.text);
              if (child.kind !== 'repository') continue;
              const tags = (await view.getChildren(child)).flatMap((t) => (t.kind === 'remoteTag' ? [t.tag] : []));
              entry.repositories.push({ name: child.repository, tags });
            }
            registries.push(entry);
          }
        }
        return {
          state: view.shownImages.length > 0 ? 'ready' : 'empty',
          message: treeView.message,
          images: view.shownImages.map((i) => i.tags),
          details: view.shownImages.map((i) => ({
            id: i.id,
            tags: i.tags,
            commit: i.commit,
            builtHere: i.builtHere,
            description: view.getTreeItem({ kind: 'image', image: i }).description,
          })),
          registries,
        };
      },
    },
  ]);
}

/** The engine multiplexes stdout/stderr of a non-TTY container in 8-byte-header frames. */
function demux(chunk: Buffer): string {
  let text = '';
  let offset = 0;
  while (offset + 8 <= chunk.length && (chunk[offset] === 1 || chunk[offset] === 2) && chunk[offset + 1] === 0) {
    const size = chunk.readUInt32BE(offset + 4);
    text += chunk.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return offset === 0 ? chunk.toString('utf8') : text;
}
