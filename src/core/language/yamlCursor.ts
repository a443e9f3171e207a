import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Position, Range } from '../diagnostic';

/** Marks a sequence item in a cursor path. */
export const ITEM = '-';

/**
 * Where the cursor is in a YAML document that may be half-typed, read from indentation alone so it
 * works while the document does not parse: the keys (and `-` items) above the cursor, the key whose
 * value is being typed on this line, and the word being typed.
 */
export interface CursorContext {
  /** Ancestor keys and `-` (sequence items), outermost first, including the current line's dashes. */
  path: string[];
  /** The key written on the cursor's line when the cursor is in its value. */
  key?: string;
  /** True when the cursor is where a key (or a plain list item) is typed. */
  atKey: boolean;
  /** The line up to the cursor. */
  before: string;
  /** The whole line. */
  line: string;
  /** The word around the cursor (letters, digits, `_ . - [ ] /`), for replacement. */
  word: Range;
  wordText: string;
}

interface Token {
  column: number;
  /** A key name, or ITEM. */
  name: string;
  /** A key followed by a value on the same line (never a parent). */
  inline: boolean;
}

const KEY_LINE = /^((?:"[^"]*"|'[^']*'|[^\s#'"{[\]][^#]*?)):(?:\s+(.*))?$/;

function tokensOf(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  if (i >= line.length || line[i] === '#') return tokens;
  while (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ')) {
    tokens.push({ column: i, name: ITEM, inline: false });
    i++;
    while (line[i] === ' ') i++;
  }
  const rest = line.slice(i).replace(/\s+$/, '');
  const match = KEY_LINE.exec(rest);
  if (match) {
    const value = (match[2] ?? '').trim();
    tokens.push({ column: i, name: unquote(match[1] ?? ''), inline: value !== '' && !value.startsWith('#') && !/^[|>&]/.test(value) });
  }
  return tokens;
}

function unquote(key: string): string {
  const trimmed = key.trim();
  if ((trimmed.startsWith('"') && trimmed.endsWith('"')) || (trimmed.startsWith("'") && trimmed.endsWith("'"))) return trimmed.slice(1, -1);
  return trimmed;
}

const WORD = /[\w.\-[\]/@]/;

export function cursorContext(text: string, position: Position): CursorContext {
  const lines = text.split('\n');
  const line = (lines[position.line] ?? '').replace(/\r$/, '');
  const character = Math.min(position.character, line.length);
  const before = line.slice(0, character);
  let start = character;
  while (start > 0 && WORD.test(line[start - 1] ?? '')) start--;
  let end = character;
  while (end < line.length && WORD.test(line[end] ?? '')) end++;
  const word: Range = { start: { line: position.line, character: start }, end: { line: position.line, character: end } };

  // The current line, up to the cursor: its dashes, and a key when the cursor is after `key:`.
  const own: Token[] = [];
  let i = 0;
  while (i < before.length && before[i] === ' ') i++;
  const firstColumn = i;
  while (before[i] === '-' && (i + 1 === before.length || before[i + 1] === ' ')) {
    own.push({ column: i, name: ITEM, inline: false });
    i++;
    while (before[i] === ' ') i++;
  }
  const rest = before.slice(i);
  const keyMatch = /^((?:"[^"]*"|'[^']*'|[^\s#'"{[\]][^#:]*?)):(\s.*|)$/.exec(rest);
  const key = keyMatch ? unquote(keyMatch[1] ?? '') : undefined;

  // Ancestors: each line above whose tokens start left of the current structure.
  const ancestors: Token[] = [];
  let threshold = own[0]?.column ?? firstColumn;
  let firstIsItem = own.length > 0;
  for (let l = position.line - 1; l >= 0 && (threshold > 0 || firstIsItem); l--) {
    const tokens = tokensOf((lines[l] ?? '').replace(/\r$/, ''));
    if (tokens.length === 0) continue;
    const parents = tokens.filter((t) => !t.inline && (t.column < threshold || (firstIsItem && t.name !== ITEM && t.column === threshold)));
    if (parents.length === 0) continue;
    ancestors.unshift(...parents);
    const first = parents[0] as Token;
    threshold = first.column;
    firstIsItem = first.name === ITEM;
  }
  const path = [...ancestors.map((t) => t.name), ...own.map((t) => t.name)];
  return {
    path,
    ...(key !== undefined ? { key } : {}),
    atKey: key === undefined && /^[^\s:{}[\],#]*$/.test(rest),
    before,
    line,
    word,
    wordText: line.slice(start, end),
  };
}

/** The node under an offset in a parsed document, with its key path and whether it is a key. */
export interface NodeAtOffset {
  path: Array<string | number>;
  node: Node;
  isKey: boolean;
}

export function nodeAtOffset(doc: Document.Parsed, offset: number): NodeAtOffset | undefined {
  const contains = (node: Node | null | undefined): boolean => {
    const r = node?.range;
    return r !== undefined && r !== null && r[0] <= offset && offset <= r[1];
  };
  let node: unknown = doc.contents;
  const path: Array<string | number> = [];
  for (let depth = 0; depth < 200 && node; depth++) {
    if (isMap(node)) {
      let next: unknown;
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as Node | null;
        if (isScalar(key) && contains(key)) return { path: [...path, String(key.value)], node: key, isKey: true };
        if (contains(pair.value as Node | null)) {
          path.push(isScalar(key) ? String(key.value) : '');
          next = pair.value;
          break;
        }
      }
      if (next === undefined) return undefined;
      node = next;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item as Node | null));
      if (index < 0) return undefined;
      path.push(index);
      node = node.items[index];
    } else if (isScalar(node)) {
      return { path, node, isKey: false };
    } else {
      return undefined;
    }
  }
  return undefined;
}
