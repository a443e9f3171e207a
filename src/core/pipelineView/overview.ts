import { join } from 'node:path';
import type { Finding, Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { readDvcLock } from '../pipeline/dvcLock';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { buildStageGraph, findCycles, stageNameOf, topologicalOrder } from '../pipeline/graph';
import type { PathHasher } from '../pipeline/hashing';
import { parseMlproject, type Mlproject } from '../pipeline/mlproject';
import type { PipelineStage, SourceSpan, StageStatus } from '../pipeline/model';
import { computeStatus } from '../pipeline/status';
import { keyNodeAt, nodeAt, parseYaml } from '../yaml/parseYaml';
import { lookupParam, readStructuredFile } from '../params/paramLookup';

/** The reason a stage shows before its status is known. */
export const CHECKING = 'checking…';

/** A param a stage reads, with its current value and whether it differs from dvc.lock. */
export interface ParamEntry {
  /** Params file, absolute. */
  file: string;
  /** Dotted key; undefined for a whole-file entry (`{file: null}`). */
  key?: string;
  /** Current value (undefined when the key is missing from the file). */
  value: unknown;
  missing: boolean;
  changed: boolean;
  span?: SourceSpan;
}

export interface OverviewStage {
  stage: PipelineStage;
  status: StageStatus;
  params: ParamEntry[];
}

/** Everything the Pipelines view shows for one dvc.yaml, in the order it shows it. */
export interface PipelineOverview {
  file: string;
  /** Stages in DAG order (upstream first); stages on a cycle keep the file's order at the end. */
  stages: OverviewStage[];
  /** Names of the stages on each cycle. */
  cycles: string[][];
  /** What the parser could not resolve, and YAML syntax errors. */
  problems: Finding[];
  /** Set when the file could not be read or parsed at all. */
  error?: string;
}

/**
 * Loads one dvc.yaml for the tree: parses it like DVC, computes each stage's status in-process
 * against dvc.lock (no process is started, so this also works in untrusted workspaces and without
 * DVC), and reads the current value of every param a stage lists.
 */
export async function loadPipelineOverview(
  file: string,
  files: FileAccess,
  hasher?: PathHasher,
  options: { status?: boolean } = {},
): Promise<PipelineOverview> {
  const parsed = await readDvcPipeline(file, files);
  if (!parsed) return { file, stages: [], cycles: [], problems: [], error: 'The file could not be read.' };
  const problems = [...parsed.yamlFindings, ...parsed.problems];
  const syntaxError = parsed.yamlFindings.find((f) => f.severity === 'error');
  if (syntaxError && parsed.pipeline.stages.length === 0) {
    return { file, stages: [], cycles: [], problems, error: `line ${syntaxError.range.start.line + 1}: ${syntaxError.message}` };
  }
  const { pipeline } = parsed;
  const graph = buildStageGraph([pipeline]);
  const ordered = topologicalOrder(graph);
  // Every stage ordered means no cycle; only otherwise are the cycles looked for.
  const cycles = ordered.length === graph.nodes.size ? [] : findCycles(graph).map((cycle) => cycle.map((id) => stageNameOf(graph, id)));
  const order = ordered.map((id) => stageNameOf(graph, id));
  if (order.length < pipeline.stages.length) {
    const inOrder = new Set(order);
    for (const s of pipeline.stages) if (!inOrder.has(s.name)) order.push(s.name);
  }
  const byName = new Map<string, PipelineStage>();
  for (const s of pipeline.stages) byName.set(s.name, s);

  let statusOf: Map<string, StageStatus> | undefined;
  if (options.status !== false) {
    let statuses: StageStatus[];
    try {
      const lock = await readDvcLock(file, files);
      statuses = await computeStatus(pipeline, lock?.lock, files, { hasher });
    } catch (error) {
      statuses = pipeline.stages.map((s) => ({ stage: s.name, state: 'unknown', reasons: [`status unavailable: ${String(error)}`] }));
    }
    statusOf = new Map(statuses.map((s) => [s.stage, s]));
  }
  // Every params file any stage reads, read once before the stages are listed; each stage's param
  // entries (values looked up in them) are made when something first reads them (a stage expanded
  // in the tree, "Modify Params"), not for every stage of the first paint.
  const paramsFiles = new Map<string, unknown>();
  for (const stage of pipeline.stages) {
    for (const param of stage.params) {
      const path = join(stage.wdir, param.file);
      if (!paramsFiles.has(path)) paramsFiles.set(path, await readStructuredFile(path, files));
    }
  }

  const stages: OverviewStage[] = [];
  for (const name of order) {
    const stage = byName.get(name);
    if (!stage) continue;
    // The first paint shows the stages at once; hashing deps and reading dvc.lock follow.
    const status =
      statusOf === undefined
        ? { stage: name, state: 'unknown' as const, reasons: [CHECKING] }
        : (statusOf.get(name) ?? { stage: name, state: 'unknown' as const, reasons: [] });
    stages.push(new LazyOverviewStage(stage, status, paramsFiles));
  }
  return { file, stages, cycles, problems };
}

/** A stage of the overview whose param entries are looked up on first read. */
class LazyOverviewStage implements OverviewStage {
  private entries: ParamEntry[] | undefined;

  constructor(
    readonly stage: PipelineStage,
    readonly status: StageStatus,
    private readonly paramsFiles: ReadonlyMap<string, unknown>,
  ) {}

  get params(): ParamEntry[] {
    this.entries ??= paramEntries(this.stage, this.status, this.paramsFiles);
    return this.entries;
  }
}

function paramEntries(stage: PipelineStage, status: StageStatus, paramsFiles: ReadonlyMap<string, unknown>): ParamEntry[] {
  const changedKeys: string[] = [];
  for (const c of status.changes ?? []) if (c.kind === 'params') changedKeys.push(`${c.file ?? 'params.yaml'}:${c.key ?? ''}`);
  const params: ParamEntry[] = [];
  for (const param of stage.params) {
    const paramsFile = join(stage.wdir, param.file);
    const content = paramsFiles.get(paramsFile);
    const found = param.key === undefined ? { found: true as const, value: content } : lookupParam(content, param.key);
    const value = found.found ? found.value : undefined;
    const exact = `${param.file}:${param.key ?? ''}`;
    const below = `${param.file}:${param.key}.`;
    params.push({
      file: paramsFile,
      key: param.key,
      value,
      missing: value === undefined,
      changed: changedKeys.some((k) => k === exact || (param.key !== undefined && k.startsWith(below))),
      span: param.span,
    });
  }
  return params;
}

/** A short, single-line rendering of a param value for a tree description. */
export function formatParamValue(value: unknown, max = 60): string {
  const text =
    typeof value === 'string'
      ? value
      : value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value)
            .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
            .join(', ')
        : (JSON.stringify(value) ?? 'undefined');
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Loads an MLproject for the tree; undefined when it cannot be read. */
export async function loadMlproject(file: string, files: FileAccess): Promise<{ project: Mlproject; problems: Finding[] } | undefined> {
  const text = await files.readText(file);
  if (text === undefined) return undefined;
  const parsed = parseMlproject(file, text);
  return { project: parsed.project, problems: parsed.problems };
}

/** Where a dotted key is written in a YAML file (its key), or undefined when it is not there. */
export function keyRange(file: string, text: string, dotted: string): Range | undefined {
  const parsed = parseYaml(file, text);
  const path = dotted.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const node = keyNodeAt(parsed.doc, path) ?? nodeAt(parsed.doc, path);
  return node?.range ? parsed.lines.range(node.range[0], node.range[1]) : undefined;
}
