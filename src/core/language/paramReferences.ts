import { basename, isAbsolute, join, normalize } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { LineIndex, Position, Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { DEFAULT_PARAMS_FILE, parseDvcPipeline } from '../pipeline/dvcPipeline';
import { findInterpolations } from '../pipeline/interpolation';
import { readStructuredFile } from '../params/paramLookup';
import { parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { stageWdir } from './languageModel';
import type { FileLocation, TextEditOf } from './types';
import { nodeAtOffset } from './yamlCursor';

/**
 * Find references and rename of a param key: the key in its params file, the entries of stages'
 * `params:` lists that name it, and the `${…}` uses in every dvc.yaml given. Edits touch only the
 * text of one key segment, so comments, quotes and formatting stay as they are.
 */

/** Where a param key is written, with the range of each segment of its dotted path. */
export interface ParamUse {
  file: string;
  /** Absolute path of the params file the use reads. */
  paramsFile: string;
  kind: 'definition' | 'params' | 'interpolation';
  segments: Array<{ text: string; range: Range }>;
}

/** The param under the cursor: its params file and the dotted path up to the segment under the cursor. */
export interface ParamSymbol {
  paramsFile: string;
  path: string[];
  /** The segment under the cursor, which rename replaces. */
  range: Range;
}

const NOT_A_PARAM =
  'Rename and references work on params keys: put the cursor on a key in a params file, an entry of a stage\u2019s params list, or a ${\u2026} use in dvc.yaml.';

/** A key segment a new name may be: no dots, brackets, spaces or YAML indicators. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Segments of a dotted expression (`a.b[0]`), with their offsets in `text`, which starts at `base`. */
function segmentsOf(text: string, base: number, lines: LineIndex): Array<{ text: string; range: Range }> {
  const out: Array<{ text: string; range: Range }> = [];
  for (const match of text.matchAll(/[^.[\]]+/g)) {
    const raw = match[0];
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    const start = base + (match.index ?? 0) + lead;
    out.push({ text: trimmed, range: lines.range(start, start + trimmed.length) });
  }
  return out;
}

/** The segments of a scalar's value as written in the source (inside quotes if quoted). */
function scalarSegments(parsed: ParsedYaml, node: Node): Array<{ text: string; range: Range }> | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = parsed.text.slice(start, end);
  const at = raw.indexOf(node.value);
  if (at < 0 || node.value === '') return undefined;
  return segmentsOf(node.value, start + at, parsed.lines);
}

function resolveIn(wdir: string, path: string): string {
  return normalize(isAbsolute(path) ? path : join(wdir, path));
}

/** Every param use in one dvc.yaml: params-list entries and `${…}` in the stages' strings. */
export async function dvcParamUses(dvcFile: string, files: FileAccess): Promise<ParamUse[]> {
  const text = await files.readText(dvcFile);
  if (text === undefined) return [];
  const parsed = parseYaml(dvcFile, text);
  const stages = isMap(parsed.doc.contents) ? parsed.doc.contents.get('stages', true) : undefined;
  if (!isMap(stages)) return [];
  const uses: ParamUse[] = [];
  const { contextSources } = await parseDvcPipeline(dvcFile, text, files);
  // The file a `${top.…}` reads: the first context source that defines `top` (DVC refuses a key
  // defined twice); none when it is inline vars in the dvc.yaml itself, or undefined.
  const topKeys = new Map<string, Promise<Set<string>>>();
  const keysOf = (file: string): Promise<Set<string>> => {
    let found = topKeys.get(file);
    if (!found) {
      found = readStructuredFile(file, files).then((value) =>
        value !== null && typeof value === 'object' && !Array.isArray(value) ? new Set(Object.keys(value)) : new Set<string>(),
      );
      topKeys.set(file, found);
    }
    return found;
  };
  const sourceOf = async (top: string): Promise<{ file: string } | undefined> => {
    for (const source of contextSources) {
      if (source.keys !== undefined && !source.keys.includes(top)) continue;
      if (source.file === dvcFile) {
        const vars = isMap(parsed.doc.contents) ? parsed.doc.contents.get('vars', true) : undefined;
        if (isSeq(vars) && vars.items.some((item) => isMap(item) && item.has(top))) return undefined;
        continue;
      }
      if ((await keysOf(source.file)).has(top)) return source;
    }
    return undefined;
  };
  const js = (node: unknown): unknown => {
    try {
      return (node as Node).toJSON();
    } catch {
      return undefined;
    }
  };
  for (const stagePair of stages.items) {
    if (!isPair(stagePair) || !isMap(stagePair.value)) continue;
    const stage = stagePair.value;
    const loop = stage.has('foreach') || stage.has('matrix');
    const inner: unknown = stage.get('do', true);
    const body = isMap(inner) ? inner : stage;
    const wdir = stageWdir(dvcFile, js(stage));
    const params = body.get('params', true);
    if (isSeq(params)) {
      for (const item of params.items) {
        if (isScalar(item)) {
          const segments = scalarSegments(parsed, item);
          if (segments && !String(item.value).includes('${'))
            uses.push({ file: dvcFile, paramsFile: join(wdir, DEFAULT_PARAMS_FILE), kind: 'params', segments });
        } else if (isMap(item)) {
          for (const pair of item.items) {
            if (!isPair(pair) || !isScalar(pair.key) || !isSeq(pair.value)) continue;
            const paramsFile = resolveIn(wdir, String(pair.key.value));
            for (const key of pair.value.items) {
              const segments = isScalar(key) ? scalarSegments(parsed, key) : undefined;
              if (segments && !String((key as { value: unknown }).value).includes('${'))
                uses.push({ file: dvcFile, paramsFile, kind: 'params', segments });
            }
          }
        }
      }
    }
    // `${a.b}` in any string of the stage (keys too, for `outs: - ${x}.csv: {cache: false}`).
    const visit = async (node: unknown, depth: number): Promise<void> => {
      if (depth > 64) return;
      if (isMap(node)) {
        for (const pair of node.items) {
          await visit(pair.key, depth + 1);
          await visit(pair.value, depth + 1);
        }
      } else if (isSeq(node)) for (const item of node.items) await visit(item, depth + 1);
      else if (isScalar(node) && typeof node.value === 'string' && node.range && node.value.includes('${')) {
        const [start, end] = node.range;
        const raw = parsed.text.slice(start, end);
        for (const match of findInterpolations(raw)) {
          const first = match.expression.trim().split(/[.[]/)[0];
          if (loop && (first === 'item' || first === 'key')) continue;
          const source = await sourceOf(first ?? '');
          if (!source) continue;
          const segments = segmentsOf(match.expression, start + match.start + 2, parsed.lines);
          if (segments.length > 0) uses.push({ file: dvcFile, paramsFile: source.file, kind: 'interpolation', segments });
        }
      }
    };
    await visit(stage, 0);
  }
  return uses;
}

/** The key at a dotted path in a params file, with each segment's range. */
function definitionIn(parsed: ParsedYaml, path: string[]): ParamUse | undefined {
  let node: unknown = parsed.doc.contents;
  const segments: ParamUse['segments'] = [];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment);
      if (!pair || !isScalar(pair.key)) return undefined;
      const found = scalarSegments(parsed, pair.key as Node);
      const range = found?.length === 1 ? found[0]?.range : undefined;
      if (!range) return undefined;
      segments.push({ text: segment, range });
      node = pair.value;
    } else return undefined;
  }
  return { file: parsed.file, paramsFile: parsed.file, kind: 'definition', segments };
}

