import { join, sep } from 'node:path';
import type { DvcPipeline, PipelineStage, StagePath } from './model';

/** A stage in the graph is identified by its dvc.yaml and its DVC name. */
export interface StageNode {
  /** `dvc.yaml path` + `:` + stage name; unique across pipelines. */
  id: string;
  file: string;
  stage: PipelineStage;
}

export interface StageEdge {
  /** The stage that produces the path. */
  from: string;
  /** The stage that depends on it. */
  to: string;
  /** The dep path (absolute) that links them. */
  path: string;
}

export interface OutConflict {
  kind: 'duplicate' | 'overlap';
  /** Absolute paths involved (equal for duplicates; the outer folder first for overlaps). */
  paths: [string, string];
  stages: [string, string];
  outs: [StagePath, StagePath];
}

export interface StageGraph {
  nodes: Map<string, StageNode>;
  edges: StageEdge[];
  /** Producers of each stage's deps (ids). */
  upstream: Map<string, Set<string>>;
  downstream: Map<string, Set<string>>;
  conflicts: OutConflict[];
}

export function stageId(file: string, name: string): string {
  return `${file}:${name}`;
}

/** Absolute path of a dep or out written in a stage (relative to its wdir). */
export function stagePathOf(stage: PipelineStage, path: string): string {
  // join normalizes its result (and normalizing twice changes nothing). Most paths need none: a
  // plain relative path under a normalized folder is the two joined by a slash, as join gives.
  if (isPlainRelative(path) && isNormalizedFolder(stage.wdir)) return stage.wdir === '/' ? `/${path}` : `${stage.wdir}/${path}`;
  return join(stage.wdir, path);
}

/** A relative POSIX path without `.`, `..` or empty segments (a trailing slash is kept by join too). */
function isPlainRelative(path: string): boolean {
  return sep === '/' && PLAIN_RELATIVE.test(path);
}

/** Not empty, not absolute, no `.` or `..` segment, no `//`. */
const PLAIN_RELATIVE = /^(?!\/|\.\.?(?:\/|$))(?![^]*(?:\/\.\.?(?:\/|$)|\/\/))[^]/;

let lastFolder = '';
let lastFolderNormalized = false;

/** An absolute POSIX folder as normalize gives it, without a trailing slash (the stages of a file share one). */
function isNormalizedFolder(folder: string): boolean {
  if (folder !== lastFolder) {
    lastFolder = folder;
    lastFolderNormalized =
      folder === '/' ||
      (folder.charCodeAt(0) === 47 &&
        !folder.endsWith('/') &&
        !folder.endsWith('/.') &&
        !folder.endsWith('/..') &&
        !folder.includes('/./') &&
        !folder.includes('/../') &&
        !folder.includes('//'));
  }
  return lastFolderNormalized;
}

