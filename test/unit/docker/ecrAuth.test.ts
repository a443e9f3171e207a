import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { awsCredentials, awsProfileRegion, ecrAuthorizationToken, ecrRegion, EcrError, signV4 } from '../../../src/core/docker/ecrAuth';

const temp = mkdtempSync(join(tmpdir(), 'mlops-ecr-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const EXAMPLE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('AWS Signature Version 4', () => {
  // Vectors from AWS's published SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case).
  for (const [url, signature] of [
    ['https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['https://example.amazonaws.com/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
  ] as const) {
    test(`signs ${url} as AWS does`, () => {
      const headers = signV4({
        method: 'GET',
        url: new URL(url),
        headers: {},
        body: '',
        region: 'us-east-1',
        service: 'service',
        credentials: EXAMPLE,
        now: new Date('2015-08-30T12:36:00Z'),
      });
      assert.equal(
        headers.authorization,
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}`,
      );
      assert.equal(headers['x-amz-date'], '20150830T123600Z');
    });
  }
});

describe('ECR token against a local stand-in of the GetAuthorizationToken endpoint', () => {
  let server: Server;
  let endpoint = '';
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };
  before(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ headers: request.headers, body });
        response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => server.close());

  const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

  test('the region comes from the registry host', () => {
    assert.equal(ecrRegion(registry), 'eu-west-1');
    assert.equal(ecrRegion('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com'), 'us-gov-west-1');
    assert.equal(ecrRegion('127.0.0.1:5000'), undefined);
  });

  test('a signed request with the ECR target; the token decodes to user and password', async () => {
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
    const token = await ecrAuthorizationToken({
      registry,
      env: { AWS_ENDPOINT_URL_ECR: endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' },
      now: new Date('2026-11-23T10:00:00Z'),
    });
    assert.deepEqual(token, {
      username: 'AWS',
      password: 'token-from-ecr',
      proxyEndpoint: `https://${registry}`,
      expiresAt: new Date(1_900_000_000 * 1000),
    });
    const request = seen[0];
    assert.ok(request);
    assert.equal(request.headers['x-amz-target'], 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    assert.equal(request.headers['content-type'], 'application/x-amz-json-1.1');
    assert.equal(request.headers['x-amz-security-token'], 'session');
    assert.equal(request.body, '{}');
    assert.match(
      String(request.headers.authorization),
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/20261123\/eu-west-1\/ecr\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });

  test('profiles from the shared credentials and config files, credential processes, SSO', async () => {
    const home = join(temp, 'home');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(
      join(home, '.aws', 'credentials'),
      '[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n\n[ml]\naws_access_key_id = AKIDML\naws_secret_access_key = s2\n',
    );
    assert.equal((await awsCredentials('ml', {}, home)).accessKeyId, 'AKIDML');
    assert.equal((await awsCredentials(undefined, {}, home)).accessKeyId, 'AKIDDEFAULT');
    assert.equal((await awsCredentials(undefined, { AWS_PROFILE: 'ml' }, home)).accessKeyId, 'AKIDML');
    seen.length = 0;
    answer = { status: 200, body: { authorizationData: [{ authorizationToken: Buffer.from('AWS:t').toString('base64') }] } };
    await ecrAuthorizationToken({ registry, profile: 'ml', env: { AWS_ENDPOINT_URL: endpoint }, home });
    assert.match(String(seen[0]?.headers.authorization), /Credential=AKIDML\//);
    await assert.rejects(awsCredentials('missing', {}, home), /The AWS profile "missing" has no access key/);

    // ~/.aws/config: static keys under [profile x], a credential process, an SSO profile, a region.
    const script = join(temp, 'credential-process.sh');
    writeFileSync(
      script,
      '#!/bin/sh\necho \'{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "s3", "SessionToken": "t3"}\'\n',
      { mode: 0o755 },
    );
    writeFileSync(join(temp, 'broken-process.sh'), '#!/bin/sh\necho "secret-in-output" >&2\nexit 3\n', { mode: 0o755 });
    writeFileSync(
      join(home, '.aws', 'config'),
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
        '[profile sso]',
        'sso_session = corp',
        'sso_account_id = 123456789012',
        '',
      ].join('\n'),
    );
    assert.equal((await awsCredentials('cfg', {}, home)).accessKeyId, 'AKIDCFG');
    assert.deepEqual(await awsCredentials('proc', {}, home), { accessKeyId: 'AKIDPROC', secretAccessKey: 's3', sessionToken: 't3' });
    const broken = await awsCredentials('broken', {}, home).catch((error: unknown) => error as Error);
    assert.ok(broken instanceof EcrError);
    assert.match(broken.message, /^The credential process of the AWS profile "broken" failed/);
    assert.doesNotMatch(broken.message, /secret-in-output/);
    await assert.rejects(
      awsCredentials('sso', {}, home),
      /signs in with SSO: add a profile with "credential_process = aws configure export-credentials --profile sso/,
    );
    assert.equal(await awsProfileRegion('cfg', {}, home), 'ap-south-1');
    assert.equal(await awsProfileRegion(undefined, {}, home), 'eu-central-1');
    seen.length = 0;
    await ecrAuthorizationToken({ registry: '127.0.0.1:5000', profile: 'cfg', env: { AWS_ENDPOINT_URL: endpoint }, home });
    assert.match(
      String(seen[0]?.headers.authorization),
      /Credential=AKIDCFG\/\d{8}\/ap-south-1\/ecr\//,
      'the region of the profile signs the request',
    );
    await assert.rejects(awsCredentials(undefined, {}, join(temp, 'nobody')), /No AWS credentials were found for the profile "default"/);
  });

  test('refusals, a missing region and an unreachable endpoint are one sentence each, without secrets', async () => {
    const env = { AWS_ENDPOINT_URL_ECR: endpoint, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'very-secret' };
    answer = {
      status: 400,
      body: { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' },
    };
    const refused = await ecrAuthorizationToken({ registry, env }).catch((error: unknown) => error as Error);
    assert.ok(refused instanceof EcrError);
    assert.match(refused.message, /^AWS refused the ECR token request \(UnrecognizedClientException\): check the AWS credentials/);
    assert.doesNotMatch(refused.message, /very-secret/);

    answer = { status: 500, body: { message: 'internal' } };
    await assert.rejects(ecrAuthorizationToken({ registry, env }), /The ECR token request failed with HTTP 500/);

    answer = { status: 200, body: { authorizationData: [] } };
    await assert.rejects(ecrAuthorizationToken({ registry, env }), /answered without an authorization token/);

    await assert.rejects(
      ecrAuthorizationToken({
        registry: '127.0.0.1:5000',
        env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' },
        home: join(temp, 'nobody'),
      }),
      /The AWS region of 127\.0\.0\.1:5000 is unknown/,
    );

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      ecrAuthorizationToken({ registry, env: { ...env, AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}/` } }),
      (error: Error) => error instanceof EcrError && /^AWS ECR at 127\.0\.0\.1:\d+ is not reachable/.test(error.message),
    );
  });
});
