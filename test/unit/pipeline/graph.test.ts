import assert from 'node:assert/strict';
import { join, sep } from 'node:path';
import { describe, it, test } from 'node:test';
import {
  buildStageGraph,
  findCycles,
  stageId,
  stagePathOf,
  topologicalOrder,
  upstreamOf,
  downstreamOf,
  type StageEdge,
  type StageGraph,
  type StageNode,
  type OutConflict,
} from '../../../src/core/pipeline/graph';
import type { DvcPipeline, PipelineStage, StagePath } from '../../../src/core/pipeline/model';
import { seededRandom } from '../../support/fuzzInputs';

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

/** The first index whose path is not below `value`. */
function lowerBound(sorted: { path: string }[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid]?.path ?? '') < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isInside(child: string, parent: string): boolean {
  return child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** The graph as it was built before the folders of outs were indexed: what it must still give. */
function referenceGraph(pipelines: DvcPipeline[]): StageGraph {
  const nodes = new Map<string, StageNode>();
  const outs: { id: string; path: string; out: StagePath }[] = [];
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      const id = stageId(pipeline.file, stage.name);
      nodes.set(id, { id, file: pipeline.file, stage });
      for (const out of [...stage.outs, ...stage.metrics, ...stage.plots]) outs.push({ id, path: stagePathOf(stage, out.path), out });
    }
  }
  const byPath = new Map<string, { id: string; path: string; out: StagePath }[]>();
  let shortestOut = Infinity;
  for (const entry of outs) {
    if (entry.path.length < shortestOut) shortestOut = entry.path.length;
    const same = byPath.get(entry.path);
    if (same) same.push(entry);
    else byPath.set(entry.path, [entry]);
  }

  const conflicts: OutConflict[] = [];
  for (const entries of byPath.values()) {
    for (let i = 1; i < entries.length; i++) {
      const a = entries[0];
      const b = entries[i];
      if (a && b) conflicts.push({ kind: 'duplicate', paths: [a.path, b.path], stages: [a.id, b.id], outs: [a.out, b.out] });
    }
  }
  const sorted = [...outs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const outer = sorted[i];
    if (!outer) continue;
    for (let j = i + 1; j < sorted.length; j++) {
      const inner = sorted[j];
      if (!inner || !inner.path.startsWith(outer.path)) break;
      if (isInside(inner.path, outer.path)) {
        conflicts.push({ kind: 'overlap', paths: [outer.path, inner.path], stages: [outer.id, inner.id], outs: [outer.out, inner.out] });
      }
    }
  }

  const edges: StageEdge[] = [];
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  for (const id of nodes.keys()) {
    upstream.set(id, new Set());
    downstream.set(id, new Set());
  }
  for (const node of nodes.values()) {
    for (const dep of node.stage.deps) {
      const path = stagePathOf(node.stage, dep.path);
      // Most deps have one producer or none: a list, with the rare repeat skipped.
      const producers: string[] = [];
      const add = (id: string): void => {
        if (!producers.includes(id)) producers.push(id);
      };
      for (const entry of byPath.get(path) ?? []) add(entry.id);
      // A dep inside an out folder (no out is shorter than the shortest out path), or a dep
      // folder holding an out.
      let parent = path;
      for (let k = 0; k < 64; k++) {
        const cut = parent.lastIndexOf(sep);
        if (cut <= 0 || cut < shortestOut) break;
        parent = parent.slice(0, cut);
        for (const entry of byPath.get(parent) ?? []) add(entry.id);
      }
      const prefix = path + sep;
      for (let k = lowerBound(sorted, prefix); k < sorted.length; k++) {
        const entry = sorted[k];
        if (!entry || !entry.path.startsWith(prefix)) break;
        add(entry.id);
      }
      for (const from of producers) {
        if (from === node.id) continue;
        edges.push({ from, to: node.id, path });
        upstream.get(node.id)?.add(from);
        downstream.get(from)?.add(node.id);
      }
    }
  }
  return { nodes, edges, upstream, downstream, conflicts };
}

test('stage graph: edges, conflicts and neighbours as the plain scan of every out gives them, for 3,000 random pipelines', () => {
  const rnd = seededRandom(3);
  const paths = [
    'data',
    'data/',
    'data/a.csv',
    'data/b',
    'data/b/',
    'data/b/c.csv',
    'database',
    'models',
    'models/m.pkl',
    'x.txt',
    '../p/data/a.csv',
    './data',
    '.',
    'sub/y',
    // From /p: the root, and a file in it.
    '..',
    '../x.txt',
  ];
  // An out that is the root holds every other out.
  const root = [{ file: FILE, stages: [stage('a', [], ['..']), stage('b', ['../p'], ['x.txt'])] }];
  assert.deepEqual(buildStageGraph(root).conflicts, referenceGraph(root).conflicts);
  assert.equal(buildStageGraph(root).conflicts.length, 1);
  const pick = (): string[] => Array.from({ length: rnd(3) }, () => paths[rnd(paths.length)] as string);
  for (let round = 0; round < 3000; round++) {
    const stages = Array.from({ length: 1 + rnd(6) }, (_, i) => {
      const s = stage(`s${i}`, pick(), pick(), rnd(4) === 0 ? '/p/sub' : '/p');
      if (rnd(3) === 0) s.metrics = pick().map((path) => ({ path }));
      return s;
    });
    const pipelines = [{ file: FILE, stages }];
    const got = buildStageGraph(pipelines);
    const expected = referenceGraph(pipelines);
    assert.deepEqual(got.edges, expected.edges, `round ${round}`);
    assert.deepEqual(got.conflicts, expected.conflicts, `round ${round}`);
    assert.deepEqual(got.upstream, expected.upstream, `round ${round}`);
    assert.deepEqual(got.downstream, expected.downstream, `round ${round}`);
  }
});
