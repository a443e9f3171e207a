import { readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import type { Position, Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { DEFAULT_PARAMS_FILE, parseDvcPipeline } from '../pipeline/dvcPipeline';
import { MLPROJECT_PARAMETER_TYPES, parseMlproject } from '../pipeline/mlproject';
import { PANDAS_DTYPES } from '../validation/dataContract';
import { parseYaml } from '../yaml/parseYaml';
import { describeDtype } from './dtypes';
import { dottedEntries, loadYaml, shortValue, stageKeys, stageOf, stageWdir, topLevelKeys } from './languageModel';
import type { Completion } from './types';
import { cursorContext, ITEM, type CursorContext } from './yamlCursor';

export interface CompletionOptions {
  /** The other dvc.yaml files of the workspace, whose stages' outs a dep may name. */
  dvcFiles?: string[];
}

/**
 * Completions at a position of a pipeline file (dvc.yaml, schema.yaml, MLproject). Works on
 * half-typed documents: the place is read from indentation, the data from the other files.
 * Never throws; an unknown place gives no items.
 */
export async function completionsAt(
  file: string,
  text: string,
  position: Position,
  files: FileAccess,
  options: CompletionOptions = {},
): Promise<Completion[]> {
  try {
    const cursor = cursorContext(text, position);
    switch (fileKindOf(file)) {
      case 'dvc':
        return await dvcCompletions(file, text, cursor, files, options);
      case 'dataSchema':
        return dataSchemaCompletions(file, text, cursor);
      case 'mlproject':
        return mlprojectCompletions(file, text, cursor);
      default:
        return [];
    }
  } catch {
    return [];
  }
}

async function dvcCompletions(
  file: string,
  text: string,
  cursor: CursorContext,
  files: FileAccess,
  options: CompletionOptions,
): Promise<Completion[]> {
  const open = cursor.before.lastIndexOf('${');
  if (open >= 0 && !cursor.before.slice(open).includes('}')) return interpolationCompletions(file, text, cursor, open, files);
  const path = cursor.path;
  if (cursor.atKey && path.length === 0) return keyItems(topLevelKeys(), cursor.word);
  const stage = stageOf(path);
  if (!stage) return [];
  const rest = stage.rest;
  if (cursor.atKey && rest.length === 0) return keyItems(stageKeys(stage.inDo), cursor.word);
  const value = parseYaml(file, text).doc.toJS({ maxAliasCount: 1000 }) as { stages?: Record<string, unknown> } | null;
  const definition = value?.stages?.[stage.stage];
  const wdir = stageWdir(file, definition);
  // `params: [- key]` reads the stage's params.yaml; `- other.yaml: [- key]` that file.
  if (cursor.atKey && rest[0] === 'params' && rest[1] === ITEM && rest.length === 2) {
    return paramItems(join(wdir, DEFAULT_PARAMS_FILE), cursor.word, files);
  }
  if (cursor.atKey && rest[0] === 'params' && rest[1] === ITEM && typeof rest[2] === 'string' && rest[3] === ITEM && rest.length === 4) {
    const paramsFile = rest[2];
    return paramItems(isAbsolute(paramsFile) ? paramsFile : join(wdir, paramsFile), cursor.word, files);
  }
  if (cursor.atKey && rest[0] === 'deps' && rest[1] === ITEM && rest.length === 2) {
    return depItems(file, text, wdir, stage.stage, cursor, files, options.dvcFiles ?? []);
  }
  return [];
}

/**
 * What a dep may name, best first: the outs of the other stages of this dvc.yaml, then those of the
 * workspace's other dvc.yaml files (relative to this stage's folder), then the files on disk. The
 * stage's own outs (a cycle DVC refuses) and the deps it already lists are left out.
 */
async function depItems(
  file: string,
  text: string,
  wdir: string,
  stageName: string,
  cursor: CursorContext,
  files: FileAccess,
  dvcFiles: string[],
): Promise<Completion[]> {
  const items: Completion[] = [];
  const { pipeline } = await parseDvcPipeline(file, text, files);
  const own = (name: string): boolean => name === stageName || name.startsWith(`${stageName}@`);
  const relativePath = (path: string): string => relative(wdir, path).split(sep).join('/');
  const listed = new Set<string>();
  for (const stage of pipeline.stages) {
    if (own(stage.name))
      for (const dep of stage.deps) if (!dep.path.includes('${')) listed.add(relativePath(resolve(stage.wdir, dep.path)));
  }
  // The item being typed is not "already listed".
  listed.delete(cursor.wordText);
  const seen = new Set<string>(listed);
  const addOuts = (stages: typeof pipeline.stages, from: string, rank: string): void => {
    for (const stage of stages) {
      if (from === file && own(stage.name)) continue;
      for (const out of [...stage.outs, ...stage.metrics, ...stage.plots]) {
        if (out.path.includes('${')) continue;
        const path = relativePath(resolve(stage.wdir, out.path));
        if (seen.has(path)) continue;
        seen.add(path);
        const where = from === file ? stage.name : `${relative(dirname(file), from).split(sep).join('/')}:${stage.name}`;
        items.push({
          label: path,
          kind: 'file',
          detail: `out of ${where}`,
          documentation: `Written by stage \`${where}\`: depending on it makes \`dvc repro\` run that stage first.`,
          insertText: path,
          range: cursor.word,
          sortText: `${rank}${path}`,
        });
      }
    }
  };
  addOuts(pipeline.stages, file, '0');
  for (const other of dvcFiles) {
    if (normalize(other) === normalize(file)) continue;
    const otherText = await files.readText(other);
    if (otherText === undefined) continue;
    addOuts((await parseDvcPipeline(other, otherText, files)).pipeline.stages, other, '1');
  }
  const typed = cursor.wordText.slice(0, cursor.before.length - cursor.word.start.character);
  const folder = typed.includes('/') ? typed.slice(0, typed.lastIndexOf('/') + 1) : '';
  for (const entry of await listFolder(join(wdir, folder))) {
    const path = `${folder}${entry.name}${entry.directory ? '/' : ''}`;
    if (seen.has(path) || entry.name.startsWith('.')) continue;
    seen.add(path);
    items.push({ label: path, kind: 'file', insertText: path, range: cursor.word, sortText: `2${path}` });
  }
  return items;
}

async function listFolder(path: string): Promise<Array<{ name: string; directory: boolean }>> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.slice(0, 500).map((e) => ({ name: e.name, directory: e.isDirectory() }));
  } catch {
    return [];
  }
}

