import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { parseDvcPipeline } from '../../../src/core/pipeline/dvcPipeline';
import { repoRoot } from '../../support/tools';

const fixtures = join(repoRoot, 'test', 'fixtures', 'pipelines');

async function parseFixture(name: string) {
  const file = join(fixtures, name, 'dvc.yaml');
  return parseDvcPipeline(file, await fs.readFile(file, 'utf8'), diskFileAccess);
}

async function parseText(text: string, extra: Record<string, string> = {}) {
  const dir = '/virtual/project';
  const files: Record<string, string> = { [join(dir, 'dvc.yaml')]: text };
  for (const [name, content] of Object.entries(extra)) files[join(dir, name)] = content;
  const access = {
    readText: async (path: string) => files[path],
    exists: async (path: string) => path in files,
  };
  return parseDvcPipeline(join(dir, 'dvc.yaml'), text, access);
}

describe('parseDvcPipeline', () => {
  it('generates the stage names DVC generates for foreach and matrix (checked with dvc stage list)', async () => {
    const { pipeline, problems } = await parseFixture('templating');
    assert.deepEqual(problems, []);
    assert.deepEqual(
      pipeline.stages.map((s) => s.name),
      [
        'prepare',
        'train@rf',
        'train@lr',
        'seed@1',
        'seed@2',
        'flag@True',
        'flag@False',
        'literal@true',
        'literal@0.1',
        'literal@1.0',
        'literal@1e-05',
        'literal@x',
        'points@0',
        'points@1',
        'sweep@rf-0.1-opt0',
        'sweep@rf-0.1-opt1',
        'sweep@rf-1.0-opt0',
        'sweep@rf-1.0-opt1',
        'sweep@rf-1e-05-opt0',
        'sweep@rf-1e-05-opt1',
        'sweep@lr-0.1-opt0',
        'sweep@lr-0.1-opt1',
        'sweep@lr-1.0-opt0',
        'sweep@lr-1.0-opt1',
        'sweep@lr-1e-05-opt0',
        'sweep@lr-1e-05-opt1',
        'local',
      ],
    );
  });

  it('interpolates commands exactly as DVC does (floats, bools, dicts as options, matrix key)', async () => {
    const { pipeline } = await parseFixture('templating');
    const cmd = (name: string) => pipeline.stages.find((s) => s.name === name)?.cmd;
    assert.deepEqual(cmd('prepare'), ['echo data demo 0.75']);
    assert.deepEqual(cmd('train@rf'), ['echo rf --depth 3']);
    assert.deepEqual(cmd('flag@False'), ['echo false']);
    assert.deepEqual(cmd('literal@1.0'), ['echo 1.0']);
    assert.deepEqual(cmd('points@1'), ['echo 2 b']);
    assert.deepEqual(cmd('sweep@lr-1e-05-opt1'), ['echo lr 1e-05 lr-1e-05-opt1']);
    assert.deepEqual(cmd('local'), ['echo one', 'echo 5']);
  });

  it('keeps deps, outs with flags, params forms, wdir and stage flags', async () => {
    const { pipeline } = await parseFixture('templating');
    const train = pipeline.stages.find((s) => s.name === 'train@lr');
    assert.ok(train);
    assert.equal(train.template, 'train');
    assert.deepEqual(
      train.params.map((p) => [p.file, p.key]),
      [['params.yaml', 'models.lr']],
    );
    assert.deepEqual(
      train.deps.map((d) => d.path),
      ['data/prepared.txt'],
    );
    assert.deepEqual(
      train.outs.map((o) => [o.path, o.flags]),
      [['model-lr.txt', { cache: false }]],
    );
    const local = pipeline.stages.find((s) => s.name === 'local');
    assert.ok(local);
    assert.equal(local.wdir, join(fixtures, 'templating', 'sub'));
    assert.deepEqual(
      local.params.map((p) => [p.file, p.key]),
      [
        ['params.yaml', 'scale'],
        ['../extra.yaml', 'other.a'],
        ['../params.yaml', undefined],
      ],
    );
    assert.equal(local.frozen, true);
    assert.equal(local.alwaysChanged, true);
    assert.equal(local.desc, 'A local stage');
    // Spans point into dvc.yaml at the written entry.
    assert.equal(train.span?.range.start.line, 9);
    assert.equal(train.params[0]?.span?.range.start.line, 14);
  });

  it('reports an unresolved ${} at its exact range', async () => {
    const text = 'stages:\n  a:\n    cmd: echo ${missing.key} ok\n';
    const { problems, pipeline } = await parseText(text, { 'params.yaml': 'x: 1\n' });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.code, 'dvc-unresolved-interpolation');
    assert.deepEqual(problems[0]?.range, { start: { line: 2, character: 14 }, end: { line: 2, character: 28 } });
    assert.deepEqual(pipeline.stages[0]?.cmd, ['echo ${missing.key} ok']);
  });

  it('reports foreach over a scalar and a stage without cmd', async () => {
    const text = 'stages:\n  a:\n    foreach: ${x}\n    do:\n      cmd: echo\n  b:\n    deps: [f]\n';
    const { problems, pipeline } = await parseText(text, { 'params.yaml': 'x: 1\n' });
    assert.deepEqual(
      problems.map((p) => [p.code, p.range.start.line, p.range.start.character]),
      [
        ['dvc-foreach-type', 2, 13],
        ['dvc-missing-cmd', 5, 2],
      ],
    );
    assert.deepEqual(
      pipeline.stages.map((s) => s.name),
      ['b'],
    );
  });

  it('names list-of-dicts items by index and dict items by key', async () => {
    const text =
      'stages:\n  l:\n    foreach:\n      - {a: 1}\n      - {a: 2}\n    do:\n      cmd: run ${item.a}\n  d:\n    foreach:\n      us: {n: 1}\n      eu: {n: 2}\n    do:\n      cmd: run ${key} ${item.n}\n';
    const { pipeline, problems } = await parseText(text);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      pipeline.stages.map((s) => [s.name, s.cmd[0]]),
      [
        ['l@0', 'run 1'],
        ['l@1', 'run 2'],
        ['d@us', 'run us 1'],
        ['d@eu', 'run eu 2'],
      ],
    );
  });

  it('loads vars files with selected keys and refuses redefinitions', async () => {
    const text = 'vars:\n  - other.yaml:a\n  - {x: 2}\nstages:\n  s:\n    cmd: echo ${a} ${b}\n';
    const { problems } = await parseText(text, { 'params.yaml': 'x: 1\n', 'other.yaml': 'a: 1\nb: 2\n' });
    assert.deepEqual(problems.map((p) => p.code).sort(), ['dvc-unresolved-interpolation', 'dvc-vars-conflict']);
  });

  it('says where the context came from', async () => {
    const { contextSources } = await parseFixture('templating');
    const dir = join(fixtures, 'templating');
    assert.deepEqual(
      contextSources.map((c) => [c.file, c.keys, c.span?.range.start.line]),
      [
        [join(dir, 'params.yaml'), undefined, undefined],
        [join(dir, 'extra.yaml'), ['threshold'], 1],
        [join(dir, 'dvc.yaml'), undefined, 2],
      ],
    );
  });

  it('reads a list index and supports escaped \\${}', async () => {
    const text = 'stages:\n  s:\n    cmd: echo ${xs[1]} \\${literal}\n';
    const { pipeline, problems } = await parseText(text, { 'params.yaml': 'xs: [a, b]\n' });
    assert.deepEqual(problems, []);
    assert.deepEqual(pipeline.stages[0]?.cmd, ['echo b ${literal}']);
  });

  it('survives alias bombs and malformed stages quickly', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    const bomb = `${levels.join('\n')}\n`;
    const started = Date.now();
    const inParams = await parseText('stages:\n  s:\n    cmd: echo ${a[0]}\n', { 'params.yaml': bomb });
    assert.deepEqual(
      inParams.pipeline.stages.map((s) => s.name),
      ['s'],
    );
    const inPipeline = await parseText(`${bomb}stages:\n  s:\n    cmd: echo\n    outs:\n      - x: *l8\n`);
    assert.ok(inPipeline.yamlFindings.some((f) => f.code === 'yaml-alias-bomb'));
    const malformed = await parseText(
      'stages:\n  a: 5\n  b:\n    matrix: [1]\n  c:\n    cmd: {a: b}\n    deps: 5\n    params: [{x: 5}, 3]\n    outs: [{}, [1], null]\n',
    );
    assert.deepEqual(
      malformed.pipeline.stages.map((s) => s.name),
      ['c'],
    );
    assert.deepEqual(
      malformed.problems.map((p) => p.code),
      ['dvc-stage-type', 'dvc-foreach-type'],
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
});
