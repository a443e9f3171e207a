import { basename } from 'node:path';
import { isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import { LineIndex } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import type { DiagnosticRef, QuickFix, TextEditOf } from './types';

/** Codes whose finding carries `data.replacement`, the "did you mean" candidate. */
const REPLACEABLE = new Set(['dvc-unknown-param', 'dvc-unknown-key', 'schema-invalid-dtype', 'schema-target-not-a-column']);

/**
 * Quick fixes for one of our diagnostics in `file`, from the data the check attached: the
 * "did you mean" replacement, adding a missing param to its params file, adding a CSV column to
 * the data contract. Edits are minimal text insertions, so comments and key order stay as written.
 */
export async function quickFixesFor(file: string, diagnostic: DiagnosticRef, files: FileAccess): Promise<QuickFix[]> {
  const fixes: QuickFix[] = [];
  const data = (diagnostic.data ?? {}) as Record<string, unknown>;
  const code = String(diagnostic.code ?? '');
  try {
    if (REPLACEABLE.has(code) && typeof data.replacement === 'string') {
      fixes.push({
        title: `Change to "${data.replacement}"`,
        edits: { [file]: [{ range: diagnostic.range, newText: data.replacement }] },
        isPreferred: true,
      });
    }
    if (code === 'dvc-unknown-param' && typeof data.paramsFile === 'string' && typeof data.key === 'string' && !data.key.includes('${')) {
      const text = (await files.readText(data.paramsFile)) ?? '';
      const edit = insertKeyEdit(text, data.key.split('.'), 'null');
      if (edit) fixes.push({ title: `Add "${data.key}" to ${basename(data.paramsFile)}`, edits: { [data.paramsFile]: [edit] } });
    }
    if (code === 'schema-column-not-in-contract' && typeof data.column === 'string') {
      const text = await files.readText(file);
      const edit = text === undefined ? undefined : insertKeyEdit(text, ['COLUMNS', data.column], 'object');
      if (edit)
        fixes.push({ title: `Add column "${data.column}" to ${basename(file)} (as object)`, edits: { [file]: [edit] }, isPreferred: true });
    }
  } catch {
    // A fix we cannot compute is simply not offered.
  }
  return fixes;
}

/**
 * The text insertion that adds a dotted key (nested mappings created as needed) at the end of the
 * deepest existing block mapping, at that mapping's indentation. Undefined when the key exists,
 * when a parent is a value rather than a mapping, or when the mapping is in flow style (`{a: 1}`).
 */
export function insertKeyEdit(text: string, segments: string[], valueText: string): TextEditOf | undefined {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) return undefined;
  const lines = new LineIndex(text);
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    const prefix = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
    const at = lines.position(text.length);
    return { range: { start: at, end: at }, newText: `${prefix}${block(segments, valueText, '', '  ')}` };
  }
  let map: YAMLMap | undefined = isMap(root) ? root : undefined;
  let depth = 0;
  while (map) {
    if (map.flow) return undefined;
    const segment = segments[depth];
    const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
    if (!pair) break;
    depth++;
    if (depth === segments.length) return undefined;
    if (!isMap(pair.value)) return undefined;
    map = pair.value;
  }
  if (!map || !map.range) return undefined;
  const firstKey = map.items[0]?.key as Node | undefined;
  const indentColumn = firstKey?.range ? lines.position(firstKey.range[0]).character : 0;
  const step = indentColumn > 0 && depth > 0 ? indentColumn / depth : indentStep(text);
  const indent = ' '.repeat(indentColumn);
  const end = map.range[1];
  const atLineStart = end > 0 && text[end - 1] === '\n';
  const position = lines.position(end);
  const body = block(segments.slice(depth), valueText, indent, ' '.repeat(Math.max(1, Math.round(step))));
  return { range: { start: position, end: position }, newText: atLineStart ? body : `\n${body.replace(/\n$/, '')}` };
}

/** The indentation the file uses for a nested mapping (its first indented key), 2 by default. */
function indentStep(text: string): number {
  const match = /^( +)[^\s#-][^\n]*:/m.exec(text);
  return match ? (match[1] as string).length : 2;
}

function block(segments: string[], valueText: string, indent: string, step: string): string {
  return segments
    .map((segment, i) => `${indent}${step.repeat(i)}${yamlKey(segment)}:${i === segments.length - 1 ? ` ${valueText}` : ''}\n`)
    .join('');
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][\w.-]*$/.test(key) ? key : JSON.stringify(key);
}
