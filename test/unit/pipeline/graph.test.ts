import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import {
  buildStageGraph,
  findCycles,
  stageId,
  stagePathOf,
  topologicalOrder,
  upstreamOf,
  downstreamOf,
} from '../../../src/core/pipeline/graph';
import type { DvcPipeline, PipelineStage } from '../../../src/core/pipeline/model';

const FILE = '/p/dvc.yaml';

function stage(name: string, deps: string[], outs: string[], wdir = '/p'): PipelineStage {
  return {
    name,
    cmd: [`run ${name}`],
    wdir,
    deps: deps.map((path) => ({ path })),
    outs: outs.map((path) => ({ path })),
    metrics: [],
    plots: [],
    params: [],
    frozen: false,
    alwaysChanged: false,
  };
}

const id = (name: string) => stageId(FILE, name);
const names = (ids: string[]) => ids.map((i) => i.slice(FILE.length + 1));

describe('stage graph', () => {
  it('links a dep to the stage producing it, also inside an out folder and across wdirs', () => {
    const pipeline: DvcPipeline = {
      file: FILE,
      stages: [
        stage('evaluate', ['models/rf.joblib', 'data/test.csv'], ['metrics.json']),
        stage('train', ['../data/prepared/train.csv'], ['rf.joblib'], '/p/models'),
        stage('prepare', ['raw.csv'], ['data/prepared', 'data/test.csv']),
        stage('report', ['data'], ['report.md']),
      ],
    };
    const graph = buildStageGraph([pipeline]);
    assert.deepEqual(names([...(graph.upstream.get(id('evaluate')) ?? [])]).sort(), ['prepare', 'train']);
    assert.deepEqual(names([...(graph.upstream.get(id('train')) ?? [])]), ['prepare']);
    assert.deepEqual(names([...(graph.upstream.get(id('report')) ?? [])]), ['prepare']);
    assert.deepEqual(names(topologicalOrder(graph)), ['prepare', 'train', 'evaluate', 'report']);
    assert.deepEqual(names(upstreamOf(graph, id('evaluate'))).sort(), ['prepare', 'train']);
    assert.deepEqual(names(downstreamOf(graph, id('prepare'))).sort(), ['evaluate', 'report', 'train']);
    assert.deepEqual(findCycles(graph), []);
  });

  it('finds cycles and leaves their stages out of the order', () => {
    const graph = buildStageGraph([
      {
        file: FILE,
        stages: [
          stage('a', ['c.txt'], ['a.txt']),
          stage('b', ['a.txt'], ['b.txt']),
          stage('c', ['b.txt'], ['c.txt']),
          stage('d', [], ['d.txt']),
        ],
      },
    ]);
    const cycles = findCycles(graph);
    assert.equal(cycles.length, 1);
    assert.deepEqual(names(cycles[0] ?? []).sort(), ['a', 'b', 'c']);
    assert.deepEqual(names(topologicalOrder(graph)), ['d']);
  });

  it('reports duplicate and overlapping outs', () => {
    const graph = buildStageGraph([
      {
        file: FILE,
        stages: [stage('a', [], ['data/x.csv']), stage('b', [], ['data/x.csv']), stage('c', [], ['data']), stage('d', [], ['database'])],
      },
    ]);
    const found = graph.conflicts.map((c) => [c.kind, names(c.stages).join(',')]).sort();
    assert.deepEqual(found, [
      ['duplicate', 'a,b'],
      ['overlap', 'c,a'],
      ['overlap', 'c,b'],
    ]);
  });

  it('orders a 2,000-stage chain without overflowing the stack', () => {
    const stages = Array.from({ length: 2000 }, (_, i) => stage(`s${i}`, i === 0 ? [] : [`o${i - 1}`], [`o${i}`]));
    const graph = buildStageGraph([{ file: FILE, stages: stages.reverse() }]);
    const order = names(topologicalOrder(graph));
    assert.equal(order.length, 2000);
    assert.equal(order[0], 's0');
    assert.equal(order[1999], 's1999');
    assert.deepEqual(findCycles(graph), []);
  });
});

test('stagePathOf gives what path.join gives, for plain and unusual paths and folders', () => {
  const folders = ['/repo', '/', '/repo/sub/', '/repo/./sub', '/repo/../x', '/repo//sub', 'relative/dir', '/repo/.', '/repo/..'];
  const paths = [
    'data/raw.csv',
    'data/',
    'a',
    './a',
    '../a',
    'a/../b',
    'a/./b',
    'a//b',
    '/abs/p',
    '.',
    '..',
    'a/.',
    'a/..',
    '',
    'sub/.hidden',
    '..a/b',
    'a../b',
    '.a',
  ];
  for (const wdir of folders) {
    for (const path of paths) {
      assert.equal(stagePathOf({ ...stage('s', [], [], wdir) }, path), join(wdir, path), `${wdir} + ${path}`);
    }
  }
});
