import type Docker from 'dockerode';
import { JsonMessageSplitter } from './buildProgress';
import { EngineUnreachableError, isConnectionError } from './engineConnection';
import { formatReference, parseReference } from './imageTags';
import { engineAuthConfig, type RegistryCredentials } from './registryCredentials';

/** Pushes a local image through the Engine API, with per-layer progress and one sentence per failure. */
export interface LayerProgress {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export interface PushListener {
  log?(text: string): void;
  layer?(layer: LayerProgress, all: ReadonlyMap<string, LayerProgress>): void;
}

export interface PushResult {
  reference: string;
  digest?: string;
}

export type PushFailureKind = 'unauthorized' | 'denied' | 'not-found' | 'unreachable' | 'no-image' | 'other';

export class PushError extends Error {
  constructor(
    readonly kind: PushFailureKind,
    message: string,
    readonly detail: string,
  ) {
    super(message);
  }
}

export class PushCancelledError extends Error {
  constructor() {
    super('The image push was cancelled.');
  }
}

/** Turns the engine's push error text into what happened and what to do. Never includes secrets. */
export function classifyPushError(detail: string, registry: string, repository: string): PushError {
  const text = detail.toLowerCase();
  if (/unauthorized|authentication required|no basic auth credentials|incorrect username or password|401/.test(text)) {
    return new PushError(
      'unauthorized',
      `The registry ${registry} did not accept the credentials: sign in again with a user name and a password or access token that may push.`,
      detail,
    );
  }
  if (/denied|forbidden|403/.test(text)) {
    return new PushError(
      'denied',
      `The registry ${registry} denied the push to ${repository}: check that your account may push to this repository.`,
      detail,
    );
  }
  if (/tag does not exist|no such image|an image does not exist locally/.test(text)) {
    return new PushError('no-image', `There is no local image ${repository}: build it first, or check the name and tag.`, detail);
  }
  if (/name unknown|repository .* not found|does not exist|not found|404/.test(text)) {
    return new PushError(
      'not-found',
      `The repository ${repository} was not found on ${registry}: create it there first (ECR and some registries do not create repositories on push).`,
      detail,
    );
  }
  if (
    /connection refused|no such host|i\/o timeout|timeout|eof|connection reset|broken pipe|network is unreachable|dial tcp|server gave http response/.test(
      text,
    )
  ) {
    return new PushError(
      'unreachable',
      `The registry ${registry} is not reachable: check its address and that it is running, then push again.`,
      detail,
    );
  }
  return new PushError('other', `The push to ${registry} failed: ${detail.split('\n')[0]?.slice(0, 300)}`, detail);
}

export async function pushImage(
  docker: Docker,
  where: string,
  reference: string,
  credentials: RegistryCredentials | undefined,
  listener: PushListener = {},
  signal?: AbortSignal,
): Promise<PushResult> {
  const ref = parseReference(reference);
  const name = formatReference(ref);
  const repositoryName = name.slice(0, name.length - ref.tag.length - 1);
  const layers = new Map<string, LayerProgress>();
  let digest: string | undefined;
  let failure: string | undefined;
  const options: Record<string, unknown> = { tag: ref.tag, abortSignal: signal };
  const auth = engineAuthConfig(ref.registry, credentials);
  // An engine or registry may echo what it was sent; nothing it says reaches a message or log unredacted.
  const hide = redactor(credentials, auth);
  // An empty auth header makes the engine use no credentials (open registries).
  options.authconfig = auth ?? { serveraddress: ref.registry };
  let response: NodeJS.ReadableStream;
  try {
    response = (await docker.getImage(repositoryName).push(options)) as NodeJS.ReadableStream;
  } catch (error) {
    if (signal?.aborted) throw new PushCancelledError();
    if (isConnectionError(error)) throw new EngineUnreachableError(where, error);
    const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
    throw classifyPushError(hide(String(message)), ref.registry, repositoryName);
  }
  const splitter = new JsonMessageSplitter();
  const take = (messages: ReturnType<JsonMessageSplitter['push']>): void => {
    for (const m of messages) {
      if (m.error !== undefined || m.errorDetail?.message !== undefined) {
        failure = hide(String(m.errorDetail?.message ?? m.error));
        listener.log?.(`ERROR: ${failure}\n`);
        continue;
      }
      const aux = m.aux as { Digest?: string } | undefined;
      if (aux?.Digest) digest = aux.Digest;
      if (m.id && m.status && /^[0-9a-f]{12}$/.test(m.id)) {
        const layer: LayerProgress = { id: m.id, status: m.status, current: m.progressDetail?.current, total: m.progressDetail?.total };
        layers.set(m.id, layer);
        listener.layer?.(layer, layers);
      }
      if (m.status) listener.log?.(hide(`${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`));
    }
  };
  await new Promise<void>((resolve, reject) => {
    response.on('data', (chunk: Buffer) => take(splitter.push(chunk)));
    response.on('end', () => {
      take(splitter.end());
      resolve();
    });
    response.on('error', reject);
    response.on('close', () => (signal?.aborted ? reject(new PushCancelledError()) : undefined));
  }).catch((error: unknown) => {
    if (signal?.aborted) throw new PushCancelledError();
    throw error;
  });
  if (signal?.aborted) throw new PushCancelledError();
  if (failure !== undefined) throw classifyPushError(failure, ref.registry, repositoryName);
  return { reference: name, digest };
}

/**
 * Replaces every form of the credentials we sent (the password or token itself, `user:password`,
 * the auth JSON and its base64 header form) with `***`.
 */
export function redactor(credentials: RegistryCredentials | undefined, auth: Record<string, string> | undefined): (text: string) => string {
  const secrets = new Set<string>();
  const add = (value: string | undefined): void => {
    if (value && value.length >= 3) secrets.add(value);
  };
  add(credentials?.password);
  add(credentials?.identityToken);
  if (credentials?.username !== undefined && credentials.password) {
    const pair = `${credentials.username}:${credentials.password}`;
    add(pair);
    add(Buffer.from(pair).toString('base64'));
  }
  if (auth) {
    const json = JSON.stringify(auth);
    add(json);
    add(Buffer.from(json).toString('base64'));
    add(Buffer.from(json).toString('base64url'));
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join('***'), text);
}

/** Gives a local image a second name (for pushing to another registry); no-op when it already has it. */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  if (source === target) return;
  const ref = parseReference(target);
  const name = formatReference(ref);
  await docker.getImage(source).tag({ repo: name.slice(0, name.length - ref.tag.length - 1), tag: ref.tag });
}