function within(range: Range, position: Position): boolean {
  const after = (a: Position, b: Position): boolean => a.line > b.line || (a.line === b.line && a.character >= b.character);
  return after(position, range.start) && after(range.end, position);
}

/** What rename and references need: every use in the workspace's dvc.yaml files, read once. */
export async function collectUses(dvcFiles: string[], files: FileAccess): Promise<ParamUse[]> {
  const uses: ParamUse[] = [];
  for (const file of dvcFiles) uses.push(...(await dvcParamUses(file, files)));
  return uses;
}

/** The param under the cursor, or a sentence saying why there is none. */
export async function paramSymbolAt(
  file: string,
  text: string,
  position: Position,
  uses: ParamUse[],
): Promise<ParamSymbol | { error: string }> {
  for (const use of uses) {
    if (use.file !== file) continue;
    const index = use.segments.findIndex((s) => within(s.range, position));
    const segment = use.segments[index];
    if (segment) return { paramsFile: use.paramsFile, path: use.segments.slice(0, index + 1).map((s) => s.text), range: segment.range };
  }
  const namedByStage = uses.some((u) => u.paramsFile === file);
  if (fileKindOf(file) === 'params' || (namedByStage && fileKindOf(file) === undefined)) {
    const parsed = parseYaml(file, text);
    const at = nodeAtOffset(parsed.doc, parsed.lines.offset(position));
    if (at?.isKey && at.path.every((p) => typeof p === 'string')) {
      const path = at.path as string[];
      const definition = definitionIn(parsed, path);
      const range = definition?.segments[definition.segments.length - 1]?.range;
      if (range) return { paramsFile: file, path, range };
    }
  }
  return { error: NOT_A_PARAM };
}

