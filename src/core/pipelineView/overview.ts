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
  const cycles = findCycles(graph).map((cycle) => cycle.map((id) => stageNameOf(graph, id)));
  const ordered = topologicalOrder(graph).map((id) => stageNameOf(graph, id));
  const inOrder = new Set(ordered);
  const onCycle = pipeline.stages.map((s) => s.name).filter((name) => !inOrder.has(name));
  const order = [...ordered, ...onCycle];
  const byName = new Map(pipeline.stages.map((s) => [s.name, s]));

  let statuses: StageStatus[];
  if (options.status === false) {
    // The first paint shows the stages at once; hashing deps and reading dvc.lock follow.
    statuses = pipeline.stages.map((s) => ({ stage: s.name, state: 'unknown', reasons: [CHECKING] }));
  } else {
    try {
      const lock = await readDvcLock(file, files);
      statuses = await computeStatus(pipeline, lock?.lock, files, { hasher });
    } catch (error) {
      statuses = pipeline.stages.map((s) => ({ stage: s.name, state: 'unknown', reasons: [`status unavailable: ${String(error)}`] }));
    }
  }
  const statusOf = new Map(statuses.map((s) => [s.stage, s]));
  const paramsFiles = new Map<string, Promise<unknown>>();
  const readParams = (path: string): Promise<unknown> => {
    let value = paramsFiles.get(path);
    if (!value) {
      value = readStructuredFile(path, files);
      paramsFiles.set(path, value);
    }
    return value;
  };

  const stages: OverviewStage[] = [];
  for (const name of order) {
    const stage = byName.get(name);
    if (!stage) continue;
    const status = statusOf.get(name) ?? { stage: name, state: 'unknown' as const, reasons: [] };
    const changedKeys = new Set(
      (status.changes ?? []).filter((c) => c.kind === 'params').map((c) => `${c.file ?? 'params.yaml'}:${c.key ?? ''}`),
    );
    const params: ParamEntry[] = [];
    for (const param of stage.params) {
      const paramsFile = join(stage.wdir, param.file);
      const content = await readParams(paramsFile);
      const found = param.key === undefined ? { found: true as const, value: content } : lookupParam(content, param.key);
      const value = found.found ? found.value : undefined;
      params.push({
        file: paramsFile,
        key: param.key,
        value,
        missing: value === undefined,
        changed:
          changedKeys.has(`${param.file}:${param.key ?? ''}`) ||
          [...changedKeys].some((k) => param.key !== undefined && k.startsWith(`${param.file}:${param.key}.`)),
        span: param.span,
      });
    }
    stages.push({ stage, status, params });
  }
  return { file, stages, cycles, problems };
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