function isInside(child: string, parent: string): boolean {
  return child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** Every artifact a stage writes: outs, metrics and plots. */
export function producedPaths(stage: PipelineStage): StagePath[] {
  return [...stage.outs, ...stage.metrics, ...stage.plots];
}

/**
 * Builds the DAG DVC builds: a stage depends on the stage whose out is its dep, or whose out
 * folder contains its dep (or whose out lies inside the folder it depends on).
 */
export function buildStageGraph(pipelines: DvcPipeline[]): StageGraph {
  const nodes = new Map<string, StageNode>();
  const outs: { id: string; path: string; out: StagePath }[] = [];
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) {
      const id = stageId(pipeline.file, stage.name);
      nodes.set(id, { id, file: pipeline.file, stage });
      for (const list of [stage.outs, stage.metrics, stage.plots]) {
        for (const out of list) outs.push({ id, path: stagePathOf(stage, out.path), out });
      }
    }
  }
  const byPath = new Map<string, { id: string; path: string; out: StagePath }[]>();
  let shortestOut = Infinity;
  // Every folder that holds an out: only a dep or an out that is one of them can contain outs.
  const folders = new Set<string>();
  for (const entry of outs) {
    if (entry.path.length < shortestOut) shortestOut = entry.path.length;
    const same = byPath.get(entry.path);
    if (same) {
      same.push(entry);
      continue;
    }
    byPath.set(entry.path, [entry]);
    for (let cut = entry.path.lastIndexOf(sep); cut >= 0; cut = cut === 0 ? -1 : entry.path.lastIndexOf(sep, cut - 1)) {
      // The root is written with its separator (`/`), any other folder without a trailing one.
      const folder = cut === 0 ? sep : entry.path.slice(0, cut);
      if (folders.has(folder)) break;
      folders.add(folder);
    }
  }
  // The outs sorted by path, made only when a folder holding outs is itself an out or a dep.
  let sortedOuts: { id: string; path: string; out: StagePath }[] | undefined;
  const sorted = (): { id: string; path: string; out: StagePath }[] => {
    sortedOuts ??= [...outs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return sortedOuts;
  };

  const conflicts: OutConflict[] = [];
  for (const entries of byPath.values()) {
    for (let i = 1; i < entries.length; i++) {
      const a = entries[0];
      const b = entries[i];
      if (a && b) conflicts.push({ kind: 'duplicate', paths: [a.path, b.path], stages: [a.id, b.id], outs: [a.out, b.out] });
    }
  }
  // An out lies inside another only when that one is a folder holding outs (`data` or `data/`).
  if ([...byPath.keys()].some((path) => folders.has(path.length > 1 && path.endsWith(sep) ? path.slice(0, -1) : path))) {
    const all = sorted();
    for (let i = 0; i < all.length; i++) {
      const outer = all[i];
      if (!outer) continue;
      for (let j = i + 1; j < all.length; j++) {
        const inner = all[j];
        if (!inner || !inner.path.startsWith(outer.path)) break;
        if (isInside(inner.path, outer.path)) {
          conflicts.push({ kind: 'overlap', paths: [outer.path, inner.path], stages: [outer.id, inner.id], outs: [outer.out, inner.out] });
        }
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
  const producers: string[] = [];
  const add = (id: string): void => {
    if (!producers.includes(id)) producers.push(id);
  };
  for (const node of nodes.values()) {
    for (const dep of node.stage.deps) {
      const path = stagePathOf(node.stage, dep.path);
      // Most deps have one producer or none: a list, with the rare repeat skipped.
      producers.length = 0;
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
      if (folders.has(path)) {
        const all = sorted();
        const prefix = path + sep;
        for (let k = lowerBound(all, prefix); k < all.length; k++) {
          const entry = all[k];
          if (!entry || !entry.path.startsWith(prefix)) break;
          add(entry.id);
        }
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

/**
 * Stages in an order where every stage comes after the stages it depends on; ties keep the
 * order of the files. Stages on a cycle are left out (see `findCycles`).
 */
export function topologicalOrder(graph: StageGraph): string[] {
  const indegree = new Map<string, number>();
  for (const [id, ups] of graph.upstream) indegree.set(id, ups.size);
  const ids = [...graph.nodes.keys()];
  const position = new Map(ids.map((id, i) => [id, i]));
  // The ready stages by file position, in a binary heap: sorting the whole ready list after each
  // stage made a wide pipeline (a foreach of 1,000 stages) quadratic.
  const ready = new PositionHeap();
  ids.forEach((id, i) => {
    if (indegree.get(id) === 0) ready.push(i);
  });
  const order: string[] = [];
  for (let at = ready.pop(); at !== undefined; at = ready.pop()) {
    const id = ids[at] as string;
    order.push(id);
    for (const next of graph.downstream.get(id) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(position.get(next) ?? 0);
    }
  }
  return order;
}

/** A min-heap of positions. */
class PositionHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as number) <= value) break;
      items[i] = items[parent] as number;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] as number) < (items[left] as number) ? right : left;
      if ((items[child] as number) >= last) break;
      items[i] = items[child] as number;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/** Every cycle as the list of its stage ids (strongly connected components with more than one stage). */
export function findCycles(graph: StageGraph): string[][] {
  // Most pipelines have none: when every stage can be ordered there is no cycle to look for.
  if (isAcyclic(graph)) return [];
  let index = 0;
  const indices = new Map<string, number>();
  const lowlink = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const strongConnect = (start: string): void => {
    // Iterative Tarjan so a 2,000-stage chain does not overflow the call stack.
    const work: { id: string; next: string[] }[] = [];
    const visit = (id: string): void => {
      indices.set(id, index);
      lowlink.set(id, index);
      index++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: [...(graph.downstream.get(id) ?? [])] });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (!frame) break;
      const next = frame.next.shift();
      if (next !== undefined) {
        if (!indices.has(next)) visit(next);
        else if (onStack.has(next)) lowlink.set(frame.id, Math.min(lowlink.get(frame.id) ?? 0, indices.get(next) ?? 0));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowlink.set(parent.id, Math.min(lowlink.get(parent.id) ?? 0, lowlink.get(frame.id) ?? 0));
      if (lowlink.get(frame.id) === indices.get(frame.id)) {
        const component: string[] = [];
        for (;;) {
          const member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          component.push(member);
          if (member === frame.id) break;
        }
        if (component.length > 1) cycles.push(component.reverse());
      }
    }
  };
  for (const id of graph.nodes.keys()) if (!indices.has(id)) strongConnect(id);
  return cycles;
}

/** True when every stage can be put after the stages it depends on (Kahn's algorithm, counting only). */
function isAcyclic(graph: StageGraph): boolean {
  const indegree = new Map<string, number>();
  const ready: string[] = [];
  for (const [id, ups] of graph.upstream) {
    indegree.set(id, ups.size);
    if (ups.size === 0) ready.push(id);
  }
  let ordered = 0;
  for (let i = 0; i < ready.length; i++) {
    ordered++;
    for (const next of graph.downstream.get(ready[i] as string) ?? []) {
      const left = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return ordered === graph.nodes.size;
}

/** Every stage the given one needs, nearest first (what `dvc repro <stage>` would consider). */
export function upstreamOf(graph: StageGraph, id: string): string[] {
  return reachable(graph.upstream, id);
}

/** Every stage that needs the given one. */
export function downstreamOf(graph: StageGraph, id: string): string[] {
  return reachable(graph.downstream, id);
}

/** Breadth-first: every id reachable from `id` along `edges`, nearest first, `id` itself left out. */
function reachable(edges: Map<string, Set<string>>, id: string): string[] {
  const seen = new Set<string>([id]);
  const order: string[] = [];
  const queue = [id];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const neighbour of edges.get(next) ?? []) {
      if (seen.has(neighbour)) continue;
      seen.add(neighbour);
      order.push(neighbour);
      queue.push(neighbour);
    }
  }
  return order;
}

/** The stage name part of an id. */
export function stageNameOf(graph: StageGraph, id: string): string {
  return graph.nodes.get(id)?.stage.name ?? id.slice(id.lastIndexOf(':') + 1);
}
