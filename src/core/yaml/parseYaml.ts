import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { LineIndex, SOURCE, type Finding } from '../diagnostic';
import { ContentCache } from './contentCache';
import { parseBlockYaml, plainOfBlockDocument } from './fastBlockYaml';

export interface ParsedYaml {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineIndex;
  /** The plain JS value, or undefined when the document has errors that make it unusable. */
  value: unknown;
  /** Syntax findings: parse errors, duplicate keys, tabs used for indentation. */
  findings: Finding[];
}

/** Largest alias expansion we accept before calling a document an alias bomb. */
const MAX_ALIAS_COUNT = 10_000;

/**
 * Parses YAML keeping the CST positions, and turns every parser complaint into a finding at the
 * parser's own position. Never throws.
 */
export function parseYaml(file: string, text: string, options: { fast?: boolean } = {}): ParsedYaml {
  const lines = new LineIndex(text);
  const findings: Finding[] = [];
  // Positions come from LineIndex; the parser's own LineCounter would only repeat that work. The
  // fast reader gives the same nodes for plain block YAML and declines everything else.
  const fastDoc = options.fast === true ? parseBlockYaml(text) : undefined;
  if (fastDoc !== undefined) {
    // No errors, warnings or aliases by construction, so building the value cannot fail: it is
    // built when first read (the dvc.yaml checks read the nodes, not the value).
    let value: unknown;
    let built = false;
    const parsed: ParsedYaml = {
      file,
      text,
      doc: fastDoc,
      lines,
      findings,
      get value() {
        if (!built) {
          value = plainOfBlockDocument(fastDoc);
          built = true;
        }
        return value;
      },
    };
    readByFastReader.add(parsed);
    return parsed;
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  for (const error of doc.errors) {
    const [start, end] = error.pos;
    const duplicate = error.code === 'DUPLICATE_KEY';
    const tab = error.code === 'TAB_AS_INDENT';
    findings.push({
      file,
      // The parser points at the key's first character; a duplicate key is marked whole.
      range: lines.range(start, duplicate ? keyEnd(text, start) : Math.max(end, start + 1)),
      severity: 'error',
      code: duplicate ? 'yaml-duplicate-key' : tab ? 'yaml-tab-indent' : 'yaml-syntax',
      message: firstLine(error.message),
      source: SOURCE,
    });
  }
  for (const warning of doc.warnings) {
    const [start, end] = warning.pos;
    findings.push({
      file,
      range: lines.range(start, Math.max(end, start + 1)),
      severity: 'warning',
      code: 'yaml-warning',
      message: firstLine(warning.message),
      source: SOURCE,
    });
  }
  let value: unknown;
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      findings.push({
        file,
        range: lines.range(0, Math.min(text.length, 1)),
        severity: 'error',
        code: 'yaml-alias-bomb',
        message: `The YAML could not be expanded: ${firstLine(String((error as Error).message ?? error))}`,
        source: SOURCE,
      });
    }
  }
  return { file, text, doc, lines, value, findings };
}

/**
 * Parsed documents of the files validated last (a few large dvc.yaml files and their params
 * files), so one validation, the inputs of the document and its language features share a parse.
 */
const parsedByPath = new ContentCache<ParsedYaml>(8);

/**
 * `parseYaml` of a file that is parsed again and again while its text stays the same. The result is
 * shared between callers: read it, never change its document or findings. Comments are not kept on
 * its nodes when the fast reader parsed it (see fastBlockYaml.ts).
 */
export function parseYamlCached(file: string, text: string): ParsedYaml {
  // The validators read values and positions, never comments, so the fast reader serves them.
  return parsedByPath.get(file, text, () => parseYaml(file, text, { fast: true }));
}

/** Drops every cached parse (tests, or memory pressure). */
export function clearParseCache(): void {
  parsedByPath.clear();
}

/** Whether the parse of `file` with exactly `text` is cached (for tests). */
export function isParseCached(file: string, text: string): boolean {
  return parsedByPath.has(file, text);
}

/** Parses the fast reader made: their value is a mapping, and is built only when read. */
const readByFastReader = new WeakSet<ParsedYaml>();

/**
 * Whether the document's value is a mapping or list (not missing, not a scalar), without building
 * the value of a document the fast reader read (its root is always a mapping).
 */
export function valueIsCollection(parsed: ParsedYaml): boolean {
  if (readByFastReader.has(parsed)) return true;
  return parsed.value !== undefined && parsed.value !== null && typeof parsed.value === 'object';
}

/** Whether the document has a value at all (no syntax error, no alias bomb), without building it. */
export function hasValue(parsed: ParsedYaml): boolean {
  return readByFastReader.has(parsed) || parsed.value !== undefined;
}

/** End offset of the plain or quoted key that starts at `start`. */
function keyEnd(text: string, start: number): number {
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, start + 1);
    return close === -1 ? start + 1 : close + 1;
  }
  const match = /^[^\n]*?(?=:(\s|$))/.exec(text.slice(start, start + 1024));
  return start + Math.max(1, match ? match[0].trimEnd().length : 1);
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Finds the node at a key path (strings for map keys, numbers for sequence items). */
export function nodeAt(doc: Document.Parsed, path: ReadonlyArray<string | number>): Node | undefined {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      node = pair?.value ?? undefined;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      return undefined;
    }
  }
  return (node ?? undefined) as Node | undefined;
}

/** The key node of the pair at the given path (for a diagnostic on the key itself). */
export function keyNodeAt(doc: Document.Parsed, path: ReadonlyArray<string | number>): Node | undefined {
  if (path.length === 0) return undefined;
  const parent = nodeAt(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
    return (pair?.key ?? undefined) as Node | undefined;
  }
  return undefined;
}
