import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { BuildCancelledError, BuildError, buildImage, type BuildResult } from '../../core/docker/imageBuild';
import { dockerfileInstructions } from '../../core/docker/dockerfileInstructions';
import { defaultTags, imageLabels, parseReference, projectImageName, readGitState } from '../../core/docker/imageTags';
import { output, showError } from '../output';
import { showEngineProblem, type DockerEngine } from './dockerEngine';
import { dockerSettings } from './dockerSettings';

/** What a caller (a test, the Runs view, a CodeLens) can decide instead of being asked. */
export interface BuildCommandOptions {
  dockerfile?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  platform?: string;
  noCache?: boolean;
  pull?: boolean;
  /** The run and stage the image packages, when built from a run. */
  run?: string;
  stage?: string;
  /** false: take defaults and never prompt. */
  interactive?: boolean;
}

interface RememberedBuild {
  tags?: string[];
  buildArgs?: string;
  target?: string;
  platform?: string;
  noCache?: boolean;
  pull?: boolean;
}

const DOCKERFILE_GLOB = '**/{Dockerfile,Containerfile,*.Dockerfile,*.dockerfile,Dockerfile.*,Containerfile.*}';

export function isDockerfileName(name: string): boolean {
  return /^(Dockerfile|Containerfile)(\..+)?$/.test(name) || /\.[Dd]ockerfile$/.test(name);
}

export class BuildCommand {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: DockerEngine,
    private readonly diagnostics: vscode.DiagnosticCollection,
    private readonly built: () => void,
  ) {}

  private async pickDockerfile(): Promise<string | undefined> {
    const found = await vscode.workspace.findFiles(DOCKERFILE_GLOB, '**/{node_modules,.venv,.git,.dvc}/**', 200);
    if (found.length === 0) {
      await vscode.window.showErrorMessage('No Dockerfile or Containerfile was found in this workspace: add one, then build again.');
      return undefined;
    }
    if (found.length === 1) return found[0]?.fsPath;
    const last = this.context.workspaceState.get<string>('mlops.docker.lastDockerfile');
    const items = found
      .map((uri) => ({
        label: vscode.workspace.asRelativePath(uri),
        description: uri.fsPath === last ? 'last built' : undefined,
        path: uri.fsPath,
      }))
      .sort((a, b) => (a.path === last ? -1 : b.path === last ? 1 : a.label.localeCompare(b.label)));
    const picked = await vscode.window.showQuickPick(items, { title: 'Build Image', placeHolder: 'Which Dockerfile?' });
    return picked?.path;
  }

  async run(arg?: vscode.Uri | BuildCommandOptions): Promise<BuildResult | undefined> {
    const options: BuildCommandOptions = arg instanceof vscode.Uri ? { dockerfile: arg.fsPath } : (arg ?? {});
    const interactive = options.interactive !== false;
    let dockerfile = options.dockerfile;
    if (!dockerfile) {
      const active = vscode.window.activeTextEditor?.document.uri;
      dockerfile =
        active?.scheme === 'file' && isDockerfileName(active.path.split('/').pop() ?? '') ? active.fsPath : await this.pickDockerfile();
    }
    if (!dockerfile) return undefined;
    await this.context.workspaceState.update('mlops.docker.lastDockerfile', dockerfile);

    // Before any prompt: a person should not fill in tags for an engine that is not there.
    let engine;
    try {
      engine = await this.engine.connect();
    } catch (error) {
      if (await showEngineProblem(error)) return this.run({ ...options, dockerfile });
      return undefined;
    }

    const settings = dockerSettings();
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dockerfile))?.uri.fsPath ?? dirname(dockerfile);
    const contextDir = settings.buildContext
      ? isAbsolute(settings.buildContext)
        ? settings.buildContext
        : join(folder, settings.buildContext)
      : dirname(dockerfile);
    const rememberedKey = `mlops.docker.build:${dockerfile}`;
    const remembered = this.context.workspaceState.get<RememberedBuild>(rememberedKey) ?? {};
    const git = await readGitState(contextDir).catch(() => undefined);
    const suggested = defaultTags(projectImageName(folder), git);

    let tags = options.tags ?? suggested;
    let buildArgs: Record<string, string> = { ...settings.buildArgs, ...(options.buildArgs ?? {}) };
    let target = options.target ?? remembered.target;
    if (interactive && !options.tags) {
      const text = await vscode.window.showInputBox({
        title: 'Build Image: tags',
        prompt: 'Image tags, separated by commas',
        value: suggested.join(', '),
        ignoreFocusOut: true,
        validateInput: (value) => {
          for (const tag of value
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)) {
            try {
              parseReference(tag);
            } catch (error) {
              return (error as Error).message;
            }
          }
          return value.trim() ? undefined : 'Give at least one tag.';
        },
      });
      if (text === undefined) return undefined;
      tags = text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const stages = dockerfileStages(dockerfile);
      if (!options.target && stages.length > 1) {
        const picked = await vscode.window.showQuickPick(
          stages.map((s, i) => ({ label: s, description: i === stages.length - 1 ? 'final stage' : undefined })),
          { title: 'Build Image: target stage', placeHolder: target ?? stages[stages.length - 1] },
        );
        if (!picked) return undefined;
        target = picked.label === stages[stages.length - 1] ? undefined : picked.label;
      }
      if (!options.buildArgs) {
        const argsText = await vscode.window.showInputBox({
          title: 'Build Image: build arguments',
          prompt: 'KEY=VALUE pairs separated by commas (empty for none); mlops.docker.buildArgs adds defaults',
          value: remembered.buildArgs ?? '',
          ignoreFocusOut: true,
        });
        if (argsText === undefined) return undefined;
        for (const pair of argsText
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean)) {
          const eq = pair.indexOf('=');
          if (eq > 0) buildArgs = { ...buildArgs, [pair.slice(0, eq)]: pair.slice(eq + 1) };
        }
        remembered.buildArgs = argsText;
      }
      if (options.noCache === undefined && options.pull === undefined && options.platform === undefined) {
        const chosen = await pickBuildOptions(remembered);
        if (!chosen) return undefined;
        Object.assign(remembered, chosen);
      }
    }
    await this.context.workspaceState.update(rememberedKey, { ...remembered, tags, target });

    const labels = imageLabels({ git, run: options.run, stage: options.stage });
    const uri = vscode.Uri.file(dockerfile);
    this.diagnostics.delete(uri);
    output.info(`Building ${vscode.workspace.asRelativePath(dockerfile)} in ${contextDir} as ${tags.join(', ')} on ${engine.where}`);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Building ${tags[0] ?? 'image'}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          let lastUpload = 0;
          return buildImage(
            engine.docker,
            engine.where,
            {
              context: contextDir,
              dockerfile,
              tags,
              labels,
              buildArgs,
              target,
              platform: options.platform ?? remembered.platform,
              noCache: options.noCache ?? remembered.noCache,
              pull: options.pull ?? remembered.pull,
            },
            {
              log: (text) => output.get().append(text),
              step: (s) => progress.report({ message: `step ${s.step}/${s.total}: ${s.instruction}` }),
              upload: (bytes) => {
                if (bytes - lastUpload > 8 << 20) {
                  lastUpload = bytes;
                  progress.report({ message: `sending context: ${(bytes / 1e6).toFixed(0)} MB` });
                }
              },
            },
            controller.signal,
          );
        },
      );
      output.info(
        `Built ${result.imageId} as ${result.tags.join(', ')} (context: ${result.context.files} files, ${result.context.bytes} bytes)`,
      );
      this.built();
      if (interactive) {
        void vscode.window.showInformationMessage(`Built ${result.tags.join(', ')}.`, 'Push').then((choice) => {
          if (choice === 'Push') void vscode.commands.executeCommand('mlops.pushImage', result.tags[0]);
        });
      }
      return result;
    } catch (error) {
      if (error instanceof BuildCancelledError) {
        output.info('The build was cancelled.');
        void vscode.window.showInformationMessage(error.message);
        return undefined;
      }
      if (error instanceof BuildError) {
        if (error.line !== undefined) {
          const range = new vscode.Range(error.line, 0, error.endLine ?? error.line, Number.MAX_SAFE_INTEGER);
          const diagnostic = new vscode.Diagnostic(range, error.detail.split('\n')[0] ?? error.message, vscode.DiagnosticSeverity.Error);
          diagnostic.source = 'docker build';
          this.diagnostics.set(uri, [diagnostic]);
        }
        await showError(error.message, error.detail);
        return undefined;
      }
      if (await showEngineProblem(error)) return this.run(options);
      await showError('The image build failed: see the output for the engine’s answer.', error);
      return undefined;
    }
  }
}