function keyItems(keys: Array<[string, string]>, range: Range): Completion[] {
  return keys.map(([key, description]) => ({
    label: key,
    kind: 'property',
    ...(description ? { documentation: description } : {}),
    insertText: `${key}: `,
    range,
  }));
}

async function paramItems(paramsFile: string, range: Range, files: FileAccess): Promise<Completion[]> {
  const loaded = await loadYaml(normalize(paramsFile), files);
  if (!loaded) return [];
  return dottedEntries(loaded.value).map(([key, value], index) => ({
    label: key,
    kind: value !== null && typeof value === 'object' ? 'module' : 'value',
    detail: shortValue(value),
    insertText: key,
    range,
    sortText: String(index).padStart(6, '0'),
  }));
}

async function interpolationCompletions(
  file: string,
  text: string,
  cursor: CursorContext,
  open: number,
  files: FileAccess,
): Promise<Completion[]> {
  const line = cursor.word.start.line;
  const afterOpen = open + 2;
  let end = cursor.before.length;
  while (end < cursor.line.length && /[\w.[\]-]/.test(cursor.line[end] ?? '')) end++;
  const range: Range = { start: { line, character: afterOpen }, end: { line, character: end } };
  const { context } = await parseDvcPipeline(file, text, files);
  const items: Completion[] = dottedEntries(context).map(([key, value], index) => ({
    label: key,
    kind: 'variable',
    detail: shortValue(value),
    insertText: key,
    range,
    sortText: `1${String(index).padStart(6, '0')}`,
  }));
  // Inside a foreach/matrix stage, `item` and `key` come first.
  const stage = stageOf(cursor.path);
  if (stage) {
    const value = parseYaml(file, text).doc.toJS({ maxAliasCount: 1000 }) as { stages?: Record<string, Record<string, unknown>> } | null;
    const definition = value?.stages?.[stage.stage];
    for (const [label, detail] of loopVariables(definition, context)) {
      items.push({ label, kind: 'variable', detail, insertText: label, range, sortText: `0${label}` });
    }
  }
  return items;
}

