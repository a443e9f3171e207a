import { dirname, join, normalize } from 'node:path';
import { DEFAULT_PARAMS_FILE, newStage } from '../pipeline/dvcPipeline';
import type { PipelineStage, SourceSpan, StagePath } from '../pipeline/model';
import { plainScalarIsString } from '../yaml/fastBlockYaml';

/** A stage block read by `readPlainStage`. */
export interface PlainStage {
  /** The stage's name (its key under `stages`). */
  name: string;
  /** The stage as the pipeline parser builds it from the same lines. */
  stage: PipelineStage;
  /** How many values the pipeline parser resolves for it (what its budget counts). */
  resolveSteps: number;
}

/** Keys of a plain stage written `key: value`, and those written `key:` with a list below. */
const SCALAR_KEYS = new Set(['cmd', 'desc', 'frozen', 'always_changed']);
const LIST_KEYS = new Set(['cmd', 'deps', 'outs', 'metrics', 'plots', 'params']);
/** One bit for each key, to find one written twice. */
const KEY_BITS = new Map([...new Set([...SCALAR_KEYS, ...LIST_KEYS])].map((key, index) => [key, 1 << index]));
const CMD_BIT = KEY_BITS.get('cmd') as number;
/** Lists whose entries may carry flags (`- path:` with `cache: false` below it). */
const FLAGGED_LISTS = new Set(['outs', 'metrics', 'plots']);
/** The flags of outs, metrics and plots that take a boolean (OutFlags and PlotFlags in the schema). */
const BOOLEAN_FLAGS = new Set(['cache', 'persist', 'checkpoint', 'push']);
/** Characters a plain scalar is written with, line ends included; the rest is the library's. */
const PRINTABLE_TEXT = /^[\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;

/**
 * Reads one stage block of a dvc.yaml (the lines `layoutOf` cuts, from `startLine` of the file)
 * without the YAML library, when it is written in the plain form nearly every stage takes:
 *
 *     train:
 *       cmd: python train.py
 *       deps:
 *         - data/features.csv
 *       params:
 *         - train.lr
 *       outs:
 *         - model.pkl
 *       metrics:
 *         - metrics.json:
 *             cache: false
 *
 * That is: a plain name; `cmd` (one line, or a list), `deps`, `outs`, `metrics`, `plots` and
 * `params` lists of plain strings; `desc`; `frozen` and `always_changed` as `true` or `false`; on
 * outs, metrics and plots entries, the boolean flags. Every value is a plain string on its own line,
 * each list holds at least one entry and no entry twice, and nothing holds `${`.
 *
 * Such a stage has no finding of its own: no syntax error, nothing the schema refuses, nothing the
 * pipeline parser reports (its params are checked with the other stages'). So what it returns is the
 * stage the pipeline parser would build, with the same spans. Anything else (a comment inside the
 * stage, quotes, `wdir`, `vars`, foreach or matrix, a `${}`, an unknown key, a list written flush
 * with its key, CR line ends) gives undefined, and the block is read by the library as before.
 */
export function readPlainStage(file: string, text: string, startLine: number): PlainStage | undefined {
  // What the fast reader leaves to the library too (a BOM anywhere), so a file of these stages and
  // of parts it reads is one it reads.
  if (text.includes('${') || text.includes('\uFEFF') || !PRINTABLE_TEXT.test(text)) return undefined;
  const count = scanLines(text);
  let at = 0;
  // Comments above the name, lined up with it, as the fast reader reads them.
  while (at < count && text.charCodeAt((starts[at] as number) + (indents[at] as number)) === 35) at++;
  if (at === count) return undefined;
  const stageIndent = indents[at] as number;
  for (let c = 0; c < at; c++) if (indents[c] !== stageIndent) return undefined;
  const nameFrom = (starts[at] as number) + stageIndent;
  const nameEnd = ends[at] as number;
  if (stageIndent === 0 || text.charCodeAt(nameEnd - 1) !== 58) return undefined;
  const name = text.slice(nameFrom, nameEnd - 1);
  if (!isPlainKey(name)) return undefined;
  const lineStart = (line: number): number => starts[line] as number;
  const spanOf = (line: number, from: number, to: number): SourceSpan => {
    const lineNumber = startLine + (numbers[line] as number);
    const offset = lineStart(line);
    return { file, range: { start: { line: lineNumber, character: from - offset }, end: { line: lineNumber, character: to - offset } } };
  };
  const stage = newStage(name, folderOf(file), spanOf(at, nameFrom, nameEnd - 1));
  let resolveSteps = 0;
  const keyIndent = at + 1 < count ? (indents[at + 1] as number) : -1;
  let keys = 0;
  at++;
  while (at < count) {
    // A comment inside the stage, or a line not lined up with the keys, is the library's to read.
    const from = lineStart(at) + keyIndent;
    const end = ends[at] as number;
    if (indents[at] !== keyIndent || keyIndent <= stageIndent || text.charCodeAt(from) === 35) return undefined;
    const colon = text.indexOf(':', from);
    if (colon < 0 || colon >= end) return undefined;
    const key = text.slice(from, colon);
    const bit = KEY_BITS.get(key);
    if (bit === undefined || (keys & bit) !== 0) return undefined;
    keys |= bit;
    if (colon + 1 < end) {
      // `key: value` on one line.
      if (!SCALAR_KEYS.has(key) || text.charCodeAt(colon + 1) !== 32) return undefined;
      const value = text.slice(skipSpaces(text, colon + 1), end);
      if (key === 'frozen' || key === 'always_changed') {
        if (value !== 'true' && value !== 'false') return undefined;
        if (key === 'frozen') stage.frozen = value === 'true';
        else stage.alwaysChanged = value === 'true';
      } else {
        if (!isPlainString(value)) return undefined;
        if (key === 'cmd') stage.cmd = [value];
        else stage.desc = value;
      }
      resolveSteps++;
      at++;
      continue;
    }
    // `key:` and its list on the lines below, indented more.
    if (!LIST_KEYS.has(key)) return undefined;
    at++;
    const itemIndent = at < count ? (indents[at] as number) : -1;
    const items: StagePath[] = [];
    while (at < count && (indents[at] as number) > keyIndent) {
      const dash = lineStart(at) + itemIndent;
      if (indents[at] !== itemIndent || text.charCodeAt(dash) !== 45 || text.charCodeAt(dash + 1) !== 32) return undefined;
      const valueFrom = skipSpaces(text, dash + 1);
      const valueEnd = ends[at] as number;
      const itemLine = at;
      at++;
      let flags: Record<string, boolean> | undefined;
      let pathEnd = valueEnd;
      if (text.charCodeAt(valueEnd - 1) === 58 && FLAGGED_LISTS.has(key)) {
        // `- path:` with its flags below it, indented past the path.
        pathEnd = valueEnd - 1;
        flags = {};
        const flagIndent = at < count ? (indents[at] as number) : -1;
        if (flagIndent <= valueFrom - lineStart(itemLine)) return undefined;
        while (at < count && (indents[at] as number) > itemIndent) {
          if (indents[at] !== flagIndent) return undefined;
          const flagFrom = lineStart(at) + flagIndent;
          const flagColon = text.indexOf(':', flagFrom);
          if (flagColon < 0 || flagColon >= (ends[at] as number)) return undefined;
          const flag = text.slice(flagFrom, flagColon);
          const flagValue = text.slice(flagColon + 1, ends[at]);
          if (!BOOLEAN_FLAGS.has(flag) || Object.hasOwn(flags, flag)) return undefined;
          if (flagValue !== ' true' && flagValue !== ' false') return undefined;
          flags[flag] = flagValue === ' true';
          resolveSteps++;
          at++;
        }
      }
      const value = text.slice(valueFrom, pathEnd);
      if (!(flags === undefined ? isPlainString(value) : isPlainKey(value)) || listed(items, value)) return undefined;
      resolveSteps++;
      const span = spanOf(itemLine, valueFrom, pathEnd);
      items.push(flags === undefined ? { path: value, span } : { path: value, span, flags });
    }
    if (items.length === 0) return undefined;
    if (key === 'cmd') stage.cmd = items.map((item) => item.path);
    else if (key === 'params') stage.params = items.map((item) => ({ file: DEFAULT_PARAMS_FILE, key: item.path, span: item.span }));
    else stage[key as 'deps' | 'outs' | 'metrics' | 'plots'] = items;
  }
  if ((keys & CMD_BIT) === 0) return undefined;
  return { name, stage, resolveSteps };
}

/** The lines of the block being read that hold something: offset, spaces before it, end before trailing spaces, number. */
let starts: Int32Array = new Int32Array(64);
let indents: Int32Array = new Int32Array(64);
let ends: Int32Array = new Int32Array(64);
let numbers: Int32Array = new Int32Array(64);

/** Fills the line table with the block's non-blank lines; their count. */
function scanLines(text: string): number {
  let count = 0;
  let number = 0;
  for (let start = 0; start < text.length; number++) {
    const newline = text.indexOf('\n', start);
    const lineEnd = newline < 0 ? text.length : newline;
    let first = start;
    while (first < lineEnd && text.charCodeAt(first) === 32) first++;
    if (first < lineEnd) {
      if (count === starts.length) {
        starts = grown(starts);
        indents = grown(indents);
        ends = grown(ends);
        numbers = grown(numbers);
      }
      let end = lineEnd;
      while (text.charCodeAt(end - 1) === 32) end--;
      starts[count] = start;
      indents[count] = first - start;
      ends[count] = end;
      numbers[count] = number;
      count++;
    }
    start = lineEnd + 1;
  }
  return count;
}

function grown(table: Int32Array): Int32Array {
  const larger = new Int32Array(table.length * 2);
  larger.set(table);
  return larger;
}

let lastFile = '';
let lastFolder = '';

/** The folder of the dvc.yaml as the pipeline parser gives it (the stages of a file share one). */
function folderOf(file: string): string {
  if (file !== lastFile) {
    lastFile = file;
    lastFolder = normalize(join(dirname(file), '.'));
  }
  return lastFolder;
}

/** Whether a list already holds the path (lists are short; a long one is indexed on the way). */
function listed(items: StagePath[], path: string): boolean {
  if (items.length < 16) {
    for (const item of items) if (item.path === path) return true;
    return false;
  }
  let index = indexes.get(items);
  if (index === undefined) indexes.set(items, (index = new Set(items.map((item) => item.path))));
  if (index.has(path)) return true;
  index.add(path);
  return false;
}

const indexes = new WeakMap<StagePath[], Set<string>>();

function skipSpaces(text: string, from: number): number {
  let at = from;
  while (text.charCodeAt(at) === 32) at++;
  return at;
}

/**
 * A plain scalar that the library reads as this same string, on its own: no indicator first, no
 * comment, no `key: value`, not ending as a key, and not a null, boolean or number.
 */
function isPlainString(value: string): boolean {
  return PLAIN_STRING.test(value) && plainScalarIsString(value);
}

/**
 * A plain string as a key: also not the merge key `<<`, and short enough for an implicit key (the
 * library allows 1,024 characters, the fast reader 1,000).
 */
function isPlainKey(value: string): boolean {
  return value.length < 1000 && value !== '<<' && isPlainString(value);
}

/**
 * No indicator first; a colon only before a non-space (not `key: value`, not a key's end); a space
 * only before something that is not a comment's `#` (and not at the end).
 */
const PLAIN_STRING = /^(?![-?:,[\]{}#&*!|>'"%@`])(?:[^: ]|:(?=[^ ])| (?=[^ #]| +[^ #]))+$/;
