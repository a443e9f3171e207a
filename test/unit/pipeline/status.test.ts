import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { parseDvcLock } from '../../../src/core/pipeline/dvcLock';
import { parseDvcPipeline } from '../../../src/core/pipeline/dvcPipeline';
import { directoryMd5, PathHasher, pythonJsonString } from '../../../src/core/pipeline/hashing';
import { computeStatus, dvcStatusJson, stageParamValues } from '../../../src/core/pipeline/status';

const temp = mkdtempSync(join(tmpdir(), 'mlops-status-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

const DVC_YAML = `stages:
  prepare:
    cmd: python prepare.py
    deps: [raw.csv]
    params: [prepare.split]
    outs: [data.csv]
  train:
    cmd: python train.py
    deps: [data.csv]
    params: [train.lr]
    outs:
      - model.pkl:
          cache: false
  report:
    cmd: python report.py
    deps: [model.pkl]
    outs: [report.md]
    always_changed: true
  archive:
    cmd: tar czf a.tgz model.pkl
    deps: [model.pkl]
    outs: [a.tgz]
    frozen: true
`;

function lockFor(files: Record<string, string>, cmd: Record<string, string> = {}): string {
  const entry = (path: string) =>
    `    - path: ${path}\n      hash: md5\n      md5: ${md5(files[path] ?? '')}\n      size: ${(files[path] ?? '').length}\n`;
  return `schema: '2.0'
stages:
  prepare:
    cmd: ${cmd.prepare ?? 'python prepare.py'}
    deps:
${entry('raw.csv')}    params:
      params.yaml:
        prepare.split: 0.2
    outs:
${entry('data.csv')}  train:
    cmd: python train.py
    deps:
${entry('data.csv')}    params:
      params.yaml:
        train.lr: 0.01
    outs:
${entry('model.pkl')}  archive:
    cmd: tar czf a.tgz model.pkl
    deps:
${entry('model.pkl')}    outs:
${entry('a.tgz')}`;
}

async function setUp(name: string, files: Record<string, string>, lock: string) {
  const dir = join(temp, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  writeFileSync(join(dir, 'dvc.yaml'), DVC_YAML);
  const { pipeline } = await parseDvcPipeline(join(dir, 'dvc.yaml'), DVC_YAML, diskFileAccess);
  return { dir, pipeline, lock: parseDvcLock(join(dir, 'dvc.lock'), lock).lock };
}

const FILES = {
  'raw.csv': 'a,b\n1,2\n',
  'data.csv': 'a\n1\n',
  'model.pkl': 'model',
  'a.tgz': 'archive',
  'report.md': '# r\n',
  'params.yaml': 'prepare:\n  split: 0.2\ntrain:\n  lr: 0.01\n',
};

describe('computeStatus', () => {
  it('says up to date, always changed, and never run from dvc.lock', async () => {
    const { pipeline, lock } = await setUp('fresh', FILES, lockFor(FILES));
    const status = await computeStatus(pipeline, lock, diskFileAccess, { hasher: new PathHasher() });
    assert.deepEqual(
      status.map((s) => [s.stage, s.state, s.reasons]),
      [
        ['prepare', 'up-to-date', []],
        ['train', 'up-to-date', []],
        ['report', 'never-run', ['never run: dvc.lock has no entry for this stage']],
        ['archive', 'frozen', []],
      ],
    );
  });

  it('names the changed dep, param, missing out and command, without blaming downstream stages', async () => {
    const files = { ...FILES, 'raw.csv': 'a,b\n1,3\n', 'params.yaml': 'prepare:\n  split: 0.2\ntrain:\n  lr: 0.02\n' };
    const { pipeline, lock, dir } = await setUp('changed', files, lockFor(FILES, { prepare: 'python old.py' }));
    rmSync(join(dir, 'model.pkl'));
    const status = await computeStatus(pipeline, lock, diskFileAccess, { hasher: new PathHasher() });
    const byName = Object.fromEntries(status.map((s) => [s.stage, s]));
    assert.equal(byName.prepare?.state, 'changed');
    assert.deepEqual(byName.prepare?.reasons, ['deps changed: raw.csv', 'cmd changed']);
    assert.deepEqual(byName.train?.reasons, ['params changed: train.lr', 'outs missing: model.pkl']);
    // Frozen: deps are not checked, outs are.
    assert.equal(byName.archive?.state, 'frozen');
    assert.deepEqual(byName.archive?.reasons, []);
  });

  it('gives current and recorded param values, marking changed ones', async () => {
    const files = { ...FILES, 'params.yaml': 'prepare:\n  split: 0.3\ntrain:\n  lr: 0.01\n' };
    const { pipeline, lock } = await setUp('values', files, lockFor(FILES));
    const prepare = pipeline.stages.find((s) => s.name === 'prepare');
    assert.ok(prepare);
    assert.deepEqual(await stageParamValues(prepare, lock, diskFileAccess), [
      { file: 'params.yaml', key: 'prepare.split', value: 0.3, recorded: 0.2, changed: true },
    ]);
  });

  it('reports a deleted params file and an added key of a whole tracked file', async () => {
    const yaml = 'stages:\n  s:\n    cmd: run\n    params:\n      - other.yaml:\n';
    const dir = join(temp, 'whole');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'other.yaml'), 'a: 1\nb: 2\n');
    const { pipeline } = await parseDvcPipeline(join(dir, 'dvc.yaml'), yaml, diskFileAccess);
    const lock = parseDvcLock(
      join(dir, 'dvc.lock'),
      "schema: '2.0'\nstages:\n  s:\n    cmd: run\n    params:\n      other.yaml:\n        a: 1\n",
    ).lock;
    const [status] = await computeStatus(pipeline, lock, diskFileAccess, { hasher: new PathHasher() });
    assert.deepEqual(status?.reasons, ['params added: b']);
    rmSync(join(dir, 'other.yaml'));
    const [gone] = await computeStatus(pipeline, lock, diskFileAccess, { hasher: new PathHasher() });
    assert.deepEqual(gone?.reasons, ['params file missing: other.yaml']);
  });
});

describe('hashing', () => {
  it('hashes a directory from the JSON list of its files, escaped like Python json.dumps', async () => {
    const dir = join(temp, 'dir-hash');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'b.txt'), 'b');
    writeFileSync(join(dir, 'sub', 'a.txt'), 'a');
    const expected = directoryMd5([
      { relpath: 'b.txt', md5: md5('b') },
      { relpath: 'sub/a.txt', md5: md5('a') },
    ]);
    const json = `[{"md5": "${md5('b')}", "relpath": "b.txt"}, {"md5": "${md5('a')}", "relpath": "sub/a.txt"}]`;
    assert.equal(expected, `${md5(json)}.dir`);
    const hashed = await new PathHasher().hash(dir);
    assert.deepEqual(hashed, { md5: expected, size: 2, nfiles: 2, isDir: true });
    assert.equal(pythonJsonString('é"\n'), '"\\u00e9\\"\\n"');
  });
});

