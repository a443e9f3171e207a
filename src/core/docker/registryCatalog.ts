import type { RegistryCredentials } from './registryCredentials';

/**
 * Browsing a v2 registry: its repositories (`/v2/_catalog`) and a repository's tags
 * (`/v2/<name>/tags/list`), with Basic auth or the Bearer token flow Docker Hub and GHCR use.
 * Loopback registries are spoken to over plain HTTP, as the engine does.
 */
export class RegistryBrowseError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function baseUrl(registry: string): string {
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
  return `${loopback ? 'http' : 'https'}://${host}`;
}

function basic(credentials: RegistryCredentials | undefined): string | undefined {
  if (!credentials?.username) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64')}`;
}

async function get(registry: string, path: string, credentials: RegistryCredentials | undefined): Promise<unknown> {
  const url = `${baseUrl(registry)}${path}`;
  const headers: Record<string, string> = {};
  const auth = basic(credentials);
  if (auth) headers.Authorization = auth;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      const bearer = /^Bearer\s+(.*)$/i.exec(challenge);
      if (bearer) {
        const params = Object.fromEntries([...(bearer[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        const tokenUrl = new URL(params.realm ?? '');
        if (params.service) tokenUrl.searchParams.set('service', params.service);
        if (params.scope) tokenUrl.searchParams.set('scope', params.scope);
        const tokenResponse = await fetch(tokenUrl, { headers: auth ? { Authorization: auth } : {}, signal: AbortSignal.timeout(15_000) });
        if (tokenResponse.ok) {
          const token = (await tokenResponse.json()) as { token?: string; access_token?: string };
          response = await fetch(url, {
            headers: { Authorization: `Bearer ${token.token ?? token.access_token ?? ''}` },
            signal: AbortSignal.timeout(15_000),
          });
        }
      }
    }
  } catch (error) {
    throw new RegistryBrowseError(
      `The registry ${registry} is not reachable (${(error as Error).message}): check its address and that it is running.`,
    );
  }
  if (response.status === 401)
    throw new RegistryBrowseError(`The registry ${registry} needs credentials to list its content: sign in to it.`, 401);
  if (response.status === 403) throw new RegistryBrowseError(`The registry ${registry} does not let this account list its content.`, 403);
  if (response.status === 404) throw new RegistryBrowseError(`The registry ${registry} does not offer listing (404).`, 404);
  if (!response.ok) throw new RegistryBrowseError(`The registry ${registry} answered HTTP ${response.status} to ${path}.`, response.status);
  return response.json();
}

export async function listRepositories(registry: string, credentials: RegistryCredentials | undefined): Promise<string[]> {
  const body = (await get(registry, '/v2/_catalog?n=1000', credentials)) as { repositories?: string[] };
  return (body.repositories ?? []).sort();
}

export async function listTags(registry: string, repository: string, credentials: RegistryCredentials | undefined): Promise<string[]> {
  const body = (await get(registry, `/v2/${repository}/tags/list`, credentials)) as { tags?: string[] | null };
  return (body.tags ?? []).sort();
}