/** No cache, pull and platform, starting from what was chosen last time for this Dockerfile. */
async function pickBuildOptions(remembered: RememberedBuild): Promise<Pick<RememberedBuild, 'noCache' | 'pull' | 'platform'> | undefined> {
  type Item = vscode.QuickPickItem & { key: 'noCache' | 'pull' | 'platform' };
  const items: Item[] = [
    { key: 'noCache', label: 'No cache', description: 'build every step again', picked: remembered.noCache === true },
    { key: 'pull', label: 'Pull', description: 'always pull newer base images', picked: remembered.pull === true },
    {
      key: 'platform',
      label: 'Platform…',
      description: remembered.platform ? remembered.platform : 'the engine’s own platform',
      picked: Boolean(remembered.platform),
    },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Build Image: options',
    placeHolder: 'Press Enter to build with the checked options',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  const has = (key: Item['key']): boolean => picked.some((i) => i.key === key);
  let platform: string | undefined;
  if (has('platform')) {
    const text = await vscode.window.showInputBox({
      title: 'Build Image: platform',
      prompt: 'Target platform, like linux/amd64 or linux/arm64',
      value: remembered.platform ?? 'linux/amd64',
      ignoreFocusOut: true,
      validateInput: (v) => (/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(v.trim()) ? undefined : 'Use os/arch, like linux/amd64.'),
    });
    if (text === undefined) return undefined;
    platform = text.trim();
  }
  return { noCache: has('noCache'), pull: has('pull'), platform };
}

/** Stage names of a multi-stage Dockerfile, in order (unnamed stages by index). */
function dockerfileStages(path: string): string[] {
  try {
    const text = readFileSync(path, 'utf8');
    return dockerfileInstructions(text)
      .filter((i) => i.keyword === 'FROM')
      .map((i, index) => /\s+AS\s+(\S+)\s*$/i.exec(i.text)?.[1] ?? String(index));
  } catch {
    return [];
  }
}
