import { resolve } from 'node:path';
import { UsageError, parseArgs } from './args';
import { EngineConnection, defaultEngineEnvironment } from '../core/docker/engineConnection';
import { buildImage } from '../core/docker/imageBuild';
import { pushImage } from '../core/docker/imagePush';
import { defaultTags, imageLabels, parseReference, projectImageName, readGitState } from '../core/docker/imageTags';
import { credentialsFromDockerConfig, type RegistryCredentials } from '../core/docker/registryCredentials';

export const imageUsage =
  'mlops image build [CONTEXT] [--file F] [--tag T]... [--build-arg K=V]... [--target S] [--platform P] [--no-cache] [--pull] [--json] | ' +
  'mlops image push REF [--username U --password-stdin] [--json]';

/** `mlops image`: build and push container images through the Docker Engine API. */
export async function imageCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'build') return build(rest, out);
  if (sub === 'push') return push(rest, out);
  throw new UsageError(sub === undefined ? 'missing subcommand (build or push)' : `unknown subcommand '${sub}'`);
}

/** The same connection object the extension keeps; throws the one sentence when the engine does not answer. */
function engine(host: string | undefined): ReturnType<EngineConnection['connect']> {
  return new EngineConnection(() => defaultEngineEnvironment({ host })).connect();
}

async function build(argv: string[], out: (text: string) => void): Promise<number> {
  const args = parseArgs(argv, {
    flags: ['no-cache', 'pull', 'json', 'quiet'],
    options: ['file', 'tag', 'build-arg', 'target', 'platform', 'host', 'label'],
  });
  if (args.positionals.length > 1) throw new UsageError('give at most one build context');
  const context = resolve(args.positionals[0] ?? '.');
  const dockerfile = resolve(args.options.get('file')?.[0] ?? resolve(context, 'Dockerfile'));
  const buildArgs: Record<string, string> = {};
  for (const pair of args.options.get('build-arg') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      const fromEnv = process.env[pair];
      if (fromEnv === undefined) throw new UsageError(`--build-arg ${pair} needs a value (K=V), or ${pair} set in the environment`);
      buildArgs[pair] = fromEnv;
    } else buildArgs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const extraLabels: Record<string, string> = {};
  for (const pair of args.options.get('label') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--label ${pair} must be K=V`);
    extraLabels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const git = await readGitState(context);
  const tags = args.options.get('tag') ?? defaultTags(projectImageName(context), git);
  for (const tag of tags) {
    try {
      parseReference(tag);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const labels = { ...imageLabels({ git }), ...extraLabels };
  const { docker, where } = await engine(args.options.get('host')?.[0]);
  const json = args.flags.has('json');
  const quiet = json || args.flags.has('quiet');
  const result = await buildImage(
    docker,
    where,
    {
      context,
      dockerfile,
      tags,
      labels,
      buildArgs,
      target: args.options.get('target')?.[0],
      platform: args.options.get('platform')?.[0],
      noCache: args.flags.has('no-cache'),
      pull: args.flags.has('pull'),
    },
    { log: (text) => (quiet ? undefined : process.stderr.write(text)) },
  );
  if (json) out(JSON.stringify({ image: { id: result.imageId, tags: result.tags, labels } }));
  else out(`built ${result.imageId.replace(/^sha256:/, '').slice(0, 12)} as ${result.tags.join(', ')}`);
  return 0;
}

function readStdin(): Promise<string> {
  return new Promise((resolveText, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d: string) => (text += d));
    process.stdin.on('end', () => resolveText(text.replace(/\r?\n$/, '')));
    process.stdin.on('error', reject);
  });
}

async function push(argv: string[], out: (text: string) => void): Promise<number> {
  const args = parseArgs(argv, { flags: ['password-stdin', 'json', 'quiet'], options: ['username', 'host'] });
  if (args.positionals.length !== 1) throw new UsageError('give exactly one image reference (registry/name:tag)');
  const reference = args.positionals[0] as string;
  let ref;
  try {
    ref = parseReference(reference);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const username = args.options.get('username')?.[0];
  if (args.flags.has('password-stdin') && !username) throw new UsageError('--password-stdin needs --username');
  if (username && !args.flags.has('password-stdin'))
    throw new UsageError('--username needs --password-stdin (a password is never taken on the command line)');
  let credentials: RegistryCredentials | undefined;
  if (username) credentials = { username, password: await readStdin(), from: 'standard input' };
  else credentials = await credentialsFromDockerConfig(ref.registry);
  const { docker, where } = await engine(args.options.get('host')?.[0]);
  const json = args.flags.has('json');
  const quiet = json || args.flags.has('quiet');
  const result = await pushImage(docker, where, reference, credentials, {
    log: (text) => (quiet ? undefined : process.stderr.write(text)),
  });
  if (json) out(JSON.stringify({ pushed: { reference: result.reference, digest: result.digest ?? null } }));
  else out(`pushed ${result.reference}${result.digest ? ` (${result.digest})` : ''}`);
  return 0;
}
