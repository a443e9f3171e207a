import { createHash, createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * An ECR push token from `GetAuthorizationToken`, signed with AWS Signature Version 4 (a small
 * client instead of the AWS SDK, to keep the extension small). Credentials come from the standard
 * places: the environment, then the shared credentials file for the profile. The endpoint honours
 * `AWS_ENDPOINT_URL_ECR`/`AWS_ENDPOINT_URL`, as the AWS SDKs do.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface EcrToken {
  username: string;
  password: string;
  proxyEndpoint?: string;
  expiresAt?: Date;
}

export class EcrError extends Error {}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** "123.dkr.ecr.eu-west-1.amazonaws.com" → "eu-west-1". */
export function ecrRegion(registry: string): string | undefined {
  return /\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(registry.replace(/:\d+$/, ''))?.[1];
}

export interface SignInput {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now: Date;
}

/** Returns the headers to send (with Authorization and X-Amz-Date). */
export function signV4(input: SignInput): Record<string, string> {
  const amzDate = input.now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host: input.url.host, 'x-amz-date': amzDate };
  if (input.credentials.sessionToken) headers['x-amz-security-token'] = input.credentials.sessionToken;
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')]));
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
    .sort(([a, x], [b, y]) => (a === b ? ((x ?? '') < (y ?? '') ? -1 : 1) : (a ?? '') < (b ?? '') ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    input.method,
    input.url.pathname || '/',
    query,
    names.map((n) => `${n}:${lower[n]}\n`).join(''),
    names.join(';'),
    sha256(input.body),
  ].join('\n');
  const scope = `${date}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, date), input.region), input.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  const result = { ...headers };
  result.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return result;
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Environment variables, then `~/.aws/credentials` for the profile (AWS_PROFILE or "default"). */
export async function awsCredentials(
  profile: string | undefined,
  env: Record<string, string | undefined> = process.env,
  home = homedir(),
): Promise<AwsCredentials> {
  if (!profile && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  const name = profile || env.AWS_PROFILE || 'default';
  const file = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new EcrError(
      `No AWS credentials were found for the profile "${name}": run "aws configure" (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then push again.`,
    );
  }
  const section = readIniSection(text, name);
  if (!section.aws_access_key_id || !section.aws_secret_access_key) {
    throw new EcrError(`The AWS profile "${name}" has no access key in ${file}: run "aws configure --profile ${name}", then push again.`);
  }
  return {
    accessKeyId: section.aws_access_key_id,
    secretAccessKey: section.aws_secret_access_key,
    sessionToken: section.aws_session_token,
  };
}

function readIniSection(text: string, name: string): Record<string, string> {
  const values: Record<string, string> = {};
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      inSection = (header[1] as string).trim() === name || (header[1] as string).trim() === `profile ${name}`;
      continue;
    }
    const eq = line.indexOf('=');
    if (inSection && eq > 0) values[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return values;
}

export async function ecrAuthorizationToken(options: {
  registry: string;
  region?: string;
  profile?: string;
  env?: Record<string, string | undefined>;
  home?: string;
  now?: Date;
}): Promise<EcrToken> {
  const env = options.env ?? process.env;
  const region = options.region || ecrRegion(options.registry) || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new EcrError(`The AWS region of ${options.registry} is unknown: set it on the registry (awsRegion) or in AWS_REGION.`);
  const credentials = await awsCredentials(options.profile, env, options.home);
  const endpoint = new URL(env.AWS_ENDPOINT_URL_ECR || env.AWS_ENDPOINT_URL || `https://api.ecr.${region}.amazonaws.com/`);
  const body = '{}';
  const headers = signV4({
    method: 'POST',
    url: endpoint,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' },
    body,
    region,
    service: 'ecr',
    credentials,
    now: options.now ?? new Date(),
  });
  delete headers.host;
  let response: Response;
  try {
    response = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    throw new EcrError(
      `AWS ECR at ${endpoint.host} is not reachable (${(error as Error).message}): check the network and the region, then push again.`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let type = '';
    try {
      type = String((JSON.parse(text) as { __type?: string }).__type ?? '');
    } catch {
      type = '';
    }
    throw new EcrError(
      response.status === 403 || /Unrecognized|InvalidSignature|AccessDenied|ExpiredToken/i.test(type)
        ? `AWS refused the ECR token request (${type.split('#').pop() || response.status}): check the AWS credentials and that they may call ecr:GetAuthorizationToken.`
        : `The ECR token request failed with HTTP ${response.status}: see the output for AWS's answer.`,
    );
  }
  const data = JSON.parse(text) as { authorizationData?: { authorizationToken?: string; proxyEndpoint?: string; expiresAt?: number }[] };
  const first = data.authorizationData?.[0];
  if (!first?.authorizationToken)
    throw new EcrError('AWS ECR answered without an authorization token: try again, or check the account and region.');
  const decoded = Buffer.from(first.authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return {
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    proxyEndpoint: first.proxyEndpoint,
    expiresAt: first.expiresAt ? new Date(first.expiresAt * 1000) : undefined,
  };
}
