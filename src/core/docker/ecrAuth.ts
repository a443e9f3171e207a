/**
 * An ECR push token from `GetAuthorizationToken` through the AWS SDK, so credentials come from the
 * standard chain exactly as the AWS CLI finds them: the environment, the profile in the shared
 * config and credentials files (static keys, `credential_process`, SSO, assumed roles), web
 * identity, and container or instance metadata. The SDK also honours `AWS_ENDPOINT_URL_ECR` and
 * `AWS_ENDPOINT_URL`.
 */
export interface EcrToken {
  username: string;
  password: string;
  proxyEndpoint?: string;
  expiresAt?: Date;
}

export class EcrError extends Error {}

/** "123.dkr.ecr.eu-west-1.amazonaws.com" → "eu-west-1". */
export function ecrRegion(registry: string): string | undefined {
  return /\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(registry.replace(/:\d+$/, ''))?.[1];
}

export async function ecrAuthorizationToken(options: {
  registry: string;
  region?: string;
  profile?: string;
  /** Another endpoint than the region's (or the one in the AWS endpoint variables). */
  endpoint?: string;
}): Promise<EcrToken> {
  const profile = options.profile || undefined;
  // The chain reports only its last link's failure; the earlier ones (a failing credential process,
  // an expired SSO sign-in) arrive as debug notes, kept to choose the sentence and never shown.
  const notes: string[] = [];
  const logger = { debug: (note: unknown) => notes.push(String(note)), info: () => {}, warn: () => {}, error: () => {} };
  const region = options.region || ecrRegion(options.registry) || undefined;
  // The AWS SDK is loaded on the first push to ECR, not with the extension (it is most of the
  // bundle's module initialisation, and most workspaces never push there).
  const [{ ECRClient, GetAuthorizationTokenCommand }, { fromNodeProviderChain }] = await Promise.all([
    import('@aws-sdk/client-ecr'),
    import('@aws-sdk/credential-providers'),
  ]);
  const client = new ECRClient({
    // Without a region here the SDK takes AWS_REGION, then the profile's region in the config file.
    region,
    profile,
    endpoint: options.endpoint,
    credentials: fromNodeProviderChain({ profile, logger }),
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 20_000 },
  });
  try {
    const answer = await client.send(new GetAuthorizationTokenCommand({}));
    const first = answer.authorizationData?.[0];
    if (!first?.authorizationToken)
      throw new EcrError('AWS ECR answered without an authorization token: try again, or check the account and region.');
    const decoded = Buffer.from(first.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      proxyEndpoint: first.proxyEndpoint,
      expiresAt: first.expiresAt,
    };
  } catch (error) {
    if (error instanceof EcrError) throw error;
    const where = options.endpoint ?? process.env.AWS_ENDPOINT_URL_ECR ?? process.env.AWS_ENDPOINT_URL;
    const host = where ? hostOf(where) : `api.ecr.${region ?? process.env.AWS_REGION ?? 'us-east-1'}.amazonaws.com`;
    const named = profile ?? (process.env.AWS_PROFILE || undefined);
    throw new EcrError(sentenceFor(error, notes, options.registry, named, host));
  } finally {
    client.destroy();
  }
}

/**
 * The SDK's messages may quote a credential process's output or AWS's own text, so they are only
 * matched here, never passed on.
 */
function sentenceFor(error: unknown, notes: string[], registry: string, named: string | undefined, host: string): string {
  const profile = named ?? 'default';
  const { name, message, code, $metadata } = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const text = String(message ?? '');
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    const all = [text, ...notes.filter((note) => note.startsWith('@smithy/property-provider'))].join('\n');
    if (/credential_process (did not return|returned invalid)/.test(all))
      return `The credential process of the AWS profile "${profile}" did not print Version 1 credentials as JSON: check the command in the AWS config, then push again.`;
    if (/credential_process returned expired/.test(all))
      return `The credential process of the AWS profile "${profile}" returned expired credentials: refresh them, then push again.`;
    if (/Command failed/.test(all))
      return `The credential process of the AWS profile "${profile}" failed: run it in a terminal to see why, then push again.`;
    if (/SSO session|SSO Token|SSO credential|sso_session|SSO returns/i.test(all.replace(/Skipping SSO provider[^\n]*/g, '')))
      return `The AWS SSO sign-in of the profile "${profile}" is missing or expired: run "aws sso login --profile ${profile}", then push again.`;
    if (named !== undefined)
      return `The AWS profile "${profile}" has no usable credentials in the AWS config or credentials file: run "aws configure --profile ${profile}", then push again.`;
    return `No AWS credentials were found for the profile "${profile}": run "aws configure" (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), then push again.`;
  }
  if (text === 'Region is missing') return `The AWS region of ${registry} is unknown: set it on the registry (awsRegion) or in AWS_REGION.`;
  const status = $metadata?.httpStatusCode;
  if (status !== undefined) {
    if (
      status === 403 ||
      /Unrecognized|InvalidSignature|AccessDenied|ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/.test(String(name))
    )
      return `AWS refused the ECR token request (${name && name !== 'Unknown' ? name : status}): check the AWS credentials and that they may call ecr:GetAuthorizationToken.`;
    return `The ECR token request failed with HTTP ${status}: try again later, or check the AWS service health.`;
  }
  return `AWS ECR at ${host} is not reachable (${code ?? name ?? 'network error'}): check the network and the region, then push again.`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
