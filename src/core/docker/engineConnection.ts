import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';

/**
 * Where the Docker Engine is, decided as the docker CLI decides it: an explicit host (setting or
 * `--host`), then `DOCKER_HOST` (unix, tcp with TLS from `DOCKER_CERT_PATH`/`DOCKER_TLS_VERIFY`,
 * ssh), then the Docker context (`DOCKER_CONTEXT` or `currentContext` in `~/.docker/config.json`),
 * then the default socket, then Podman's Docker-compatible socket.
 */
export interface EngineEndpoint {
  options: Docker.DockerOptions;
  /** Shown to people: "unix:///var/run/docker.sock", "tcp://host:2376", "context remote (ssh://…)". */
  where: string;
}

export interface EngineEnvironment {
  env: Record<string, string | undefined>;
  home: string;
  /** An explicit host, e.g. the `mlops.docker.host` setting. */
  host?: string;
  /** An explicit context name, e.g. the `mlops.docker.context` setting. */
  context?: string;
}

export function defaultEngineEnvironment(overrides: Partial<EngineEnvironment> = {}): EngineEnvironment {
  return { env: process.env, home: homedir(), ...overrides };
}

export class EngineConfigError extends Error {}

export function resolveEngine(environment: EngineEnvironment = defaultEngineEnvironment()): EngineEndpoint {
  const { env, home } = environment;
  const explicit = environment.host?.trim();
  if (explicit) return fromHost(explicit, tlsFromEnv(env));
  const dockerHost = env.DOCKER_HOST?.trim();
  if (dockerHost) return fromHost(dockerHost, tlsFromEnv(env));
  const contextName = environment.context?.trim() || env.DOCKER_CONTEXT?.trim() || currentContext(home, env);
  if (contextName && contextName !== 'default') {
    const endpoint = fromContext(contextName, home, env);
    return { ...endpoint, where: `context ${contextName} (${endpoint.where})` };
  }
  const defaultSocket = '/var/run/docker.sock';
  if (!existsSync(defaultSocket)) {
    const runtime = env.XDG_RUNTIME_DIR ?? (typeof process.getuid === 'function' ? `/run/user/${process.getuid()}` : undefined);
    for (const podman of [runtime ? join(runtime, 'podman', 'podman.sock') : undefined, '/run/podman/podman.sock']) {
      if (podman && existsSync(podman)) return { options: { socketPath: podman }, where: `unix://${podman}` };
    }
  }
  return { options: { socketPath: defaultSocket }, where: `unix://${defaultSocket}` };
}

interface Tls {
  verify: boolean;
  certPath?: string;
  skipVerify?: boolean;
}

function tlsFromEnv(env: Record<string, string | undefined>): Tls {
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  return { verify, certPath: env.DOCKER_CERT_PATH || undefined };
}

function fromHost(host: string, tls: Tls): EngineEndpoint {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new EngineConfigError(`The Docker host "${host}" is not a valid address: use unix:///path, tcp://host:port or ssh://user@host.`);
  }
  switch (url.protocol) {
    case 'unix:':
      return { options: { socketPath: decodeURIComponent(url.pathname) }, where: host };
    case 'npipe:':
      return { options: { socketPath: host.replace(/^npipe:\/\//, '') }, where: host };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const secure = url.protocol === 'https:' || tls.verify || tls.certPath !== undefined;
      const port = url.port || (secure ? '2376' : '2375');
      const options: Docker.DockerOptions = { host: url.hostname, port, protocol: secure ? 'https' : 'http' };
      if (secure && tls.certPath) {
        const read = (name: string): Buffer | undefined => {
          const file = join(tls.certPath as string, name);
          return existsSync(file) ? readFileSync(file) : undefined;
        };
        options.ca = read('ca.pem');
        options.cert = read('cert.pem');
        options.key = read('key.pem');
      }
      return { options, where: `${secure ? 'tcp+tls' : 'tcp'}://${url.hostname}:${port}` };
    }
    case 'ssh:':
      return {
        options: {
          protocol: 'ssh',
          host: url.hostname,
          port: url.port || '22',
          username: url.username ? decodeURIComponent(url.username) : undefined,
          sshOptions: { agent: process.env.SSH_AUTH_SOCK },
        },
        where: `ssh://${url.username ? `${url.username}@` : ''}${url.hostname}${url.port ? `:${url.port}` : ''}`,
      };
    default:
      throw new EngineConfigError(`The Docker host "${host}" uses an unsupported scheme: use unix://, tcp:// or ssh://.`);
  }
}

function configDir(home: string, env: Record<string, string | undefined>): string {
  return env.DOCKER_CONFIG || join(home, '.docker');
}

function currentContext(home: string, env: Record<string, string | undefined>): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(configDir(home, env), 'config.json'), 'utf8')) as { currentContext?: unknown };
    return typeof config.currentContext === 'string' ? config.currentContext : undefined;
  } catch {
    return undefined;
  }
}

