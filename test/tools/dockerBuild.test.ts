import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { listContext } from '../../src/core/docker/buildContext';
import { connectEngine, EngineUnreachableError, pingEngine, resolveEngine } from '../../src/core/docker/engineConnection';
import { BuildCancelledError, BuildError, buildImage } from '../../src/core/docker/imageBuild';
import { BUILT_BY_LABEL, imageLabels, REVISION_LABEL } from '../../src/core/docker/imageTags';
import { waitFor } from '../support/tools';
import { dockerCli, imageFiles, startDockerServices, stopDockerServices, type DockerServices } from './dockerServices';

const temp = mkdtempSync(join(tmpdir(), 'mlops-docker-build-'));
const images: string[] = [];

function write(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
}

describe('image build against a real Docker Engine', () => {
  let services: DockerServices | undefined;
  before(() => undefined);
  after(async () => {
    if (services) {
      for (const image of images) await dockerCli(['rmi', '-f', image]).catch(() => undefined);
      stopDockerServices();
    }
    rmSync(temp, { recursive: true, force: true });
  });

  const engine = resolveEngine({ env: {}, home: temp });
  const docker = connectEngine(engine);

  test('the context honours .dockerignore exactly as docker build does (negations, **, excluded Dockerfile)', async (t) => {
    services = startDockerServices(t);
    if (!services) return;
    const root = join(temp, 'ignore');
    write(root, {
      Dockerfile: 'FROM scratch\nCOPY . /ctx/\n',
      '.dockerignore': [
        '# build outputs',
        '*.log',
        '!keep.log',
        '**/*.tmp',
        '!deep/keep.tmp',
        'node_modules',
        'data',
        '!data/raw/keep.csv',
        '/docs/*.md',
        'Dockerfile',
        '.dockerignore',
        'cache/**',
        '!cache/**/*.json',
        '',
      ].join('\n'),
      'app.py': 'print(1)\n',
      'error.log': 'x',
      'keep.log': 'x',
      'logs/run.log': 'x',
      'deep/a/b/c.tmp': 'x',
      'deep/a/b/c.txt': 'x',
      'deep/keep.tmp': 'x',
      'node_modules/pkg/index.js': 'x',
      'data/raw/big.csv': 'x',
      'data/raw/keep.csv': 'x',
      'docs/guide.md': 'x',
      'docs/img/figure.md': 'x',
      'cache/a/state.json': '{}',
      'cache/a/blob.bin': 'x',
    });
    const reference = 'mlops-test-ignore:docker-cli';
    const ours = 'mlops-test-ignore:ours';
    images.push(reference, ours);
    await dockerCli(['build', '-q', '-t', reference, root], { env: { DOCKER_BUILDKIT: '0' } });
    await buildImage(docker, engine.where, { context: root, dockerfile: join(root, 'Dockerfile'), tags: [ours] });
    const expected = await imageFiles(reference);
    const actual = await imageFiles(ours);
    assert.deepEqual(actual, expected);
    // What a user checks by hand: the ignored files are gone, the re-included ones are there.
    assert.ok(actual.includes('ctx/keep.log'));
    assert.ok(actual.includes('ctx/deep/keep.tmp'));
    assert.ok(actual.includes('ctx/data/raw/keep.csv'));
    assert.ok(actual.includes('ctx/docs/img/figure.md'));
    for (const gone of [
      'ctx/Dockerfile',
      'ctx/.dockerignore',
      'ctx/error.log',
      'ctx/deep/a/b/c.tmp',
      'ctx/node_modules',
      'ctx/data/raw/big.csv',
      'ctx/docs/guide.md',
    ]) {
      assert.ok(!actual.includes(gone), `${gone} should not be in the image`);
    }
    // The packed entry list (before the engine drops Dockerfile/.dockerignore) names them.
    const packed = await listContext({ root, dockerfile: 'Dockerfile' });
    assert.ok(packed.includes('Dockerfile') && packed.includes('.dockerignore'));
  });

  test('tags and labels land on the image', async (t) => {
    services = startDockerServices(t);
    if (!services) return;
    const root = join(temp, 'labels');
    write(root, { Dockerfile: 'FROM scratch\nCOPY model.txt /model.txt\n', 'model.txt': 'weights' });
    const tags = ['mlops-test-labels:abc1234-dirty', 'mlops-test-labels:latest'];
    images.push(...tags);
    const labels = imageLabels({
      git: { commit: 'abc1234def', short: 'abc1234', dirty: true, source: 'https://example.com/o/r' },
      run: 'mlflow:42',
    });
    const steps: string[] = [];
    const result = await buildImage(
      docker,
      engine.where,
      { context: root, dockerfile: join(root, 'Dockerfile'), tags, labels },
      { step: (s) => steps.push(`${s.step}/${s.total}`) },
    );
    // The engine adds the labels as extra steps after the Dockerfile's own two; progress counts them all.
    assert.deepEqual(steps.slice(0, 2), [`1/${steps.length}`, `2/${steps.length}`]);
    assert.equal(steps.at(-1), `${steps.length}/${steps.length}`);
    const info = await docker.getImage(result.imageId).inspect();
    assert.deepEqual([...(info.RepoTags ?? [])].sort(), [...tags].sort());
    assert.equal(info.Config.Labels?.[BUILT_BY_LABEL], 'true');
    assert.equal(info.Config.Labels?.[REVISION_LABEL], 'abc1234def-dirty');
    assert.equal(info.Config.Labels?.['dev.mlops-workbench.run'], 'mlflow:42');
  });

  test('a failing step is reported with its Dockerfile line', async (t) => {
    services = startDockerServices(t);
    if (!services) return;
    const root = join(temp, 'failing');
    write(root, { Dockerfile: '# syntax comment\nFROM scratch\n\nCOPY present.txt /\nCOPY \\\n  missing.txt /\n', 'present.txt': 'x' });
    await assert.rejects(
      buildImage(docker, engine.where, { context: root, dockerfile: join(root, 'Dockerfile'), tags: ['mlops-test-failing:latest'] }),
      (error: unknown) => {
        assert.ok(error instanceof BuildError);
        assert.equal(error.step?.step, 3);
        assert.equal(error.line, 4);
        assert.match(error.message, /step 3\/3 .* on line 5 of the Dockerfile: .*missing\.txt/);
        return true;
      },
    );
  });

  test('cancel stops a running build', async (t) => {
    services = startDockerServices(t);
    if (!services) return;
    const root = join(temp, 'cancel');
    mkdirSync(root, { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'busybox'));
    write(root, { Dockerfile: 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "600"]\n' });
    const controller = new AbortController();
    let running = false;
    const build = buildImage(
      docker,
      engine.where,
      { context: root, dockerfile: join(root, 'Dockerfile'), tags: ['mlops-test-cancel:latest'] },
      {
        step: (s) => {
          running = s.step === 3;
        },
      },
      controller.signal,
    );
    build.catch(() => undefined);
    await waitFor('the RUN step', () => (running ? true : undefined), 30_000);
    await waitFor('the build container', async () => ((await docker.listContainers()).length > 0 ? true : undefined), 30_000);
    controller.abort();
    await assert.rejects(build, BuildCancelledError);
    await waitFor('no build container left running', async () => ((await docker.listContainers()).length === 0 ? true : undefined), 30_000);
  });

  test('an engine that does not answer gives the one sentence with where', async () => {
    const missing = resolveEngine({ env: { DOCKER_HOST: `unix://${join(temp, 'no-engine.sock')}` }, home: temp });
    await assert.rejects(pingEngine(connectEngine(missing), missing.where), (error: unknown) => {
      assert.ok(error instanceof EngineUnreachableError);
      assert.equal(error.message.split(': ')[0], `Docker Engine is not reachable at unix://${join(temp, 'no-engine.sock')}`);
      return true;
    });
  });
});
