import * as vscode from 'vscode';
import { PushCancelledError, PushError, pushImage, tagImage, type LayerProgress } from '../../core/docker/imagePush';
import { parseReference, referenceForRegistry } from '../../core/docker/imageTags';
import { listLocalImages } from '../../core/docker/localImages';
import { registryHost, type RegistryCredentials } from '../../core/docker/registryCredentials';
import { output, showError } from '../output';
import { showEngineProblem, type DockerEngine } from './dockerEngine';
import { dockerSettings, type RegistrySetting } from './dockerSettings';
import { ecrCredentials } from './ecrCredentials';
import type { RegistryCredentialStore } from './registryCredentialStore';

/** "Push Image": pick the image and the registry, tag it for the registry, push with per-layer progress. */
export interface PushCommandOptions {
  reference?: string;
  /** A registry address from the settings, or "as-is" to push to the registry the reference names. */
  registry?: string;
  interactive?: boolean;
}

export function summariseLayers(layers: ReadonlyMap<string, LayerProgress>): string {
  let done = 0;
  let current = 0;
  let total = 0;
  for (const layer of layers.values()) {
    if (/^(Pushed|Layer already exists|Mounted from)/.test(layer.status)) done++;
    if (layer.total) {
      total += layer.total;
      current += layer.status === 'Pushed' ? layer.total : (layer.current ?? 0);
    }
  }
  const percent = total > 0 ? ` (${Math.round((current / total) * 100)}%)` : '';
  return `${done}/${layers.size} layers pushed${percent}`;
}

export class PushCommand {
  constructor(
    private readonly engine: DockerEngine,
    private readonly credentials: RegistryCredentialStore,
    private readonly pushed: () => void,
  ) {}

  async run(arg?: string | { reference?: string } | PushCommandOptions): Promise<string | undefined> {
    const options: PushCommandOptions = typeof arg === 'string' ? { reference: arg } : (arg ?? {});
    const interactive = options.interactive !== false;
    let engine;
    try {
      engine = await this.engine.connect();
    } catch (error) {
      if (await showEngineProblem(error)) return this.run(options);
      return undefined;
    }
    let reference = options.reference;
    if (!reference) {
      const images = await listLocalImages(engine.docker, false);
      const picked = await vscode.window.showQuickPick(
        images.flatMap((image) => image.tags.map((tag) => ({ label: tag }))),
        { title: 'Push Image', placeHolder: images.length ? 'Which image?' : 'No images built by MLOps Workbench yet' },
      );
      reference = picked?.label;
    }
    if (!reference) return undefined;

    const settings = dockerSettings();
    let registry: RegistrySetting | undefined;
    const own = parseReference(reference).registry;
    if (options.registry) {
      registry =
        options.registry === 'as-is'
          ? undefined
          : settings.registries.find((r) => registryHost(r.address) === registryHost(options.registry ?? ''));
    } else if (interactive) {
      const items: (vscode.QuickPickItem & { registry?: RegistrySetting; add?: boolean })[] = [
        ...settings.registries.map((r) => ({
          label: r.address,
          description: [r.kind, r.namespace].filter(Boolean).join(' · '),
          registry: r,
        })),
        { label: `As named (${own})`, description: reference },
        { label: '$(add) Add Registry…', add: true },
      ];
      const picked = await vscode.window.showQuickPick(items, { title: `Push ${reference}`, placeHolder: 'To which registry?' });
      if (!picked) return undefined;
      if (picked.add) {
        await vscode.commands.executeCommand('mlops.addRegistry');
        return this.run({ ...options, reference });
      }
      registry = picked.registry;
    }
    const target = registry ? referenceForRegistry(reference, registryHost(registry.address), registry.namespace) : reference;
    const host = parseReference(target).registry;
    try {
      await tagImage(engine.docker, reference, target);
    } catch (error) {
      await showError(`The image ${reference} could not be tagged as ${target}: check that it still exists.`, error);
      return undefined;
    }

    let credentials: RegistryCredentials | undefined;
    try {
      credentials = registry?.kind === 'ecr' ? await ecrCredentials(registry) : await this.credentials.get(host);
    } catch (error) {
      await showError((error as Error).message, error);
      return undefined;
    }
    output.info(`Pushing ${target}${credentials ? ` with credentials from ${credentials.from}` : ' without credentials'}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Pushing ${target}`, cancellable: true },
          (progress, token) => {
            const controller = new AbortController();
            token.onCancellationRequested(() => controller.abort());
            return pushImage(
              engine.docker,
              engine.where,
              target,
              credentials,
              { log: (text) => output.get().append(text), layer: (_layer, all) => progress.report({ message: summariseLayers(all) }) },
              controller.signal,
            );
          },
        );
        output.info(`Pushed ${result.reference}${result.digest ? ` (${result.digest})` : ''}`);
        this.pushed();
        if (interactive) void vscode.window.showInformationMessage(`Pushed ${result.reference}.`);
        return result.reference;
      } catch (error) {
        if (error instanceof PushCancelledError) {
          void vscode.window.showInformationMessage(error.message);
          return undefined;
        }
        if (error instanceof PushError && error.kind === 'unauthorized' && interactive && registry?.kind !== 'ecr') {
          output.error(`${error.message}\n${error.detail}`);
          credentials = await this.credentials.prompt(host, `${host} did not accept the credentials: sign in again.`);
          if (credentials) continue;
          return undefined;
        }
        if (error instanceof PushError) {
          await showError(error.message, error.detail);
          return undefined;
        }
        if (await showEngineProblem(error)) return this.run(options);
        await showError(`The push of ${target} failed: see the output for the engine’s answer.`, error);
        return undefined;
      }
    }
    return undefined;
  }
}