/** A Docker context: `contexts/meta/<sha256(name)>/meta.json`, TLS files in `contexts/tls/<sha256(name)>/docker/`. */
function fromContext(name: string, home: string, env: Record<string, string | undefined>): EngineEndpoint {
  const id = createHash('sha256').update(name).digest('hex');
  const base = join(configDir(home, env), 'contexts');
  let meta: { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } };
  try {
    meta = JSON.parse(readFileSync(join(base, 'meta', id, 'meta.json'), 'utf8')) as typeof meta;
  } catch {
    throw new EngineConfigError(
      `The Docker context "${name}" was not found: run "docker context ls" to see the contexts, or pick another one.`,
    );
  }
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new EngineConfigError(`The Docker context "${name}" has no Docker endpoint: run "docker context inspect ${name}".`);
  const tlsDir = join(base, 'tls', id, 'docker');
  const hasTls = existsSync(join(tlsDir, 'ca.pem')) || existsSync(join(tlsDir, 'cert.pem'));
  return fromHost(host, { verify: hasTls && !meta.Endpoints?.docker?.SkipTLSVerify, certPath: hasTls ? tlsDir : undefined });
}

export function connectEngine(endpoint: EngineEndpoint): Docker {
  return new Docker(endpoint.options);
}

/** The one sentence for a daemon that does not answer. */
export function unreachableSentence(where: string): string {
  return `Docker Engine is not reachable at ${where}: start it (or Podman's socket), or point DOCKER_HOST or the mlops.docker.host setting at a running engine.`;
}

export class EngineUnreachableError extends Error {
  constructor(
    readonly where: string,
    readonly detail: unknown,
  ) {
    super(unreachableSentence(where));
  }
}

/** Pings the engine; throws `EngineUnreachableError` with the one sentence when it does not answer. */
export async function pingEngine(docker: Docker, where: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new EngineUnreachableError(where, error);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * The engine connection a long-lived caller keeps (the extension for the window's lifetime): the
 * endpoint is resolved on first use and kept, and resolved again when the engine stops answering,
 * so an engine that was restarted, or moved (its socket gone and Podman's answering instead), is
 * found again without a reload. dockerode opens a new connection per request (no keep-alive
 * agent), so the kept client holds no socket that a restarted daemon would have left dead.
 */
export class EngineConnection {
  private current: { docker: Docker; where: string } | undefined;

  constructor(
    private readonly environment: () => EngineEnvironment = () => defaultEngineEnvironment(),
    private readonly timeoutMs = 5000,
  ) {}

  /** Where the engine is expected (for messages), without connecting. */
  where(): string {
    try {
      return this.endpoint().where;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Forgets the endpoint (the settings that choose it changed). */
  reset(): void {
    this.current = undefined;
  }

  private endpoint(): { docker: Docker; where: string } {
    if (!this.current) {
      const endpoint = resolveEngine(this.environment());
      this.current = { docker: connectEngine(endpoint), where: endpoint.where };
    }
    return this.current;
  }

  /** A connected engine, or throws `EngineUnreachableError`/`EngineConfigError` with the one sentence. */
  async connect(): Promise<{ docker: Docker; where: string }> {
    const endpoint = this.endpoint();
    try {
      await pingEngine(endpoint.docker, endpoint.where, this.timeoutMs);
      return endpoint;
    } catch (error) {
      // Resolve again: what was found at first may no longer be where the engine is. The same
      // address keeps the same client (it holds no connection, so a restarted engine just answers).
      this.current = undefined;
      const again = this.endpoint();
      if (again.where === endpoint.where) {
        this.current = endpoint;
        throw error;
      }
      await pingEngine(again.docker, again.where, this.timeoutMs);
      return again;
    }
  }
}

/** Whether an error from dockerode means the engine itself could not be reached. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ENOENT' ||
    code === 'EACCES' ||
    code === 'ECONNRESET' ||
    code === 'EHOSTUNREACH' ||
    code === 'ETIMEDOUT'
  );
}
