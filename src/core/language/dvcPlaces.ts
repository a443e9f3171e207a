import { isAbsolute, join, normalize, relative, dirname, basename } from 'node:path';
import { isMap, isScalar, isSeq } from 'yaml';
import type { Position, Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { DEFAULT_PARAMS_FILE, parseDvcPipeline, type DvcPipelineParse } from '../pipeline/dvcPipeline';
import { findInterpolations } from '../pipeline/interpolation';
import type { PipelineStage } from '../pipeline/model';
import { nodeAt, parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { keyRange, loadYaml, lookup, splitKey, stageOf, stageWdir } from './languageModel';
import type { FileLocation } from './types';
import { nodeAtOffset } from './yamlCursor';

/** What the cursor is on in a dvc.yaml, with everything hover and definition need about it. */
export type DvcPlace =
  | { kind: 'interpolation'; expression: string; range: Range; stage?: string }
  | { kind: 'param'; paramsFile: string; key: string; range: Range }
  | { kind: 'paramsFile'; paramsFile: string; range: Range }
  | { kind: 'stage'; stage: string; range: Range }
  | { kind: 'dep'; path: string; wdir: string; range: Range }
  | { kind: 'key'; path: Array<string | number>; range: Range };

export interface DvcDocument {
  file: string;
  parsed: ParsedYaml;
  parse: DvcPipelineParse;
}

export async function readDvcDocument(file: string, text: string, files: FileAccess): Promise<DvcDocument> {
  return { file, parsed: parseYaml(file, text), parse: await parseDvcPipeline(file, text, files) };
}

export function dvcPlaceAt(doc: DvcDocument, position: Position): DvcPlace | undefined {
  const { parsed } = doc;
  const offset = parsed.lines.offset(position);
  const at = nodeAtOffset(parsed.doc, offset);
  const stage = at ? stageOf(at.path) : undefined;
  // `${a.b}` anywhere on the line under the cursor.
  const lineStart = parsed.lines.offset({ line: position.line, character: 0 });
  const lineText = parsed.text.slice(
    lineStart,
    parsed.text.indexOf('\n', lineStart) === -1 ? undefined : parsed.text.indexOf('\n', lineStart),
  );
  for (const match of findInterpolations(lineText)) {
    if (match.start <= position.character && position.character <= match.end) {
      return {
        kind: 'interpolation',
        expression: match.expression.trim(),
        range: { start: { line: position.line, character: match.start }, end: { line: position.line, character: match.end } },
        ...(stage ? { stage: stage.stage } : {}),
      };
    }
  }
  if (!at) return undefined;
  const r = at.node.range;
  const range = r ? parsed.lines.range(r[0], r[1]) : { start: position, end: position };
  if (at.path.length === 2 && at.path[0] === 'stages' && at.isKey) return { kind: 'stage', stage: String(at.path[1]), range };
  if (stage) {
    const definition = (parsed.doc.toJS({ maxAliasCount: 1000 }) as { stages?: Record<string, unknown> } | null)?.stages?.[stage.stage];
    const wdir = stageWdir(doc.file, definition);
    const rest = stage.rest;
    const value = isScalar(at.node) ? String(at.node.value) : '';
    if (rest[0] === 'params' && typeof rest[1] === 'number') {
      if (rest.length === 2 && !at.isKey) return { kind: 'param', paramsFile: join(wdir, DEFAULT_PARAMS_FILE), key: value, range };
      if (rest.length === 3 && at.isKey) return { kind: 'paramsFile', paramsFile: resolveIn(wdir, value), range };
      if (rest.length === 5 && !at.isKey && typeof rest[2] === 'string')
        return { kind: 'param', paramsFile: resolveIn(wdir, rest[2]), key: value, range };
    }
    if (rest[0] === 'deps' && typeof rest[1] === 'number' && (rest.length === 2 || (rest.length === 3 && at.isKey)))
      return { kind: 'dep', path: value, wdir, range };
  }
  if (at.isKey) return { kind: 'key', path: at.path, range };
  return undefined;
}

function resolveIn(wdir: string, path: string): string {
  return normalize(isAbsolute(path) ? path : join(wdir, path));
}

/** A param's value and the line it is written on. */
export async function paramLookup(
  paramsFile: string,
  key: string,
  files: FileAccess,
): Promise<{ found: boolean; value?: unknown; location?: FileLocation } | undefined> {
  const loaded = await loadYaml(paramsFile, files);
  if (!loaded) return undefined;
  const segments = splitKey(key);
  const found = lookup(loaded.value, segments);
  const range = keyRange(loaded.parsed, segments);
  return { ...found, ...(range ? { location: { file: paramsFile, range } } : {}) };
}

/** Where a `${a.b}` comes from: params.yaml, a vars file, inline vars, or the stage's foreach/matrix. */
export async function interpolationSource(
  doc: DvcDocument,
  expression: string,
  stage: string | undefined,
  files: FileAccess,
): Promise<{ value?: unknown; found: boolean; location?: FileLocation; loop?: string }> {
  const segments = splitKey(expression);
  if (stage !== undefined && (segments[0] === 'item' || segments[0] === 'key')) {
    const stageNode = nodeAt(doc.parsed.doc, ['stages', stage]);
    if (isMap(stageNode)) {
      const loopKey = stageNode.has('matrix') ? 'matrix' : stageNode.has('foreach') ? 'foreach' : undefined;
      if (loopKey !== undefined) {
        const range = keyRange(doc.parsed, ['stages', stage, loopKey]);
        return { found: true, loop: loopKey, ...(range ? { location: { file: doc.file, range } } : {}) };
      }
    }
  }
  const found = lookup(doc.parse.context, segments);
  for (const source of doc.parse.contextSources) {
    if (source.keys !== undefined && !source.keys.includes(segments[0] ?? '')) continue;
    if (source.file === doc.file) {
      const vars = nodeAt(doc.parsed.doc, ['vars']);
      if (!isSeq(vars)) continue;
      for (const item of vars.items) {
        const range = isMap(item) ? keyRange(doc.parsed, segments, item) : undefined;
        if (range) return { ...found, location: { file: doc.file, range } };
      }
      continue;
    }
    const loaded = await loadYaml(source.file, files);
    const range = loaded ? keyRange(loaded.parsed, segments) : undefined;
    if (range) return { ...found, location: { file: source.file, range } };
  }
  return found;
}

/** The stage and out entry that produce a path, relative to a stage's folder. */
export function producerOf(
  pipeline: PipelineStage[],
  path: string,
  wdir: string,
): { stage: PipelineStage; location: FileLocation } | undefined {
  const wanted = resolveIn(wdir, path).replace(/[\\/]+$/, '');
  for (const stage of pipeline) {
    for (const out of [...stage.outs, ...stage.metrics, ...stage.plots]) {
      if (resolveIn(stage.wdir, out.path).replace(/[\\/]+$/, '') === wanted && out.span) return { stage, location: out.span };
    }
  }
  return undefined;
}

/** `params.yaml:3` relative to the dvc.yaml, for hover text. */
export function shownLocation(from: string, location: FileLocation): string {
  const rel = relative(dirname(from), location.file) || basename(location.file);
  return `${rel}:${location.range.start.line + 1}`;
}
