import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Credentials for a registry from the docker CLI's own configuration, so an existing
 * `docker login` just works: `credHelpers` (per registry), `auths` (base64 "user:password" or an
 * identity token), and `credsStore`. Secrets returned here are never logged or shown.
 */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** Where they came from, for the output channel: "~/.docker/config.json", "credential helper ecr-login". */
  from: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export const DOCKER_HUB = 'docker.io';
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** "https://ghcr.io/v2/" → "ghcr.io"; the Hub's many spellings → "docker.io". */
export function registryHost(address: string): string {
  const host = address
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return HUB_KEYS.some((k) => k.replace(/^https:\/\//, '').replace(/\/.*$/, '') === host) ? DOCKER_HUB : host;
}

export function dockerConfigPath(env: Record<string, string | undefined> = process.env, home = homedir()): string {
  return join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json');
}

async function readConfig(path: string): Promise<DockerConfigFile | undefined> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as DockerConfigFile;
  } catch {
    return undefined;
  }
}

export type HelperRunner = (helper: string, serverUrl: string) => Promise<{ Username?: string; Secret?: string } | undefined>;

/** Runs `docker-credential-<helper> get` with the server on stdin, as the docker CLI does. */
export const runCredentialHelper: HelperRunner = (helper, serverUrl) =>
  new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { encoding: 'utf8', timeout: 30_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        resolve(JSON.parse(stdout) as { Username?: string; Secret?: string });
      } catch {
        resolve(undefined);
      }
    });
    child.on('error', () => resolve(undefined));
    child.stdin?.end(serverUrl);
  });

export async function credentialsFromDockerConfig(
  registry: string,
  configPath = dockerConfigPath(),
  helperRunner: HelperRunner = runCredentialHelper,
): Promise<RegistryCredentials | undefined> {
  const config = await readConfig(configPath);
  if (!config) return undefined;
  const host = registryHost(registry);
  const serverUrl = host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
  const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => registryHost(key) === host)?.[1];
  if (helper) return fromHelper(helper, serverUrl, helperRunner);
  const entry = Object.entries(config.auths ?? {}).find(([key]) => registryHost(key) === host)?.[1];
  if (entry && (entry.auth || entry.username || entry.identitytoken)) {
    const credentials: RegistryCredentials = { from: configPath };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      credentials.username = colon >= 0 ? decoded.slice(0, colon) : decoded;
      credentials.password = colon >= 0 ? decoded.slice(colon + 1) : '';
    } else {
      credentials.username = entry.username;
      credentials.password = entry.password;
    }
    if (entry.identitytoken) credentials.identityToken = entry.identitytoken;
    return credentials;
  }
  if (config.credsStore) return fromHelper(config.credsStore, serverUrl, helperRunner);
  return undefined;
}

async function fromHelper(helper: string, serverUrl: string, run: HelperRunner): Promise<RegistryCredentials | undefined> {
  const answer = await run(helper, serverUrl);
  if (!answer?.Secret) return undefined;
  const from = `credential helper docker-credential-${helper}`;
  // Helpers return "<token>" as the user name for identity tokens.
  if (answer.Username === '<token>') return { identityToken: answer.Secret, from };
  return { username: answer.Username, password: answer.Secret, from };
}

/** The Engine API's X-Registry-Auth body. */
export function engineAuthConfig(registry: string, credentials: RegistryCredentials | undefined): Record<string, string> | undefined {
  if (!credentials) return undefined;
  const serveraddress = registryHost(registry) === DOCKER_HUB ? 'https://index.docker.io/v1/' : registryHost(registry);
  if (credentials.identityToken) return { identitytoken: credentials.identityToken, serveraddress };
  return { username: credentials.username ?? '', password: credentials.password ?? '', serveraddress };
}
