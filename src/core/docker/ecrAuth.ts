import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * An ECR push token from `GetAuthorizationToken`, signed with AWS Signature Version 4 (a small
 * client instead of the AWS SDK, to keep the extension small). Credentials come from the standard
 * places: the environment, then the profile in the shared credentials and config files. The
 * endpoint honours `AWS_ENDPOINT_URL_ECR`/`AWS_ENDPOINT_URL`, as the AWS SDKs do.
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

/**
 * The standard chain as far as it applies on a workstation: environment variables, then the
 * profile (AWS_PROFILE or "default") in `~/.aws/credentials`, then in `~/.aws/config` (static keys
 * or `credential_process`). SSO profiles are answered with how to use them through
 * `credential_process`.
 */
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
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE || join(home, '.aws', 'config');
  const credentialsText = await readOptional(credentialsFile);
  const configText = await readOptional(configFile);
  if (credentialsText === undefined && configText === undefined) {
    throw new EcrError(
      `No AWS credentials were found for the profile "${name}": run "aws configure" (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then push again.`,
    );
  }
  const fromCredentials = readIniSection(credentialsText ?? '', name, false);
  const fromConfig = readIniSection(configText ?? '', name, true);
  for (const section of [fromCredentials, fromConfig]) {
    if (section.aws_access_key_id && section.aws_secret_access_key) {
      return {
        accessKeyId: section.aws_access_key_id,
        secretAccessKey: section.aws_secret_access_key,
        sessionToken: section.aws_session_token,
      };
    }
  }
  const command = fromCredentials.credential_process ?? fromConfig.credential_process;
  if (command) return runCredentialProcess(name, command);
  if (fromConfig.sso_session || fromConfig.sso_start_url) {
    throw new EcrError(
      `The AWS profile "${name}" signs in with SSO: add a profile with "credential_process = aws configure export-credentials --profile ${name} --format process" to ${configFile} and choose it for the registry, then push again.`,
    );
  }
  throw new EcrError(
    `The AWS profile "${name}" has no access key in ${credentialsFile} or ${configFile}: run "aws configure --profile ${name}", then push again.`,
  );
}

/** The region of a profile in `~/.aws/config`, when it names one. */
export async function awsProfileRegion(
  profile: string | undefined,
  env: Record<string, string | undefined> = process.env,
  home = homedir(),
): Promise<string | undefined> {
  const name = profile || env.AWS_PROFILE || 'default';
  const text = await readOptional(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'));
  return text === undefined ? undefined : readIniSection(text, name, true).region || undefined;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `credential_process`: a command that prints `{"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"}`. */
function runCredentialProcess(profile: string, command: string): Promise<AwsCredentials> {
  return new Promise((resolve, reject) => {
    execFile(
      process.platform === 'win32' ? 'cmd.exe' : '/bin/sh',
      process.platform === 'win32' ? ['/d', '/s', '/c', command] : ['-c', command],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        // Neither the output nor the command's error text goes into the sentence: both may hold secrets.
        if (error) {
          reject(
            new EcrError(
              `The credential process of the AWS profile "${profile}" failed: run it in a terminal to see why, then push again.`,
            ),
          );
          return;
        }
        try {
          const data = JSON.parse(stdout) as { Version?: number; AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
          if (data.Version !== 1 || !data.AccessKeyId || !data.SecretAccessKey) throw new Error('incomplete');
          resolve({ accessKeyId: data.AccessKeyId, secretAccessKey: data.SecretAccessKey, sessionToken: data.SessionToken || undefined });
        } catch {
          reject(
            new EcrError(
              `The credential process of the AWS profile "${profile}" did not print Version 1 credentials as JSON: check the command in the AWS config, then push again.`,
            ),
          );
        }
      },
    );
  });
}

/** One profile's keys; in the config file a named profile is `[profile name]` (plain `[name]` is accepted too). */
function readIniSection(text: string, name: string, config: boolean): Record<string, string> {
  const values: Record<string, string> = {};
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#') || line.startsWith(';') || line === '') continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      const section = (header[1] as string).trim();
      inSection = section === name || (config && section.replace(/^profile\s+/, '') === name);
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
  const region =
    options.region ||
    ecrRegion(options.registry) ||
    env.AWS_REGION ||
    env.AWS_DEFAULT_REGION ||
    (await awsProfileRegion(options.profile, env, options.home));
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
