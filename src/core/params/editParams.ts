import { isDeepStrictEqual } from 'node:util';
import { Document, isAlias, isMap, isScalar, isSeq, parseAllDocuments, parse, Scalar, type Node, type YAMLMap } from 'yaml';

/** One value to set: `key` is DVC's dotted form (`models.rf.max_depth`, `layers.0`). */
export interface ParamEdit {
  key: string;
  value: unknown;
}

export type ParamEditResult = { text: string } | { error: string };

/**
 * Sets param values in the text of a params file and changes nothing else: each value is spliced
 * into the exact span of the old scalar, so comments, blank lines, key order, quoting, anchors,
 * line endings and a byte-order mark of every other line stay byte for byte. A key that does not
 * exist yet is added as a new line under its parent mapping. The result is parsed again and must
 * equal the old value with the edits applied, or the edit is refused.
 *
 * We splice text instead of printing a `yaml` Document because the printer re-flows what it does
 * not model: flow-map spacing, sequence indentation, long lines, CRLF and blank lines between keys.
 */
export function setParamValues(text: string, edits: readonly ParamEdit[]): ParamEditResult {
  const before = firstDocument(text);
  if ('error' in before) return before;
  // What the file must mean afterwards, worked out on the parsed tree (so aliases follow anchors).
  const model = before.doc && before.doc.contents !== null ? before.doc.clone() : new Document({});
  let current = text;
  for (const edit of edits) {
    const path = splitKey(edit.key);
    if (path.length === 0) return { error: `The param key "${edit.key}" is empty; give a dotted key like models.rf.max_depth.` };
    const checked = checkValue(edit.value);
    if (checked) return { error: `The value for ${edit.key} ${checked}.` };
    const parsed = firstDocument(current);
    if ('error' in parsed) return parsed;
    const next = applyEdit(current, parsed.doc, path, edit);
    if ('error' in next) return next;
    current = next.text;
    setInModel(model, path, edit.value);
  }
  const expected = model.toJS({ maxAliasCount: 1000 }) as unknown;
  const after = firstDocument(current);
  if ('error' in after)
    return { error: `Setting the values would make the params file invalid (${after.error.replace(/\.$/, '')}); nothing was changed.` };
  if (!isDeepStrictEqual(normalize(after.value), normalize(expected))) {
    return { error: 'The params file could not be changed without touching other values; edit it by hand.' };
  }
  return { text: current };
}

/**
 * Turns what a person typed for a param into a value: YAML scalars (`0.1`, `true`, `null`, `[1, 2]`)
 * keep their type; anything that does not parse stays the typed string.
 */
export function parseParamInput(input: string): unknown {
  const trimmed = input.trim();
  if (trimmed === '') return '';
  try {
    const value: unknown = parse(trimmed, { maxAliasCount: 0 });
    return value === undefined ? input : value;
  } catch {
    return input;
  }
}

interface FirstDocument {
  /** Undefined for a file without any document (empty, or only comments). */
  doc: Document.Parsed | undefined;
  value: unknown;
}

function firstDocument(text: string): FirstDocument | { error: string } {
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, merge: true }) as Document.Parsed[];
  } catch (error) {
    return { error: `The params file is not valid YAML (${firstLine(String(error))}).` };
  }
  if (!Array.isArray(docs)) return { error: 'The params file is not valid YAML.' };
  const doc = docs[0];
  if (!doc) {
    return { doc: undefined, value: {} };
  }
  const problem = doc.errors[0];
  if (problem) {
    const line = lineOf(text, problem.pos[0]);
    return { error: `The params file has a YAML error on line ${line} (${firstLine(problem.message)}); fix it before changing values.` };
  }
  try {
    return { doc, value: doc.toJS({ maxAliasCount: 1000 }) };
  } catch (error) {
    return { error: `The params file could not be read (${firstLine(String((error as Error).message ?? error))}).` };
  }
}

