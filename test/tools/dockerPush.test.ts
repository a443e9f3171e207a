import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connectEngine, resolveEngine } from '../../src/core/docker/engineConnection';
import { buildImage } from '../../src/core/docker/imageBuild';
import { PushError, pushImage, tagImage } from '../../src/core/docker/imagePush';
import { credentialsFromDockerConfig } from '../../src/core/docker/registryCredentials';
import { waitFor } from '../support/tools';
import { dockerCli, startDockerServices, stopDockerServices, type DockerServices } from './dockerServices';

const temp = mkdtempSync(join(tmpdir(), 'mlops-docker-push-'));
const engine = resolveEngine({ env: {}, home: temp });
const docker = connectEngine(engine);
const images = new Set<string>();
let started: DockerServices | undefined;
let extraRegistry: ChildProcess | undefined;

function tagsOf(registry: string, repository: string, auth?: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
    request(`http://${registry}/v2/${repository}/tags/list`, { headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? ((JSON.parse(body) as { tags?: string[] }).tags ?? []) : []));
    })
      .on('error', reject)
      .end();
  });
}

async function localImage(name: string, payloadBytes = 16): Promise<string> {
  const root = join(temp, name.replace(/[^a-z0-9]/g, '-'));
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\nCOPY payload.bin /payload.bin\n');
  writeFileSync(join(root, 'payload.bin'), Buffer.alloc(payloadBytes, name.length));
  const buf = Buffer.allocUnsafe(payloadBytes);
  for (let i = 0; i < payloadBytes; i += 4) buf.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, Math.min(i, payloadBytes - 4));
  writeFileSync(join(root, 'payload.bin'), buf);
  await buildImage(docker, engine.where, { context: root, dockerfile: join(root, 'Dockerfile'), tags: [name] });
  images.add(name);
  return name;
}

after(async () => {
  extraRegistry?.kill();
  if (started) {
    for (const image of images) await dockerCli(['rmi', '-f', image]).catch(() => undefined);
    stopDockerServices();
  }
  rmSync(temp, { recursive: true, force: true });
});

describe('image push against real registries', () => {
  test('push to an open loopback registry', async (t) => {
    started = startDockerServices(t);
    if (!started) return;
    const target = `${started.openRegistry}/mlops/open-push:v1`;
    await localImage('mlops-push-open:v1');
    await tagImage(docker, 'mlops-push-open:v1', target);
    images.add(target);
    const layers = new Set<string>();
    const result = await pushImage(docker, engine.where, target, undefined, { layer: (l) => layers.add(l.id) });
    assert.match(result.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.ok(layers.size >= 1, 'per-layer progress was reported');
    assert.deepEqual(await tagsOf(started.openRegistry, 'mlops/open-push'), ['v1']);
  });

  test('push to an htpasswd registry: right password, wrong password, none', async (t) => {
    started = startDockerServices(t);
    if (!started) return;
    const target = `${started.authRegistry}/mlops/auth-push:v1`;
    await localImage('mlops-push-auth:v1');
    await tagImage(docker, 'mlops-push-auth:v1', target);
    images.add(target);
    await assert.rejects(
      pushImage(docker, engine.where, target, { username: started.user, password: 'wrong', from: 'test' }),
      (error: unknown) => {
        assert.ok(error instanceof PushError);
        assert.equal(error.kind, 'unauthorized');
        assert.ok(!error.message.includes('wrong') && !error.detail.includes('wrong'), 'the password never appears');
        return true;
      },
    );
    await assert.rejects(
      pushImage(docker, engine.where, target, undefined),
      (error: unknown) => error instanceof PushError && error.kind === 'unauthorized',
    );
    await pushImage(docker, engine.where, target, { username: started.user, password: started.password, from: 'test' });
    assert.deepEqual(await tagsOf(started.authRegistry, 'mlops/auth-push', `${started.user}:${started.password}`), ['v1']);
  });

  test('credentials from ~/.docker/config.json auths and from a credential helper', async (t) => {
    started = startDockerServices(t);
    if (!started) return;
    const configDir = join(temp, 'docker-config');
    mkdirSync(configDir, { recursive: true });
    const auth = Buffer.from(`${started.user}:${started.password}`).toString('base64');
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: { [`http://${started.authRegistry}`]: { auth } } }));
    const fromAuths = await credentialsFromDockerConfig(started.authRegistry, join(configDir, 'config.json'));
    const target = `${started.authRegistry}/mlops/config-push:v1`;
    await localImage('mlops-push-config:v1');
    await tagImage(docker, 'mlops-push-config:v1', target);
    images.add(target);
    await pushImage(docker, engine.where, target, fromAuths);
    assert.deepEqual(await tagsOf(started.authRegistry, 'mlops/config-push', `${started.user}:${started.password}`), ['v1']);

    // A credential helper on PATH, as `docker login` with a credsStore leaves it.
    const bin = join(temp, 'bin');
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-mlopstest');
    writeFileSync(
      helper,
      `#!/bin/sh\nread server\necho "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"${started.user}\\",\\"Secret\\":\\"${started.password}\\"}"\n`,
    );
    chmodSync(helper, 0o755);
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [started.authRegistry]: 'mlopstest' } }));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      const fromHelper = await credentialsFromDockerConfig(started.authRegistry, join(configDir, 'config.json'));
      assert.equal(fromHelper?.username, started.user);
      assert.match(fromHelper?.from ?? '', /docker-credential-mlopstest/);
      await pushImage(docker, engine.where, target, fromHelper);
    } finally {
      process.env.PATH = path;
    }
  });

  test('a registry that is down: one sentence', async (t) => {
    started = startDockerServices(t);
    if (!started) return;
    const target = '127.0.0.1:5599/mlops/nowhere:v1';
    await localImage('mlops-push-down:v1');
    await tagImage(docker, 'mlops-push-down:v1', target);
    images.add(target);
    await assert.rejects(pushImage(docker, engine.where, target, undefined), (error: unknown) => {
      assert.ok(error instanceof PushError);
      assert.equal(error.kind, 'unreachable');
      assert.equal(
        error.message,
        'The registry 127.0.0.1:5599 is not reachable: check its address and that it is running, then push again.',
      );
      return true;
    });
  });

  test('a registry that goes down mid-push: one sentence', async (t) => {
    started = startDockerServices(t);
    if (!started) return;
    const port = 5598;
    const config = join(temp, 'mid.yml');
    writeFileSync(
      config,
      `version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: ${join(temp, 'mid-data')}}}\nhttp: {addr: 127.0.0.1:${port}}\n`,
    );
    extraRegistry = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    await waitFor(
      'the extra registry',
      () =>
        tagsOf(`127.0.0.1:${port}`, 'x')
          .then(() => true)
          .catch(() => undefined),
      20_000,
    );
    const target = `127.0.0.1:${port}/mlops/mid-push:v1`;
    await localImage('mlops-push-mid:v1', 64 << 20);
    await tagImage(docker, 'mlops-push-mid:v1', target);
    images.add(target);
    const registry = extraRegistry;
    await assert.rejects(
      pushImage(docker, engine.where, target, undefined, {
        layer: (l) => {
          if (l.status === 'Pushing' && registry.exitCode === null) registry.kill('SIGKILL');
        },
      }),
      (error: unknown) => error instanceof PushError && error.kind === 'unreachable',
    );
  });
});