/** The uses of one param (the key and everything under it), each as the range of the symbol's own segment. */
function matching(symbol: ParamSymbol, uses: ParamUse[]): Array<{ file: string; range: Range; kind: ParamUse['kind'] }> {
  const depth = symbol.path.length;
  const found: Array<{ file: string; range: Range; kind: ParamUse['kind'] }> = [];
  for (const use of uses) {
    if (normalize(use.paramsFile) !== normalize(symbol.paramsFile) || use.segments.length < depth) continue;
    if (!symbol.path.every((s, i) => use.segments[i]?.text === s)) continue;
    const segment = use.segments[depth - 1];
    if (segment) found.push({ file: use.file, range: segment.range, kind: use.kind });
  }
  return found;
}

/** The symbol's definition (when the params file has it) and every use, definition first. */
export async function paramReferences(symbol: ParamSymbol, uses: ParamUse[], files: FileAccess): Promise<FileLocation[]> {
  const all: ParamUse[] = [];
  const text = await files.readText(symbol.paramsFile);
  if (text !== undefined) {
    const definition = definitionIn(parseYaml(symbol.paramsFile, text), symbol.path);
    if (definition) all.push(definition);
  }
  // In each file, in the order they are written.
  const inFiles = [...new Set(uses.map((u) => u.file))];
  const order = (u: ParamUse): number[] => [
    inFiles.indexOf(u.file),
    u.segments[0]?.range.start.line ?? 0,
    u.segments[0]?.range.start.character ?? 0,
  ];
  const sorted = [...uses].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0);
  });
  all.push(...sorted);
  const seen = new Set<string>();
  return matching(symbol, all)
    .map(({ file, range }) => ({ file, range }))
    .filter((l) => {
      const key = `${l.file}:${l.range.start.line}:${l.range.start.character}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The edits renaming the symbol's segment everywhere, or a sentence saying why it cannot be done. */
export async function renameParam(
  symbol: ParamSymbol,
  newName: string,
  uses: ParamUse[],
  files: FileAccess,
): Promise<{ edits: Record<string, TextEditOf[]> } | { error: string }> {
  const name = newName.trim();
  if (!SEGMENT.test(name))
    return { error: `"${newName}" cannot be a param key: use letters, digits, "_" or "-" (a dot would make it a nested key).` };
  const old = symbol.path[symbol.path.length - 1];
  if (name === old) return { edits: {} };
  const text = await files.readText(symbol.paramsFile);
  if (text !== undefined) {
    const parsed = parseYaml(symbol.paramsFile, text);
    const sibling = [...symbol.path.slice(0, -1), name];
    if (definitionIn(parsed, sibling))
      return { error: `${basename(symbol.paramsFile)} already has "${sibling.join('.')}"; choose another name.` };
  }
  const edits: Record<string, TextEditOf[]> = {};
  for (const location of await paramReferences(symbol, uses, files))
    (edits[location.file] ??= []).push({ range: location.range, newText: name });
  return { edits };
}
