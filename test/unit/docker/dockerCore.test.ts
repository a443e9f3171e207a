import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BuildProgress, JsonMessageSplitter } from '../../../src/core/docker/buildProgress';
import { dockerfileInstructions } from '../../../src/core/docker/dockerfileInstructions';
import { EngineConfigError, resolveEngine } from '../../../src/core/docker/engineConnection';
import { classifyPushError } from '../../../src/core/docker/imagePush';
import { defaultTags, parseReference, projectImageName, referenceForRegistry, webAddress } from '../../../src/core/docker/imageTags';
import { credentialsFromDockerConfig, engineAuthConfig, registryHost } from '../../../src/core/docker/registryCredentials';

const temp = mkdtempSync(join(tmpdir(), 'mlops-docker-core-'));
after(() => rmSync(temp, { recursive: true, force: true }));

describe('engine connection', () => {
  test('DOCKER_HOST unix, tcp, tcp with TLS, ssh', () => {
    assert.deepEqual(resolveEngine({ env: { DOCKER_HOST: 'unix:///run/x.sock' }, home: temp }).options, { socketPath: '/run/x.sock' });
    const tcp = resolveEngine({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, home: temp });
    assert.equal(tcp.where, 'tcp://10.0.0.5:2375');
    assert.equal(tcp.options.protocol, 'http');
    const certs = join(temp, 'certs');
    mkdirSync(certs, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), f);
    const tls = resolveEngine({
      env: { DOCKER_HOST: 'tcp://engine.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs },
      home: temp,
    });
    assert.equal(tls.options.protocol, 'https');
    assert.equal(String(tls.options.ca), 'ca.pem');
    assert.equal(tls.where, 'tcp+tls://engine.example:2376');
    const ssh = resolveEngine({ env: { DOCKER_HOST: 'ssh://ml@builder.example' }, home: temp });
    assert.equal(ssh.options.protocol, 'ssh');
    assert.equal(ssh.options.username, 'ml');
    assert.equal(ssh.where, 'ssh://ml@builder.example');
  });

  test('an explicit host wins over DOCKER_HOST; bad schemes get a sentence', () => {
    assert.equal(resolveEngine({ env: { DOCKER_HOST: 'unix:///a.sock' }, home: temp, host: 'unix:///b.sock' }).where, 'unix:///b.sock');
    assert.throws(() => resolveEngine({ env: { DOCKER_HOST: 'ftp://x' }, home: temp }), EngineConfigError);
  });

  test('the current Docker context from config.json and contexts/meta', () => {
    const home = join(temp, 'home');
    const id = createHash('sha256').update('remote').digest('hex');
    mkdirSync(join(home, '.docker', 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    writeFileSync(
      join(home, '.docker', 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'tcp://192.168.1.9:2375' } } }),
    );
    const endpoint = resolveEngine({ env: {}, home });
    assert.equal(endpoint.where, 'context remote (tcp://192.168.1.9:2375)');
    assert.throws(() => resolveEngine({ env: { DOCKER_CONTEXT: 'missing' }, home }), /context "missing" was not found/);
  });
});

describe('tags, labels and references', () => {
  test('default tags from the commit, -dirty for a changed tree', () => {
    assert.deepEqual(defaultTags('wine-quality', { commit: 'abcdef123', short: 'abcdef1', dirty: false }), [
      'wine-quality:abcdef1',
      'wine-quality:latest',
    ]);
    assert.deepEqual(defaultTags('wine-quality', { commit: 'abcdef123', short: 'abcdef1', dirty: true }), [
      'wine-quality:abcdef1-dirty',
      'wine-quality:latest',
    ]);
    assert.deepEqual(defaultTags('x', undefined), ['x:latest']);
    assert.equal(projectImageName('/home/me/Wine Quality__v2'), 'wine-quality-v2');
  });

  test('source label never carries credentials', () => {
    assert.equal(webAddress('https://user:tok@github.com/org/repo.git'), 'https://github.com/org/repo');
    assert.equal(webAddress('git@github.com:org/repo.git'), 'https://github.com/org/repo');
  });

  test("references normalise like Docker's", () => {
    assert.deepEqual(parseReference('wine'), { registry: 'docker.io', repository: 'library/wine', tag: 'latest' });
    assert.deepEqual(parseReference('ghcr.io/org/wine:abc'), { registry: 'ghcr.io', repository: 'org/wine', tag: 'abc' });
    assert.deepEqual(parseReference('localhost:5000/wine:1'), { registry: 'localhost:5000', repository: 'wine', tag: '1' });
    assert.throws(() => parseReference('Wine:1'), /not a valid image name/);
    assert.equal(referenceForRegistry('wine:abc', '127.0.0.1:5000'), '127.0.0.1:5000/wine:abc');
    assert.equal(referenceForRegistry('wine:abc', 'ghcr.io', 'org'), 'ghcr.io/org/wine:abc');
  });
});

describe('build progress', () => {
  test('steps, image id and error from the engine stream, split across chunks', () => {
    const splitter = new JsonMessageSplitter();
    const progress = new BuildProgress();
    const messages = [
      ...splitter.push('{"stream":"Step 1/2 : FROM scratch\\n"}\n{"stream":"Step 2/2 : CO'),
      ...splitter.push('PY x /\\n"}\n{"errorDetail":{"message":"COPY failed: file not found"},"error":"COPY failed"}\n'),
    ];
    for (const m of messages) progress.take(m);
    assert.equal(progress.failedStep?.step, 2);
    assert.equal(progress.error, 'COPY failed: file not found');
  });

  test('instructions map steps to lines (continuations, comments, escape directive)', () => {
    const text = '# escape=`\n# comment\nFROM scratch\n\nCOPY a `\n  b /\n# between\nLABEL x=1\n';
    assert.deepEqual(
      dockerfileInstructions(text).map((i) => [i.keyword, i.line]),
      [
        ['FROM', 2],
        ['COPY', 4],
        ['LABEL', 7],
      ],
    );
  });
});

describe('registries', () => {
  test('push failures become one sentence each', () => {
    assert.equal(classifyPushError('unauthorized: authentication required', 'r.io', 'r.io/a').kind, 'unauthorized');
    assert.equal(classifyPushError('denied: requested access to the resource is denied', 'docker.io', 'a').kind, 'denied');
    assert.equal(
      classifyPushError('name unknown: The repository with name x does not exist in the registry', 'ecr', 'x').kind,
      'not-found',
    );
    assert.equal(classifyPushError('An image does not exist locally with the tag: r/x', 'r', 'r/x').kind, 'no-image');
    assert.equal(
      classifyPushError('Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', 'r', 'x').kind,
      'unreachable',
    );
  });

  test('Hub spellings and auth config', async () => {
    assert.equal(registryHost('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(registryHost('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
    const config = join(temp, 'config.json');
    writeFileSync(config, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:p:w').toString('base64') } } }));
    const found = await credentialsFromDockerConfig('docker.io', config);
    assert.equal(found?.username, 'me');
    assert.equal(found?.password, 'p:w');
    assert.deepEqual(engineAuthConfig('docker.io', found), {
      username: 'me',
      password: 'p:w',
      serveraddress: 'https://index.docker.io/v1/',
    });
    assert.equal(await credentialsFromDockerConfig('ghcr.io', config), undefined);
  });
});