/** `item`, `key` and the fields of dictionary items for a foreach or matrix stage. */
function loopVariables(definition: Record<string, unknown> | undefined, context: Record<string, unknown>): Array<[string, string]> {
  if (!definition) return [];
  const result: Array<[string, string]> = [];
  if (definition.matrix !== null && typeof definition.matrix === 'object' && !Array.isArray(definition.matrix)) {
    result.push(['key', 'the generated name of this matrix stage']);
    result.push(['item', 'the current combination']);
    for (const axis of Object.keys(definition.matrix)) result.push([`item.${axis}`, 'matrix axis']);
    return result;
  }
  if (!('foreach' in definition)) return result;
  let data = definition.foreach;
  if (typeof data === 'string') {
    const expression = /^\$\{\s*([^}]*?)\s*\}$/.exec(data)?.[1];
    data =
      expression === undefined
        ? undefined
        : expression.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], context);
  }
  const values = Array.isArray(data) ? data : data !== null && typeof data === 'object' ? Object.values(data) : [];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) result.push(['key', 'the current key of the foreach dictionary']);
  result.push(['item', 'the current foreach item']);
  const fields = new Set<string>();
  for (const v of values) if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) fields.add(k);
  for (const field of fields) result.push([`item.${field}`, 'field of the foreach item']);
  return result;
}

function dataSchemaCompletions(file: string, text: string, cursor: CursorContext): Completion[] {
  const path = cursor.path;
  if (path.length === 1 && path[0] === 'COLUMNS' && cursor.key !== undefined) {
    return PANDAS_DTYPES.map((dtype, index) => ({
      label: dtype,
      kind: 'value',
      documentation: describeDtype(dtype),
      insertText: dtype,
      range: cursor.word,
      sortText: String(index).padStart(4, '0'),
    }));
  }
  if (path.length === 1 && path[0] === 'TARGET_COLUMN' && cursor.key === 'name') {
    const value = parseYaml(file, text).doc.toJS({ maxAliasCount: 1000 }) as { COLUMNS?: Record<string, unknown> } | null;
    const columns = value?.COLUMNS !== null && typeof value?.COLUMNS === 'object' ? Object.entries(value.COLUMNS) : [];
    return columns.map(([name, dtype]) => ({ label: name, kind: 'value', detail: String(dtype), insertText: name, range: cursor.word }));
  }
  return [];
}

function mlprojectCompletions(file: string, text: string, cursor: CursorContext): Completion[] {
  const path = cursor.path;
  if (path[0] !== 'entry_points' || typeof path[1] !== 'string') return [];
  const entry = path[1];
  const inParameters = path[2] === 'parameters';
  const flowType = /[{,]\s*type:\s*[\w]*$/.test(cursor.before);
  if (inParameters && ((path.length === 4 && cursor.key === 'type') || (path.length === 3 && flowType))) {
    return MLPROJECT_PARAMETER_TYPES.map((type) => ({ label: type, kind: 'keyword', insertText: type, range: cursor.word }));
  }
  if (path.length === 2 && cursor.key === 'command') {
    const open = cursor.before.lastIndexOf('{');
    if (open < 0 || cursor.before.slice(open).includes('}')) return [];
    let end = cursor.before.length;
    while (end < cursor.line.length && /[\w-]/.test(cursor.line[end] ?? '')) end++;
    const range: Range = {
      start: { line: cursor.word.start.line, character: open + 1 },
      end: { line: cursor.word.start.line, character: end },
    };
    const project = parseMlproject(file, text).project;
    const parameters = project.entryPoints.find((e) => e.name === entry)?.parameters ?? [];
    return parameters.map((p) => ({
      label: p.name,
      kind: 'variable',
      detail: p.default === undefined ? p.type : `${p.type} = ${String(p.default)}`,
      insertText: cursor.line[end] === '}' ? p.name : `${p.name}}`,
      range,
    }));
  }
  return [];
}
