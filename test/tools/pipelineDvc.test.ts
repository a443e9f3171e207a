import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { diskFileAccess } from '../../src/core/fileAccess';
import { readDvcLock } from '../../src/core/pipeline/dvcLock';
import { parseDvcPipeline } from '../../src/core/pipeline/dvcPipeline';
import { PathHasher } from '../../src/core/pipeline/hashing';
import type { StageStatus } from '../../src/core/pipeline/model';
import { computeStatus, dvcStatusJson } from '../../src/core/pipeline/status';
import { repoRoot, requireTool } from '../support/tools';

const temp = mkdtempSync(join(tmpdir(), 'mlops-pipeline-dvc-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const env = {
  ...process.env,
  DVC_NO_ANALYTICS: '1',
  WINE_QUALITY_MLFLOW: '0',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};
const SKIP = new Set(['artifacts', 'mlruns', 'mlflow.db', '.mlops', 'dvc.lock', '__pycache__']);

function run(cwd: string, command: string, args: string[]): string {
  return execFileSync(command, args, {
    cwd,
    env: { ...env, PATH: `${join(repoRoot, '.venv', 'bin')}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A fresh Git + DVC repository holding a copy of a folder. */
function repository(source: string, name: string): string {
  const dir = join(temp, name);
  cpSync(source, dir, { recursive: true, filter: (path) => !SKIP.has(basename(path)) });
  run(dir, 'git', ['init', '-q']);
  try {
    readFileSync(join(dir, '.dvc', 'config'));
  } catch {
    run(dir, 'dvc', ['init', '-q']);
  }
  run(dir, 'git', ['add', '-A']);
  run(dir, 'git', ['commit', '-qm', 'initial']);
  return dir;
}

async function parse(dir: string) {
  const file = join(dir, 'dvc.yaml');
  return parseDvcPipeline(file, readFileSync(file, 'utf8'), diskFileAccess);
}

async function ourStatus(dir: string): Promise<StageStatus[]> {
  const { pipeline } = await parse(dir);
  const lock = await readDvcLock(pipeline.file, diskFileAccess);
  return computeStatus(pipeline, lock?.lock, diskFileAccess, { hasher: new PathHasher() });
}

async function dvcStatus(dir: string): Promise<StageStatus[]> {
  const { pipeline } = await parse(dir);
  return dvcStatusJson(run(dir, 'dvc', ['status', '--json']), pipeline);
}

/** Stage → sorted `kind path/key change` lines, for stages that are not up to date. */
function summary(statuses: StageStatus[]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const status of statuses) {
    if (status.state === 'up-to-date') continue;
    result[status.stage] = (status.changes ?? []).map((c) => `${c.kind} ${c.key ?? c.path ?? c.file ?? ''} ${c.change}`).sort();
  }
  return result;
}

function needDvc(t: TestContext): boolean {
  return requireTool(t, 'dvc') !== undefined;
}

describe('dvc.yaml parsing agrees with DVC', () => {
  test('stage names of the example project equal dvc stage list', async (t) => {
    if (!needDvc(t)) return;
    const dir = repository(join(repoRoot, 'examples', 'wine-quality'), 'names-example');
    const dvcNames = run(dir, 'dvc', ['stage', 'list', '--name-only']).trim().split('\n');
    const { pipeline, problems } = await parse(dir);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      pipeline.stages.map((s) => s.name),
      dvcNames,
    );
  });

  test('foreach, matrix and vars names and commands equal DVC', async (t) => {
    if (!needDvc(t)) return;
    const dir = repository(join(repoRoot, 'test', 'fixtures', 'pipelines', 'templating'), 'names-templating');
    const dvcNames = run(dir, 'dvc', ['stage', 'list', '--name-only']).trim().split('\n');
    const { pipeline } = await parse(dir);
    assert.deepEqual(
      pipeline.stages.map((s) => s.name),
      dvcNames,
    );
    const script =
      'import json\nfrom dvc.repo import Repo\nprint(json.dumps({s.addressing: [s.cmd if isinstance(s.cmd, list) else [s.cmd], s.wdir] for s in Repo(".").index.stages}))';
    const dvcStages = JSON.parse(run(dir, join(repoRoot, '.venv', 'bin', 'python'), ['-c', script])) as Record<string, [string[], string]>;
    for (const stage of pipeline.stages) {
      const expected = dvcStages[stage.name];
      assert.ok(expected, stage.name);
      assert.deepEqual(stage.cmd, expected[0], `cmd of ${stage.name}`);
      assert.equal(stage.wdir, expected[1], `wdir of ${stage.name}`);
    }
  });
});

describe('in-process status agrees with dvc status', () => {
  test('the example project: never run, up to date after repro, then a param, a dep and an out changed', async (t) => {
    if (!needDvc(t)) return;
    const dir = repository(join(repoRoot, 'examples', 'wine-quality'), 'status-example');
    const before = await ourStatus(dir);
    assert.deepEqual(
      before.map((s) => s.state),
      before.map(() => 'never-run'),
    );

    run(dir, 'dvc', ['repro', '-q']);
    assert.equal(run(dir, 'dvc', ['status', '--json']).trim(), '{}');
    const fresh = await ourStatus(dir);
    assert.deepEqual(
      fresh.map((s) => [s.stage, s.state]),
      fresh.map((s) => [s.stage, 'up-to-date']),
    );

    const params = join(dir, 'params.yaml');
    writeFileSync(params, readFileSync(params, 'utf8').replace('n_estimators: 20', 'n_estimators: 25'));
    writeFileSync(join(dir, 'src', 'train.py'), `${readFileSync(join(dir, 'src', 'train.py'), 'utf8')}\n# tuned\n`);
    rmSync(join(dir, 'artifacts', 'data_validation', 'status.json'));

    const ours = summary(await ourStatus(dir));
    const theirs = summary(await dvcStatus(dir));
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours['train@rf'], [
      'deps artifacts/data_validation/status.json deleted',
      'deps src/train.py modified',
      'params models.rf modified',
    ]);
    const rf = (await ourStatus(dir)).find((s) => s.stage === 'train@rf');
    assert.ok(rf?.reasons.includes('params changed: models.rf'));
    assert.ok(rf?.reasons.includes('deps changed: src/train.py'));
    assert.equal(ours['train@logreg']?.includes('params models.logreg modified'), false);
  });

  test('directory outs, CRLF text deps, whole params files, cmd changes and frozen stages match DVC', async (t) => {
    if (!needDvc(t)) return;
    const source = join(temp, 'hashing-source');
    mkdirSync(join(source, 'input', 'nested'), { recursive: true });
    writeFileSync(join(source, 'input', 'a.txt'), 'line one\r\nline two\r\n');
    writeFileSync(join(source, 'input', 'nested', 'b.bin'), Buffer.from([0, 1, 2, 13, 10, 255]));
    writeFileSync(join(source, 'input', 'nested', 'é ü.txt'), 'unicode name\n');
    mkdirSync(join(source, 'input', 'nested', 'skip'), { recursive: true });
    mkdirSync(join(source, 'input', 'build'), { recursive: true });
    writeFileSync(join(source, 'input', 'scratch.tmp'), 'ignored');
    writeFileSync(join(source, 'input', 'keep.tmp'), 'kept again');
    writeFileSync(join(source, 'input', 'nested', 'skip', 'y.txt'), 'ignored');
    writeFileSync(join(source, 'input', 'build', 'm.o'), 'ignored');
    writeFileSync(join(source, '.dvcignore'), '# scratch files\n*.tmp\n!keep.tmp\n/input/nested/skip/\nbuild/\n');
    writeFileSync(join(source, 'params.yaml'), 'lr: 0.1\nepochs: 3\n');
    writeFileSync(join(source, 'extra.yaml'), 'alpha: 1\nbeta: [1, 2]\n');
    writeFileSync(
      join(source, 'dvc.yaml'),
      [
        'stages:',
        '  copy:',
        '    cmd: mkdir -p out && cp -r input/* out/ && echo done > out/stamp.txt',
        '    deps: [input]',
        '    params: [lr, {extra.yaml: }]',
        '    outs: [out]',
        '  count:',
        '    cmd: ls -R out > count.txt',
        '    deps: [out]',
        '    outs: [count.txt]',
        '  frozen:',
        '    cmd: echo frozen > frozen.txt',
        '    deps: [input/a.txt]',
        '    outs: [frozen.txt]',
        '    frozen: false',
        '',
      ].join('\n'),
    );
    const dir = repository(source, 'status-hashing');
    run(dir, 'dvc', ['repro', '-q']);
    assert.deepEqual(summary(await ourStatus(dir)), {});

    const dvcYaml = join(dir, 'dvc.yaml');
    writeFileSync(
      dvcYaml,
      readFileSync(dvcYaml, 'utf8').replace('ls -R out > count.txt', 'ls -R out >count.txt').replace('frozen: false', 'frozen: true'),
    );
    writeFileSync(join(dir, 'extra.yaml'), 'alpha: 2\nbeta: [1, 2]\ngamma: 3\n');
    writeFileSync(join(dir, 'input', 'a.txt'), 'line one\nline two\n');
    writeFileSync(join(dir, 'out', 'stamp.txt'), 'changed\n');
    // Ignored files change nothing for DVC, and so for us.
    writeFileSync(join(dir, 'input', 'other.tmp'), 'ignored too');
    writeFileSync(join(dir, 'input', 'build', 'n.o'), 'ignored too');
    const ours = summary(await ourStatus(dir));
    const theirs = summary(await dvcStatus(dir));
    assert.deepEqual(ours, theirs);
    assert.ok(ours.copy?.includes('deps input modified'));
    assert.ok(ours.copy?.includes('params alpha modified'));
    assert.ok(ours.copy?.includes('params gamma new'));
    assert.ok(ours.count?.includes('cmd  modified'));
  });

  test('a nested dvc.yaml with wdir, checked from the repository root, and a stage added after the last run', async (t) => {
    if (!needDvc(t)) return;
    const source = join(temp, 'nested-source');
    mkdirSync(join(source, 'sub', 'work'), { recursive: true });
    writeFileSync(join(source, 'sub', 'data.txt'), 'one\n');
    writeFileSync(join(source, 'sub', 'params.yaml'), 'x: 1\ny: {z: 2}\n');
    writeFileSync(join(source, 'sub', 'work', 'params.yaml'), 'w: 1\n');
    const stages = [
      'stages:',
      '  a:',
      '    cmd: cat data.txt > a.txt',
      '    deps: [data.txt]',
      '    params: [x]',
      '    outs: [a.txt]',
      '  b:',
      '    wdir: work',
      '    cmd: cat ../a.txt > b.txt',
      '    deps: [../a.txt]',
      '    params: [w]',
      '    outs: [b.txt]',
      '',
    ];
    writeFileSync(join(source, 'sub', 'dvc.yaml'), stages.join('\n'));
    const dir = repository(source, 'status-nested');
    run(dir, 'dvc', ['repro', '-q', 'sub/dvc.yaml']);
    const sub = join(dir, 'sub');
    const added = [...stages.slice(0, -1), '  c:', '    cmd: echo ${y.z} > c.txt', '    params: [y.z]', '    outs: [c.txt]', ''];
    writeFileSync(join(sub, 'dvc.yaml'), added.join('\n'));
    writeFileSync(join(sub, 'params.yaml'), 'x: 5\ny: {z: 2}\n');
    writeFileSync(join(sub, 'work', 'params.yaml'), 'w: 2\n');
    writeFileSync(join(sub, 'data.txt'), 'two\n');
    const { pipeline } = await parse(sub);
    const lock = (await readDvcLock(pipeline.file, diskFileAccess))?.lock;
    const theirs = dvcStatusJson(run(dir, 'dvc', ['status', '--json']), pipeline, { cwd: dir, ...(lock ? { lock } : {}) });
    const ours = await ourStatus(sub);
    assert.deepEqual(summary(ours), summary(theirs));
    assert.deepEqual(
      ours.map((s) => [s.stage, s.state]),
      [
        ['a', 'changed'],
        ['b', 'changed'],
        ['c', 'never-run'],
      ],
    );
    assert.deepEqual(summary(ours).b, ['params w modified']);
  });
});