function applyEdit(text: string, doc: Document.Parsed | undefined, path: string[], edit: ParamEdit): ParamEditResult {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let node: unknown = doc?.contents ?? null;
  if (node === null || (isScalar(node) && node.value === null && node.source === '')) {
    // An empty (or comment-only) document: the keys go at its end.
    const prefix = text.length === 0 || text.endsWith('\n') ? text : text + eol;
    return { text: prefix + blockLines(path, edit.value, '', eol) };
  }
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const shown = path.slice(0, i).join('.') || 'the file';
    if (isAlias(node)) {
      return { error: `${shown} is an alias (*${node.source}) of another part of the file; change the anchored value instead.` };
    }
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === segment);
      if (!pair) return insertIntoMap(text, node, path.slice(i), edit.value, eol);
      if (i === path.length - 1) {
        const target = pair.value as Node | null;
        if (isScalar(target) && target.value === null && !target.source) {
          return insertValueAfterKey(text, pair.key as Node, edit.value, undefined);
        }
        if (!target || (!isScalar(target) && !isAlias(target) && !(target as { flow?: boolean }).flow)) {
          // No value, or a block list or mapping: the new value goes right after the colon.
          return insertValueAfterKey(text, pair.key as Node, edit.value, target?.range?.[1]);
        }
        return replaceNode(text, target, edit.value);
      }
      node = pair.value;
    } else if (isSeq(node)) {
      const index = /^\d+$/.test(segment) ? Number(segment) : -1;
      const item = index >= 0 ? node.items[index] : undefined;
      if (item === undefined) return { error: `${shown} is a list without an item ${segment}; give an existing index.` };
      if (i === path.length - 1) return replaceNode(text, item as Node, edit.value);
      node = item;
    } else {
      return { error: `${shown} holds a single value, not a mapping, so ${path.join('.')} cannot be set; change ${shown} itself.` };
    }
  }
  return { error: `${path.join('.')} could not be found.` };
}

function replaceNode(text: string, node: Node, value: unknown): ParamEditResult {
  const range = node.range;
  if (!range) return { error: 'The params file has a value without a position; edit it by hand.' };
  const [start, end] = range;
  if (isAlias(node) || !isScalar(node)) {
    // A collection or an alias becomes a flow value in the same place.
    const trailingNewline = !isAlias(node) && !(node as { flow?: boolean }).flow && text[end - 1] === '\n';
    return { text: text.slice(0, start) + renderFlow(value) + (trailingNewline ? eolBefore(text, end) : '') + text.slice(end) };
  }
  const scalar = node as Scalar;
  if (scalar.type === Scalar.BLOCK_LITERAL || scalar.type === Scalar.BLOCK_FOLDED) {
    const keep = text[end - 1] === '\n' ? eolBefore(text, end) : '';
    return { text: text.slice(0, start) + renderScalar(value, Scalar.QUOTE_DOUBLE) + keep + text.slice(end) };
  }
  return { text: text.slice(0, start) + renderScalar(value, scalar.type) + text.slice(end) };
}

/** The value written right after `key:`, replacing what was there up to `oldEnd`. */
function insertValueAfterKey(text: string, key: Node, value: unknown, oldEnd: number | undefined): ParamEditResult {
  const keyEnd = key.range?.[1];
  if (keyEnd === undefined) return { error: 'The params file has a key without a position; edit it by hand.' };
  const colon = text.indexOf(':', keyEnd);
  if (colon === -1) return { error: 'The params file has a key without a colon; edit it by hand.' };
  if (oldEnd === undefined) return { text: text.slice(0, colon + 1) + ' ' + renderFlow(value) + text.slice(colon + 1) };
  const keep = text[oldEnd - 1] === '\n' ? eolBefore(text, oldEnd) : '';
  return { text: text.slice(0, colon + 1) + ' ' + renderFlow(value) + keep + text.slice(oldEnd) };
}

function insertIntoMap(text: string, map: YAMLMap, path: string[], value: unknown, eol: string): ParamEditResult {
  const range = map.range;
  if (!range) return { error: 'The params file has a mapping without a position; edit it by hand.' };
  if (map.flow) {
    const close = text.lastIndexOf('}', range[1] - 1);
    if (close < range[0]) return { error: 'The params file has a flow mapping that could not be extended; edit it by hand.' };
    const entry = `${renderKey(path[0])}: ${path.length === 1 ? renderFlow(value) : renderFlow(nest(path.slice(1), value))}`;
    const inside = text.slice(range[0] + 1, close).trim();
    let cut = close;
    while (cut > range[0] + 1 && /[ \t]/.test(text[cut - 1])) cut--;
    const separator = inside === '' ? '' : inside.endsWith(',') ? ' ' : ', ';
    return { text: text.slice(0, cut) + separator + entry + text.slice(cut) };
  }
  const firstKey = map.items[0]?.key as Node | undefined;
  const keyStart = firstKey?.range?.[0] ?? range[0];
  const indent = text.slice(text.lastIndexOf('\n', keyStart - 1) + 1, keyStart);
  if (!/^[ ]*$/.test(indent))
    return { error: 'The params file lays out this mapping in a way that could not be extended; edit it by hand.' };
  // After the last line of the mapping's own content, before any blank line or comment that follows it.
  let at = range[1];
  if (at > 0 && text[at - 1] !== '\n') {
    const lineEnd = text.indexOf('\n', at);
    at = lineEnd === -1 ? text.length : lineEnd + 1;
  }
  const prefix = at > 0 && text[at - 1] !== '\n' ? eol : '';
  return { text: text.slice(0, at) + prefix + blockLines(path, value, indent, eol) + text.slice(at) };
}