describe('dvcStatusJson', () => {
  it('maps dvc status --json output to stage statuses, filling in up-to-date stages', async () => {
    const { pipeline } = await setUp('json', FILES, lockFor(FILES));
    const output = JSON.stringify({
      train: [
        { 'changed deps': { 'data.csv': 'modified', 'params.yaml': { 'train.lr': 'modified' } } },
        { 'changed outs': { 'model.pkl': 'deleted' } },
      ],
      report: ['always changed'],
      prepare: ['changed command'],
    });
    const status = dvcStatusJson(output, pipeline);
    assert.deepEqual(
      status.map((s) => [s.stage, s.state, s.reasons]),
      [
        ['prepare', 'changed', ['cmd changed']],
        ['train', 'changed', ['deps changed: data.csv', 'params changed: train.lr', 'outs missing: model.pkl']],
        ['report', 'changed', ['always changed']],
        ['archive', 'frozen', []],
      ],
    );
    assert.deepEqual(
      dvcStatusJson('{}', pipeline).map((s) => s.state),
      ['up-to-date', 'up-to-date', 'up-to-date', 'frozen'],
    );
  });
});

describe('.dvcignore', () => {
  it('leaves ignored files out of directory hashes, with negation, anchors and folder patterns', async () => {
    const { DvcIgnore } = await import('../../../src/core/pipeline/dvcIgnore');
    const root = join(temp, 'ignore');
    mkdirSync(join(root, 'data', 'cache'), { recursive: true });
    mkdirSync(join(root, 'data', 'deep', 'cache'), { recursive: true });
    writeFileSync(join(root, '.dvcignore'), '*.log\n!important.log\n/data/cache/\n');
    writeFileSync(join(root, 'data', '.dvcignore'), 'secret*\n');
    const ignore = new DvcIgnore(root);
    const ignored = async (rel: string, dir = false) => ignore.isIgnored(join(root, rel), dir);
    assert.equal(await ignored('data/a.log'), true);
    assert.equal(await ignored('data/important.log'), false);
    assert.equal(await ignored('data/cache', true), true);
    assert.equal(await ignored('data/deep/cache', true), false);
    assert.equal(await ignored('data/secret.txt'), true);
    assert.equal(await ignored('secret.txt'), false);
    assert.equal(await ignored('data/.git', true), true);
    writeFileSync(join(root, 'data', 'deep', 'run.log'), 'x');
    writeFileSync(join(root, 'data', 'deep', 'important.log'), 'x');
    writeFileSync(join(root, 'data', 'deep', 'secret.csv'), 'x');
    writeFileSync(join(root, 'data', 'deep', 'cache', 'kept.csv'), 'x');
    const hashed = await new PathHasher().hash(join(root, 'data', 'deep'), 'md5', ignore);
    assert.equal(hashed?.nfiles, 2);
    assert.equal(
      hashed?.md5,
      directoryMd5([
        { relpath: 'cache/kept.csv', md5: md5('x') },
        { relpath: 'important.log', md5: md5('x') },
      ]),
    );
  });
});
