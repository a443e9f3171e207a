import { dirname, join, normalize } from 'node:path';
import { DEFAULT_PARAMS_FILE } from '../pipeline/dvcPipeline';
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

/** Keys of a plain stage, and which of them hold lists. */
const SCALAR_KEYS = new Set(['cmd', 'desc', 'frozen', 'always_changed']);
const LIST_KEYS = new Set(['cmd', 'deps', 'outs', 'metrics', 'plots', 'params']);
/** Lists whose entries may carry flags (`- path:` with `cache: false` below it). */
const FLAGGED_LISTS = new Set(['outs', 'metrics', 'plots']);
/** The flags of outs, metrics and plots that take a boolean (OutFlags and PlotFlags in the schema). */
const BOOLEAN_FLAGS = new Set(['cache', 'persist', 'checkpoint', 'push']);
/** Characters a plain scalar is written with, line ends included; the rest is the library's. */
const PRINTABLE_TEXT = /^[\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;
/** What a plain value must not start with here: YAML indicators, and `-`, `?`, `:` always. */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`]/;

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
  if (text.includes('${') || !PRINTABLE_TEXT.test(text)) return undefined;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let at = 0;
  // Blank lines and comments above the name; the comments lined up with it, as the fast reader reads them.
  const comments: number[] = [];
  for (; at < lines.length; at++) {
    const line = lines[at] as string;
    const indent = indentOf(line);
    if (indent === line.length) continue;
    if (line.charCodeAt(indent) !== 35) break;
    comments.push(indent);
  }
  const nameLine = lines[at];
  if (nameLine === undefined) return undefined;
  const stageIndent = indentOf(nameLine);
  const nameEnd = contentEnd(nameLine);
  if (stageIndent === 0 || nameLine.charCodeAt(nameEnd - 1) !== 58 || comments.some((c) => c !== stageIndent)) return undefined;
  const name = nameLine.slice(stageIndent, nameEnd - 1);
  if (!isPlainString(name)) return undefined;
  const spanOf = (line: number, from: number, to: number): SourceSpan => ({
    file,
    range: { start: { line: startLine + line, character: from }, end: { line: startLine + line, character: to } },
  });
  const stage: PipelineStage = {
    name,
    cmd: [],
    wdir: folderOf(file),
    deps: [],
    outs: [],
    metrics: [],
    plots: [],
    params: [],
    frozen: false,
    alwaysChanged: false,
    span: spanOf(at, stageIndent, stageIndent + name.length),
  };
  let resolveSteps = 0;
  let keyIndent = -1;
  const keys = new Set<string>();
  at++;
  while (at < lines.length) {
    const line = lines[at] as string;
    const indent = indentOf(line);
    if (indent === line.length) {
      at++;
      continue;
    }
    if (keyIndent < 0) keyIndent = indent;
    if (indent !== keyIndent || indent <= stageIndent) return undefined;
    const end = contentEnd(line);
    const colon = line.indexOf(':', indent);
    if (colon < 0) return undefined;
    const key = line.slice(indent, colon);
    if (keys.has(key)) return undefined;
    keys.add(key);
    if (colon + 1 < end) {
      // `key: value` on one line.
      if (!SCALAR_KEYS.has(key) || line.charCodeAt(colon + 1) !== 32) return undefined;
      const from = skipSpaces(line, colon + 1);
      const value = line.slice(from, end);
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
    if (!LIST_KEYS.has(key) || colon + 1 !== end) return undefined;
    at++;
    let itemIndent = -1;
    const seen = new Set<string>();
    const items: StagePath[] = [];
    while (at < lines.length) {
      const itemLine = lines[at] as string;
      const itemAt = indentOf(itemLine);
      if (itemAt === itemLine.length) {
        at++;
        continue;
      }
      if (itemAt <= keyIndent) break;
      if (itemIndent < 0) itemIndent = itemAt;
      if (itemAt !== itemIndent || itemLine.charCodeAt(itemAt) !== 45 || itemLine.charCodeAt(itemAt + 1) !== 32) return undefined;
      const from = skipSpaces(itemLine, itemAt + 1);
      const to = contentEnd(itemLine);
      let value = itemLine.slice(from, to);
      let flags: Record<string, boolean> | undefined;
      const itemLineAt = at;
      at++;
      if (value.endsWith(':') && FLAGGED_LISTS.has(key)) {
        // `- path:` with its flags below it, indented past the path.
        value = value.slice(0, -1);
        flags = {};
        let flagIndent = -1;
        while (at < lines.length) {
          const flagLine = lines[at] as string;
          const flagAt = indentOf(flagLine);
          if (flagAt === flagLine.length) {
            at++;
            continue;
          }
          if (flagAt <= itemIndent) break;
          if (flagIndent < 0) flagIndent = flagAt;
          if (flagAt !== flagIndent || flagAt <= from) return undefined;
          const flagEnd = contentEnd(flagLine);
          const flagColon = flagLine.indexOf(':', flagAt);
          const flag = flagLine.slice(flagAt, flagColon);
          const flagValue = flagLine.slice(flagColon + 1, flagEnd);
          if (flagColon < 0 || !BOOLEAN_FLAGS.has(flag) || Object.hasOwn(flags, flag)) return undefined;
          if (flagValue !== ' true' && flagValue !== ' false') return undefined;
          flags[flag] = flagValue === ' true';
          resolveSteps++;
          at++;
        }
        if (flagIndent < 0) return undefined;
      }
      if (!isPlainString(value) || seen.has(value)) return undefined;
      seen.add(value);
      resolveSteps++;
      const span = spanOf(itemLineAt, from, from + value.length);
      items.push(flags === undefined ? { path: value, span } : { path: value, span, flags });
    }
    if (items.length === 0) return undefined;
    if (key === 'cmd') stage.cmd = items.map((item) => item.path);
    else if (key === 'params') stage.params = items.map((item) => ({ file: DEFAULT_PARAMS_FILE, key: item.path, span: item.span }));
    else stage[key as 'deps' | 'outs' | 'metrics' | 'plots'] = items;
  }
  if (!keys.has('cmd')) return undefined;
  return { name, stage, resolveSteps };
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

function indentOf(line: string): number {
  let indent = 0;
  while (line.charCodeAt(indent) === 32) indent++;
  return indent;
}

/** Where a line's content ends: before its trailing spaces. */
function contentEnd(line: string): number {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 32) end--;
  return end;
}

function skipSpaces(line: string, from: number): number {
  let at = from;
  while (line.charCodeAt(at) === 32) at++;
  return at;
}

/**
 * A plain scalar that the library reads as this same string, on its own: no indicator first, no
 * comment, no `key: value`, not ending as a key, and not a null, boolean or number.
 */
function isPlainString(value: string): boolean {
  return (
    value.length > 0 &&
    !INDICATOR_START.test(value) &&
    !value.includes(' #') &&
    !value.includes(': ') &&
    !value.endsWith(':') &&
    !value.endsWith(' ') &&
    plainScalarIsString(value)
  );
}