function blockLines(path: string[], value: unknown, indent: string, eol: string): string {
  let out = '';
  for (let i = 0; i < path.length - 1; i++) out += `${indent}${'  '.repeat(i)}${renderKey(path[i])}:${eol}`;
  const last = path.length - 1;
  return `${out}${indent}${'  '.repeat(last)}${renderKey(path[last])}: ${renderFlow(value)}${eol}`;
}

function nest(path: string[], value: unknown): unknown {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

function renderKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) && plainStaysString(key) ? key : JSON.stringify(key);
}

/** A value written inline: scalars as scalars, lists and mappings in flow style. */
function renderFlow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(renderFlow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${renderKey(k)}: ${renderFlow(v)}`)
      .join(', ')}}`;
  }
  return renderScalar(value, Scalar.PLAIN);
}

/** A scalar in the quoting style the old value had, when that style can hold the new value. */
function renderScalar(value: unknown, style: Scalar.Type | undefined): string {
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) return renderFlow(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return renderNumber(value);
  if (typeof value === 'bigint') return value.toString();
  const s = String(value);
  if (style === Scalar.QUOTE_SINGLE && !/[\n\r\t\\]/.test(s) && printable(s)) return `'${s.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE || !plainStaysString(s)) return JSON.stringify(s);
  return s;
}

function renderNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  if (Object.is(n, -0)) return '-0.0';
  const s = String(n);
  // PyYAML (YAML 1.1), which many training scripts load params with, reads `1e-7` as a string;
  // `1.0e-7` is a float to every YAML loader.
  const exp = /^(-?\d+)(?:\.(\d+))?e([+-])(\d+)$/.exec(s);
  if (exp) return `${exp[1]}.${exp[2] ?? '0'}e${exp[3]}${exp[4]}`;
  return s;
}

/** Strings YAML 1.1 loaders read as booleans or null, although YAML 1.2 reads them as strings. */
const YAML11_SPECIAL = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|~|null|Null|NULL)$/;

function plainStaysString(s: string): boolean {
  if (s === '' || s !== s.trim() || /[\n\r\t]/.test(s) || !printable(s)) return false;
  if (YAML11_SPECIAL.test(s) || /^[-+.\d]/.test(s)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /: |:$| #/.test(s)) return false;
  // Flow indicators end a plain scalar inside `{}` or `[]`; quoted, the value is safe anywhere.
  if (/[[\]{},]/.test(s)) return false;
  try {
    return parse(s) === s;
  } catch {
    return false;
  }
}

function printable(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufeff\ud800-\udfff]/.test(s);
}

function checkValue(value: unknown, depth = 0): string | undefined {
  if (depth > 32) return 'is nested too deeply';
  if (value === undefined) return 'is missing';
  if (typeof value === 'function' || typeof value === 'symbol') return 'is not a YAML value';
  if (typeof value === 'string' && /[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    return 'contains a broken Unicode character';
  }
  if (Array.isArray(value)) return value.map((v) => checkValue(v, depth + 1)).find(Boolean);
  if (value !== null && typeof value === 'object') {
    return Object.values(value as Record<string, unknown>)
      .map((v) => checkValue(v, depth + 1))
      .find(Boolean);
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? 'null' : String(key.value);
  return undefined;
}

/** DVC's dotted keys; a key segment may be quoted to hold a dot: `a."b.c".d`. */
export function splitKey(key: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|([^.]+)/g;
  let last = 0;
  for (let m = re.exec(key); m; m = re.exec(key)) {
    if (m.index !== last && key[last] !== '.') return [];
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
    last = re.lastIndex + (key[re.lastIndex] === '.' ? 1 : 0);
  }
  return out;
}

function setInModel(model: Document, path: string[], value: unknown): void {
  const node = model.getIn(path, true);
  if (isScalar(node) && (value === null || typeof value !== 'object')) node.value = value;
  else model.setIn(path, model.createNode(value));
}

/** Compares as YAML sees it: list indices and mapping keys alike, -0 as 0. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), normalize(v)]));
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), normalize(v)]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalize(v)]));
  }
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  return value;
}

function eolBefore(text: string, end: number): string {
  return text[end - 2] === '\r' ? '\r\n' : '\n';
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
