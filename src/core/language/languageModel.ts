import { dirname, isAbsolute, join, normalize } from 'node:path';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import dvcSchema from '../../../schemas/dvc.schema.json';
import type { Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { lookupParam } from '../params/paramLookup';

/** A params or vars file read for completion, hover and definition. */
export interface LoadedYaml {
  parsed: ParsedYaml;
  value: unknown;
}

export async function loadYaml(path: string, files: FileAccess): Promise<LoadedYaml | undefined> {
  const text = await files.readText(path);
  if (text === undefined) return undefined;
  const parsed = parseYaml(path, text);
  return { parsed, value: parsed.value ?? safeJs(parsed) };
}

/** A document with errors still has a usable value for look-ups (e.g. while one line is half-typed). */
function safeJs(parsed: ParsedYaml): unknown {
  try {
    return parsed.doc.toJS({ maxAliasCount: 1000 });
  } catch {
    return undefined;
  }
}

/** Every dotted key with its value, leaves and parents, in file order. */
export function dottedEntries(value: unknown, prefix = '', into: Array<[string, unknown]> = [], depth = 0): Array<[string, unknown]> {
  if (depth > 32 || value === null || typeof value !== 'object' || Array.isArray(value)) return into;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const dotted = prefix === '' ? key : `${prefix}.${key}`;
    into.push([dotted, child]);
    dottedEntries(child, dotted, into, depth + 1);
  }
  return into;
}

/** Looks a dotted (or `a[0]`) key up in plain data. */
export function lookup(value: unknown, segments: string[]): { found: boolean; value?: unknown } {
  return lookupParam(value, segments);
}

export function splitKey(key: string): string[] {
  return key
    .replace(/\[/g, '.')
    .replace(/\]/g, '')
    .split('.')
    .map((s) => s.trim());
}

/** The range of the key (or list item) at a dotted path in a YAML document. */
export function keyRange(parsed: ParsedYaml, segments: string[], from: unknown = parsed.doc.contents): Range | undefined {
  let node: unknown = from;
  let found: Node | undefined;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) return undefined;
      found = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) return undefined;
      found = item;
      node = item;
    } else return undefined;
  }
  const r = found?.range;
  return r ? parsed.lines.range(r[0], r[1]) : undefined;
}

/** A value as a short one-line text: scalars as YAML writes them, collections abbreviated. */
export function shortValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).length > 60 ? `${JSON.stringify(value).slice(0, 57)}…"` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const json = JSON.stringify(value) ?? '';
  return json.length > 60 ? `${json.slice(0, 59)}…` : json;
}

/** Where a stage path leads: the stage name and the keys inside its definition (`do` dropped). */
export function stageOf(path: ReadonlyArray<string | number>): { stage: string; inDo: boolean; rest: Array<string | number> } | undefined {
  if (path[0] !== 'stages' || typeof path[1] !== 'string') return undefined;
  const inDo = path[2] === 'do';
  return { stage: path[1], inDo, rest: path.slice(inDo ? 3 : 2) };
}

/** The folder a stage runs in: dvc.yaml's folder joined with its literal `wdir`. */
export function stageWdir(dvcFile: string, definition: unknown): string {
  const body = definition as { wdir?: unknown; do?: { wdir?: unknown } } | null;
  const wdir = body?.wdir ?? body?.do?.wdir;
  const dir = dirname(dvcFile);
  return typeof wdir === 'string' && !wdir.includes('${') ? normalize(isAbsolute(wdir) ? wdir : join(dir, wdir)) : dir;
}

type SchemaNode = { description?: string; title?: string; properties?: Record<string, SchemaNode>; allOf?: SchemaNode[] };
const definitions = (dvcSchema as { definitions: Record<string, SchemaNode> }).definitions;
const root = dvcSchema as SchemaNode;

/** Keys DVC accepts on a stage, with the schema's description, for completion and hover. */
export function stageKeys(inDo: boolean): Array<[string, string]> {
  const seen = new Map<string, string>();
  const sources = inDo ? [definitions.Stage] : [definitions.Stage, definitions.ForeachDo, definitions.Matrix];
  for (const source of sources)
    for (const [key, schema] of Object.entries(source?.properties ?? {})) if (!seen.has(key)) seen.set(key, describe(schema));
  return [...seen];
}

export function topLevelKeys(): Array<[string, string]> {
  return Object.entries(root.properties ?? {}).map(([key, schema]) => [key, describe(schema)]);
}

/** The schema's description of a key at a dvc.yaml path (top level, stage, or out/plot flags). */
export function dvcKeyDescription(path: ReadonlyArray<string | number>): string | undefined {
  const key = path[path.length - 1];
  if (typeof key !== 'string') return undefined;
  if (path.length === 1) {
    const schema = root.properties?.[key];
    return schema ? describe(schema) : undefined;
  }
  const stage = stageOf(path);
  if (!stage) return undefined;
  if (stage.rest.length === 1) return stageKeys(stage.inDo).find(([k]) => k === key)?.[1];
  const field = stage.rest[0];
  if (stage.rest.length === 4 && typeof stage.rest[1] === 'number') {
    const flags = field === 'plots' ? definitions.PlotFlags : field === 'outs' || field === 'metrics' ? definitions.OutFlags : undefined;
    const schema = flags?.properties?.[key];
    return schema ? describe(schema) : undefined;
  }
  return undefined;
}

function describe(schema: SchemaNode): string {
  const text = schema.description ?? schema.allOf?.find((s) => s.description)?.description ?? schema.title ?? '';
  return text.trim();
}
