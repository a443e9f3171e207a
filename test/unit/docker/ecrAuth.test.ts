import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ecrAuthorizationToken, ecrRegion, EcrError } from '../../../src/core/docker/ecrAuth';

const temp = mkdtempSync(join(tmpdir(), 'mlops-ecr-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';

/**
 * Runs `body` with only the given AWS variables set, so the developer's own AWS setup (or an
 * instance's metadata service) never takes part; shared files default to ones that do not exist.
 */
async function withAwsEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('AWS_'));
  for (const [key] of saved) delete process.env[key];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: join(temp, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(temp, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
  });
  try {
    return await body();
  } finally {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    for (const [key, value] of saved) process.env[key] = value;
  }
}

describe('ECR token through the AWS SDK against a local stand-in of the GetAuthorizationToken endpoint', () => {
  let server: Server;
  let endpoint = '';
  const seen: { headers: IncomingMessage['headers']; body: string; scope: { key: string; region: string } }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  before(async () => {
    // Answers like ECR only a request the way the SDK's JSON protocol sends it, signed with SigV4
    // for the ecr service on the day of its X-Amz-Date; anything else is refused as AWS would.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const date = String(request.headers['x-amz-date'] ?? '').slice(0, 8);
        const auth =
          /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/ecr\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/.exec(
            String(request.headers.authorization ?? ''),
          );
        const valid =
          request.method === 'POST' &&
          request.headers['x-amz-target'] === TARGET &&
          request.headers['content-type'] === 'application/x-amz-json-1.1' &&
          auth !== null &&
          auth[2] === date &&
          (auth[4] ?? '').split(';').includes('x-amz-target') &&
          (auth[4] ?? '').split(';').includes('host');
        if (!valid || !auth) {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'IncompleteSignatureException', message: 'not a signed ECR request' }));
          return;
        }
        seen.push({ headers: request.headers, body, scope: { key: auth[1] ?? '', region: auth[3] ?? '' } });
        response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const tokenAnswer = (token: string) => ({
    status: 200,
    body: { authorizationData: [{ authorizationToken: Buffer.from(token).toString('base64') }] },
  });

  test('the region comes from the registry host', () => {
    assert.equal(ecrRegion(registry), 'eu-west-1');
    assert.equal(ecrRegion('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com'), 'us-gov-west-1');
    assert.equal(ecrRegion('127.0.0.1:5000'), undefined);
  });

  test('credentials from the environment sign the request; the token decodes to user and password', async () => {
    seen.length = 0;
    answer = {
      status: 200,
      body: {
        authorizationData: [
          {
            authorizationToken: Buffer.from('AWS:token-from-ecr').toString('base64'),
            proxyEndpoint: `https://${registry}`,
            expiresAt: 1_900_000_000,
          },
        ],
      },
    };
    const token = await withAwsEnv({ AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' }, () =>
      ecrAuthorizationToken({ registry, endpoint }),
    );
    assert.deepEqual(token, {
      username: 'AWS',
      password: 'token-from-ecr',
      proxyEndpoint: `https://${registry}`,
      expiresAt: new Date(1_900_000_000 * 1000),
    });
    assert.equal(seen.length, 1);
    const request = seen[0];
    assert.ok(request);
    assert.deepEqual(request.scope, { key: 'AKIDTEST', region: 'eu-west-1' });
    assert.equal(request.headers['x-amz-security-token'], 'session');
    assert.deepEqual(JSON.parse(request.body), {});
  });

  test('the endpoint variables of the AWS SDKs are honoured', async () => {
    seen.length = 0;
    answer = tokenAnswer('AWS:t');
    const token = await withAwsEnv({ AWS_ENDPOINT_URL_ECR: endpoint, AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secret' }, () =>
      ecrAuthorizationToken({ registry }),
    );
    assert.equal(token.password, 't');
    assert.equal(seen[0]?.scope.key, 'AKIDENV');
  });

  test('profiles from the shared credentials and config files, credential processes, SSO', async () => {
    const credentialsFile = join(temp, 'credentials');
    const configFile = join(temp, 'config');
    writeFileSync(
      credentialsFile,
      '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[ml]\naws_access_key_id = AKIDML\naws_secret_access_key = s2\n',
    );
    const script = join(temp, 'credential-process.sh');
    writeFileSync(
      script,
      '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "s3", "SessionToken": "t3"}\'\n',
      {
        mode: 0o755,
      },
    );
    writeFileSync(join(temp, 'broken-process.sh'), '#!/bin/sh\necho "secret-in-output" >&2\nexit 3\n', { mode: 0o755 });
    writeFileSync(join(temp, 'v2-process.sh'), '#!/bin/sh\necho \'{"Version": 2, "AccessKeyId": "secret-id"}\'\n', { mode: 0o755 });
    writeFileSync(
      configFile,
      [
        '[default]',
        'region = eu-central-1',
        '[profile cfg]',
        'aws_access_key_id = AKIDCFG',
        'aws_secret_access_key = s4',
        'region = ap-south-1',
        '[profile proc]',
        `credential_process = ${script}`,
        '[profile broken]',
        `credential_process = ${join(temp, 'broken-process.sh')}`,
        '[profile v2]',
        `credential_process = ${join(temp, 'v2-process.sh')}`,
        '[profile sso]',
        'sso_session = corp',
        'sso_account_id = 123456789012',
        'sso_role_name = push',
        '[sso-session corp]',
        'sso_region = eu-west-1',
        'sso_start_url = https://corp.awsapps.com/start',
        '',
      ].join('\n'),
    );
    const files = { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile, AWS_ENDPOINT_URL: endpoint };
    answer = tokenAnswer('AWS:t');
    const keyUsed = async (profile: string | undefined, vars: Record<string, string> = {}, target = registry) => {
      seen.length = 0;
      await withAwsEnv({ ...files, ...vars }, () => ecrAuthorizationToken({ registry: target, profile }));
      return seen[0]?.scope;
    };
    assert.equal((await keyUsed('ml'))?.key, 'AKIDML');
    assert.equal((await keyUsed(undefined))?.key, 'AKIDDEFAULT');
    assert.equal((await keyUsed(undefined, { AWS_PROFILE: 'ml' }))?.key, 'AKIDML');
    assert.equal((await keyUsed('cfg'))?.key, 'AKIDCFG');
    assert.equal((await keyUsed('proc'))?.key, 'AKIDPROC');
    assert.equal(seen[0]?.headers['x-amz-security-token'], 't3');
    assert.deepEqual(await keyUsed('cfg', {}, '127.0.0.1:5000'), { key: 'AKIDCFG', region: 'ap-south-1' }, 'the region of the profile');
    assert.deepEqual(await keyUsed(undefined, {}, '127.0.0.1:5000'), { key: 'AKIDDEFAULT', region: 'eu-central-1' });

    const failure = (profile: string) =>
      withAwsEnv(files, () => ecrAuthorizationToken({ registry, profile })).then(
        () => assert.fail('expected a refusal'),
        (error: unknown) => {
          assert.ok(error instanceof EcrError);
          assert.doesNotMatch(error.message, /secret|AKID|\bs[1-4]\b/);
          return error.message;
        },
      );
    assert.match(await failure('broken'), /^The credential process of the AWS profile "broken" failed: run it in a terminal/);
    assert.match(await failure('v2'), /^The credential process of the AWS profile "v2" did not print Version 1 credentials as JSON/);
    assert.match(
      await failure('sso'),
      /^The AWS SSO sign-in of the profile "sso" is missing or expired: run "aws sso login --profile sso"/,
    );
    assert.match(await failure('missing'), /^The AWS profile "missing" has no usable credentials/);
  });

  test('refusals, a missing region, missing credentials and an unreachable endpoint are one sentence each, without secrets', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'very-secret' };
    const refusal = (options: Parameters<typeof ecrAuthorizationToken>[0], vars: Record<string, string> = env) =>
      withAwsEnv(vars, () => ecrAuthorizationToken(options)).then(
        () => assert.fail('expected a refusal'),
        (error: unknown) => {
          assert.ok(error instanceof EcrError);
          assert.doesNotMatch(error.message, /very-secret|AKIDTEST|security token included/);
          assert.equal(error.message.split(/\.\s/).length, 1, `one sentence: ${error.message}`);
          return error.message;
        },
      );

    answer = {
      status: 400,
      body: { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
    };
    assert.match(
      await refusal({ registry, endpoint }),
      /^AWS refused the ECR token request \(UnrecognizedClientException\): check the AWS credentials/,
    );
    answer = { status: 400, body: { __type: 'com.amazonaws.ecr#AccessDeniedException', message: 'User is not authorized' } };
    assert.match(await refusal({ registry, endpoint }), /^AWS refused the ECR token request \(AccessDeniedException\)/);

    answer = { status: 500, body: { __type: 'ServerException', message: 'internal' } };
    assert.match(await refusal({ registry, endpoint }), /^The ECR token request failed with HTTP 500/);

    answer = { status: 200, body: { authorizationData: [] } };
    assert.match(await refusal({ registry, endpoint }), /^AWS ECR answered without an authorization token/);

    assert.match(await refusal({ registry: '127.0.0.1:5000', endpoint }), /^The AWS region of 127\.0\.0\.1:5000 is unknown/);
    assert.match(
      await refusal({ registry, endpoint }, {}),
      /^No AWS credentials were found for the profile "default": run "aws configure"/,
    );

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.match(
      await refusal({ registry, endpoint: `http://127.0.0.1:${port}` }),
      new RegExp(`^AWS ECR at 127\\.0\\.0\\.1:${port} is not reachable \\(ECONNREFUSED\\): check the network`),
    );
  });
});
