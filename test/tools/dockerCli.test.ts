import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot } from '../support/tools';
import { dockerCli, startDockerServices, stopDockerServices, type DockerServices } from './dockerServices';

const temp = mkdtempSync(join(tmpdir(), 'mlops-docker-cli-'));
const cli = join(repoRoot, 'out', 'src', 'cli', 'cli.js');
let services: DockerServices | undefined;
const images: string[] = [];

function mlops(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? temp,
      env: { ...process.env, DOCKER_CONFIG: join(temp, 'no-config'), ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

after(async () => {
  if (services) {
    for (const image of images) await dockerCli(['rmi', '-f', image]).catch(() => undefined);
    stopDockerServices();
  }
  rmSync(temp, { recursive: true, force: true });
});

describe('mlops image', () => {
  test('build tags the image with the commit and latest, push with --password-stdin', async (t) => {
    services = startDockerServices(t);
    if (!services) return;
    const project = join(temp, 'demo-model');
    execFileSync('git', ['init', '-q', project]);
    writeFileSync(join(project, 'Dockerfile'), 'FROM scratch\nARG VERSION\nLABEL version=$VERSION\nCOPY model.txt /\n');
    writeFileSync(join(project, 'model.txt'), 'weights\n');
    execFileSync('git', ['add', '.'], { cwd: project });
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'model'], { cwd: project });
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: project, encoding: 'utf8' }).trim();
    const built = await mlops(['image', 'build', 'demo-model', '--build-arg', 'VERSION=7', '--json']);
    assert.equal(built.code, 0, built.stderr);
    const result = JSON.parse(built.stdout) as { image: { id: string; tags: string[] } };
    images.push(...result.image.tags);
    assert.deepEqual(result.image.tags, [`demo-model:${sha}`, 'demo-model:latest']);
    const labels = JSON.parse(await dockerCli(['inspect', '--format', '{{json .Config.Labels}}', `demo-model:${sha}`])) as Record<
      string,
      string
    >;
    assert.equal(labels.version, '7');
    assert.match(labels['org.opencontainers.image.revision'] ?? '', new RegExp(`^${sha}`));

    const target = `${services.authRegistry}/team/demo-model:${sha}`;
    await dockerCli(['tag', `demo-model:${sha}`, target]);
    images.push(target);
    const wrong = await mlops(['image', 'push', target, '--username', services.user, '--password-stdin'], { input: 'not-the-password\n' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /did not accept the credentials/);
    assert.ok(!wrong.stderr.includes('not-the-password'));
    const pushed = await mlops(['image', 'push', target, '--username', services.user, '--password-stdin', '--json'], {
      input: `${services.password}\n`,
    });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match((JSON.parse(pushed.stdout) as { pushed: { digest: string } }).pushed.digest, /^sha256:/);
  });

  test('usage errors exit 2, an unreachable engine exits 1 with the sentence', async () => {
    const noRef = await mlops(['image', 'push']);
    assert.equal(noRef.code, 2);
    const password = await mlops(['image', 'push', 'x:1', '--username', 'u']);
    assert.equal(password.code, 2);
    assert.match(password.stderr, /never taken on the command line/);
    writeFileSync(join(temp, 'Dockerfile'), 'FROM scratch\n');
    const down = await mlops(['image', 'build', '.', '--tag', 'x:1'], { env: { DOCKER_HOST: `unix://${join(temp, 'none.sock')}` } });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Docker Engine is not reachable at unix:\/\/.*none\.sock/);
  });
});
