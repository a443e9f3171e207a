import { Document, Pair, Scalar, YAMLMap, YAMLSeq, isScalar, type Node } from 'yaml';

/**
 * A fast reader for the plain block YAML that dvc.yaml files are written in: nested mappings and
 * lists, one `key: value` or `- value` per line, plain and simply quoted scalars, comments. It
 * builds the same nodes as the yaml library (same classes, values, ranges and scalar styles, with
 * the library's own core-schema tags resolving plain scalars), at a fraction of the cost, because
 * it skips the library's token stream and concrete syntax tree.
 *
 * Anything else (flow collections, anchors and aliases, tags, block scalars, multi-line scalars,
 * escapes, tabs, CR line ends, duplicate keys, several documents, whatever the library would report
 * an error or a warning for) makes it return undefined, and the caller parses with the library. So
 * the nodes it returns are those the library would have built, and it never reports anything.
 * Comments are skipped, not attached to nodes: callers that read comments use the library.
 */
export function parseBlockYaml(text: string): Document.Parsed | undefined {
  if (text.length === 0 || /[\t\r\uFEFF]/.test(text)) return undefined;
  try {
    const reader = new BlockReader(text);
    const root = reader.document();
    if (root === undefined) return undefined;
    const doc = new Document(null, OPTIONS) as Document.Parsed;
    doc.contents = root as unknown as Document.Parsed['contents'];
    doc.range = [root.range?.[0] ?? 0, root.range?.[1] ?? 0, root.range?.[2] ?? 0];
    madeHere.add(doc);
    return doc;
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}

const OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true } as const;

/** Documents this reader built (plain maps, lists and untagged scalars only). */
const madeHere = new WeakSet<Document.Parsed>();

/** Whether the fast reader built this document (so `plainOfBlockDocument` may convert it). */
export function isBlockDocument(doc: Document.Parsed): boolean {
  return madeHere.has(doc);
}

/**
 * The plain value of a document the fast reader built, equal to `doc.toJS()`: what it builds has no
 * anchors, aliases, tags, merge keys or duplicate keys, so the library's conversion (with its alias
 * bookkeeping, a context per value and key stringification) reduces to this walk. Keys become
 * strings as the library makes them (`null` → "", numbers and booleans with String), and a key the
 * object already answers to (`__proto__`, `toString`) is defined as an own property, as the library
 * does.
 */
export function plainOfBlockDocument(doc: Document.Parsed): unknown {
  return plainOf(doc.contents);
}

function plainOf(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  if (node instanceof Scalar) return node.value;
  if (node instanceof YAMLSeq) return node.items.map(plainOf);
  if (node instanceof YAMLMap) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items as Pair<unknown, unknown>[]) {
      const key = (pair.key as Scalar).value;
      const name = key === null ? '' : String(key);
      const value = plainOf(pair.value);
      if (name in out) Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
      else out[name] = value;
    }
    return out;
  }
  throw new Error('the fast reader built a node it does not convert');
}
const UNSUPPORTED = Symbol('unsupported');
const MAX_DEPTH = 64;

interface Line {
  /** Offset of the line's first character. */
  start: number;
  /** Offset of its end (the newline, or the end of the text). */
  end: number;
  /** Offset after its newline. */
  next: number;
  /** Spaces before the content. */
  indent: number;
}

interface Tag {
  default?: boolean | 'key';
  tag: string;
  test?: RegExp;
  format?: string;
  resolve: (value: string, onError: (message: string) => void, options: object) => unknown;
}

const schemaTags = (): { tags: Tag[]; tested: Tag[]; string: Tag; core: boolean } => {
  const schema = new Document(null, OPTIONS).schema as unknown as { tags: Tag[] };
  const string = schema.tags.find((t) => t.tag === 'tag:yaml.org,2002:str');
  if (string === undefined) throw new Error('the yaml library has no string tag');
  // The tags a plain scalar may resolve to, in the library's order (the first whose test passes).
  const tested = schema.tags.filter((t) => t.default === true && t.test !== undefined);
  const tests = tested.map((t) => t.test?.source);
  const core = tests.length === CORE_TESTS.size && tests.every((source) => source !== undefined && CORE_TESTS.has(source));
  return { tags: schema.tags, tested, string, core };
};

/**
 * The YAML 1.2 core schema's tests for plain scalars (null, booleans, integers, floats), as the
 * library writes them. Only while its tags are exactly these does a first character that none of
 * them accepts make a scalar a string without running them.
 */
const CORE_TESTS = new Set([
  '^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$',
  '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)[eE][-+]?[0-9]+$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+\\.[0-9]*)$',
  '^0o[0-7]+$',
  '^[-+]?[0-9]+$',
  '^0x[0-9a-fA-F]+$',
  '^(?:~|[Nn]ull|NULL)?$',
]);

/** 1 for the ASCII characters a core-schema null, boolean or number can start with. */
const NON_STRING_START = new Uint8Array(128);
for (const c of 'TtFfNn~+-.0123456789') NON_STRING_START[c.charCodeAt(0)] = 1;

/**
 * Whether a plain scalar with this source is a string, as the library resolves it (not a null, a
 * boolean or a number of the core schema).
 */
export function plainScalarIsString(source: string): boolean {
  return plainTag(source) === tags?.string;
}

/** The tag the library resolves a plain scalar with. */
function plainTag(source: string): Tag {
  tags ??= schemaTags();
  const first = source.charCodeAt(0);
  // A plain scalar that cannot start a null, boolean or number is a string (most of a dvc.yaml).
  if (source.length > 0 && tags.core && (first >= 128 || NON_STRING_START[first] === 0)) return tags.string;
  for (const tag of tags.tested) if (tag.test?.test(source) === true) return tag;
  return tags.string;
}

let options: Document['options'] | undefined;

/** The options the library's documents are made with here (scalars resolve with them). */
function docOptions(): Document['options'] {
  options ??= new Document(null, OPTIONS).options;
  return options;
}

/** Characters YAML allows in a scalar without escapes (the reader leaves the rest to the library). */
const PRINTABLE = /^[\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;
/** The same for a whole text, with its line ends. */
const PRINTABLE_TEXT = /^[\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufffd]*$/;
let tags: ReturnType<typeof schemaTags> | undefined;

function unsupported(): never {
  throw UNSUPPORTED;
}

/** What a plain scalar (or key) cannot start with; `-`, `?` and `:` may when a non-space follows. */
const INDICATOR_CHARACTER = new Uint8Array(128);
for (const c of ',[]{}#&*!|>\'"%@`') INDICATOR_CHARACTER[c.charCodeAt(0)] = 1;

/** Whether the text at `from` starts with an indicator, the line ending at `end`. */
function startsWithIndicator(text: string, from: number, end: number): boolean {
  const c = text.charCodeAt(from);
  if (c < 128 && INDICATOR_CHARACTER[c] === 1) return true;
  if (c !== 45 && c !== 63 && c !== 58) return false;
  return from + 1 >= end || text.charCodeAt(from + 1) === 32;
}

/**
 * The lines of a text with content, and what both readers ask of them: the structure of block YAML
 * is read here, and a reader builds its mappings (`M`) and lists (`S`) in `map` and `seq`.
 */
abstract class LineReader<M, S> {
  protected readonly lines: Line[] = [];
  protected at = 0;
  protected depth = 0;
  protected readonly docOptions = docOptions();

  /**
   * `alignedComments`: a comment line must line up with the line after it (and come after the first
   * line), as only then does the library never count it into the end of a node before it.
   */
  constructor(
    protected readonly text: string,
    alignedComments: boolean,
  ) {
    const pendingComments: number[] = [];
    for (let start = 0; start < text.length;) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      let indent = 0;
      while (text.charCodeAt(start + indent) === 32) indent++;
      const first = start + indent;
      if (first < end && text.charCodeAt(first) === 35) {
        if (alignedComments && this.lines.length > 0) pendingComments.push(indent);
      } else if (first < end) {
        // A document marker or directive is not handled.
        if (indent === 0 && (text.startsWith('---', start) || text.startsWith('...', start) || text[start] === '%')) unsupported();
        if (pendingComments.some((c) => c !== indent)) unsupported();
        pendingComments.length = 0;
        this.lines.push({ start, end, next: Math.min(end + 1, text.length), indent });
      }
      start = end + 1;
    }
    if (pendingComments.length > 0) unsupported();
  }

  /** The document's root mapping; undefined for a text that does not start with one at column 0. */
  document(): M | undefined {
    const first = this.lines[0];
    if (first === undefined || first.indent !== 0) return undefined;
    const root = this.map(0, first.start);
    if (this.at < this.lines.length) unsupported();
    return root;
  }

  /** A block mapping whose keys sit at `indent`; its first key starts at `firstKey`. */
  protected abstract map(indent: number, firstKey: number): M;

  /** A block list whose `-` sit at `indent`. */
  protected abstract seq(indent: number): S;

  /** The block that starts on the current line, indented by `indent`. */
  protected block(indent: number): M | S {
    // Deep nesting is rare and the library's to refuse (the pipeline parser reports it).
    if (++this.depth > MAX_DEPTH) unsupported();
    try {
      const line = this.lines[this.at] as Line;
      if (this.isItem(line)) return this.seq(indent);
      const start = line.start + indent;
      if (!this.startsMapping(start, line.end)) unsupported();
      return this.map(indent, start);
    } finally {
      this.depth--;
    }
  }

  protected isItem(line: Line): boolean {
    const dash = line.start + line.indent;
    if (this.text.charCodeAt(dash) !== 45) return false;
    const after = this.text.charCodeAt(dash + 1);
    return dash + 1 >= line.end || after === 32;
  }

  /** Whether a `key:` (plain key, colon then a space or the line's end) starts at `from`. */
  protected startsMapping(from: number, end: number): boolean {
    for (let i = from; i < end; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 58 && (i + 1 >= end || this.text.charCodeAt(i + 1) === 32)) return true;
      if (c === 35 && this.text.charCodeAt(i - 1) === 32) return false;
    }
    return false;
  }

  /** Offset of the colon that ends the plain key starting at `from`. */
  protected keyEnd(from: number, end: number): number {
    if (startsWithIndicator(this.text, from, end) || this.text.charCodeAt(from) === 45) unsupported();
    for (let i = from; i < Math.min(end, from + 1000); i++) {
      const c = this.text.charCodeAt(i);
      if (c === 58 && (i + 1 >= end || this.text.charCodeAt(i + 1) === 32)) {
        if (this.text.charCodeAt(i - 1) === 32) unsupported();
        return i;
      }
      if (c === 35 && this.text.charCodeAt(i - 1) === 32) unsupported();
    }
    return unsupported();
  }

  /** After a value on one line, nothing more indented may follow (a continuation, or an error). */
  protected noDeeperLine(indent: number): void {
    const next = this.lines[this.at];
    if (next !== undefined && next.indent > indent) unsupported();
  }

  protected skipSpaces(from: number, end: number): number {
    let i = from;
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    return i;
  }

  /** The end of a plain scalar starting at `from` on this line (before a comment and spaces). */
  protected plainEnd(from: number, line: Line): number {
    if (startsWithIndicator(this.text, from, line.end)) unsupported();
    let end = line.end;
    for (let i = from; i < line.end; i++) {
      const c = this.text.charCodeAt(i);
      if (c === 35 && this.text.charCodeAt(i - 1) === 32) {
        end = i;
        break;
      }
      // `a: b: c` is an error the library reports.
      if (c === 58 && (i + 1 >= line.end || this.text.charCodeAt(i + 1) === 32)) unsupported();
    }
    while (end > from && this.text.charCodeAt(end - 1) === 32) end--;
    return end;
  }

  /** The closing quote of a quoted scalar starting at `from`, when the reader reads it (no escapes). */
  protected quoteEnd(from: number, line: Line): number {
    const quote = this.text.charCodeAt(from);
    const close = this.text.indexOf(quote === 34 ? '"' : "'", from + 1);
    if (close < 0 || close >= line.end) unsupported();
    // Escapes, and '' in single quotes, are the library's to read.
    if (quote === 34 && this.text.lastIndexOf('\\', close) > from) unsupported();
    if (quote === 39 && this.text.charCodeAt(close + 1) === 39) unsupported();
    const after = this.skipSpaces(close + 1, line.end);
    if (after < line.end && (this.text.charCodeAt(after) !== 35 || after === close + 1)) unsupported();
    return close;
  }
}

class BlockReader extends LineReader<YAMLMap, YAMLSeq> {
  /** Every character of the text is printable: no scalar needs checking on its own. */
  private readonly printable: boolean;

  constructor(text: string) {
    super(text, true);
    this.printable = PRINTABLE_TEXT.test(text);
  }

  protected map(indent: number, firstKey: number): YAMLMap {
    const map = new YAMLMap<Node, Node | null>();
    const seen = new Set<unknown>();
    let keyStart = firstKey;
    let end = firstKey;
    for (;;) {
      const line = this.lines[this.at];
      if (line === undefined) break;
      const colon = this.keyEnd(keyStart, line.end);
      const key = this.plain(keyStart, colon, colon);
      if (seen.has(key.value) || key.value === '<<' || (key.value !== null && typeof key.value === 'object')) unsupported();
      seen.add(key.value);
      const rest = this.skipSpaces(colon + 1, line.end);
      let value: Node | null;
      if (rest < line.end && this.text.charCodeAt(rest) !== 35) {
        this.at++;
        value = this.inlineScalar(rest, line);
        this.noDeeperLine(indent);
      } else {
        this.at++;
        const next = this.lines[this.at];
        if (next !== undefined && next.indent > indent) {
          value = this.block(next.indent);
        } else if (next !== undefined && next.indent === indent && this.isItem(next)) {
          value = this.seq(indent);
        } else {
          // `key:` alone is null, after any spaces; with a comment after it the library places the
          // null elsewhere.
          if (rest < line.end) unsupported();
          value = this.emptyScalar(rest);
        }
      }
      map.items.push(new Pair(key, value));
      end = value?.range?.[2] ?? colon + 1;
      const next = this.lines[this.at];
      if (next === undefined || next.indent < indent) break;
      if (next.indent > indent || this.isItem(next)) unsupported();
      keyStart = next.start + next.indent;
    }
    map.range = [firstKey, end, end];
    return map;
  }

  protected seq(indent: number): YAMLSeq {
    const seq = new YAMLSeq<Node | null>();
    const first = this.lines[this.at] as Line;
    const start = first.start + indent;
    let end = start;
    for (;;) {
      const line = this.lines[this.at];
      if (line === undefined || line.indent !== indent || !this.isItem(line)) break;
      const dash = line.start + indent;
      const content = this.skipSpaces(dash + 1, line.end);
      let item: Node | null;
      if (content >= line.end || this.text.charCodeAt(content) === 35) {
        this.at++;
        const next = this.lines[this.at];
        if (next !== undefined && next.indent > indent) item = this.block(next.indent);
        else unsupported();
      } else if (this.startsMapping(content, line.end)) {
        // `- key: value`: a mapping whose keys line up under the first one.
        item = this.map(content - line.start, content);
      } else {
        this.at++;
        item = this.inlineScalar(content, line);
        this.noDeeperLine(indent);
      }
      seq.items.push(item);
      end = item?.range?.[2] ?? line.next;
      const next = this.lines[this.at];
      if (next === undefined || next.indent < indent) break;
      if (next.indent > indent || !this.isItem(next)) break;
    }
    seq.range = [start, end, end];
    return seq;
  }

  /** A scalar that starts at `from` and ends on the same line, as a value. */
  private inlineScalar(from: number, line: Line): Scalar {
    const quote = this.text.charCodeAt(from);
    if (quote === 34 || quote === 39) {
      const close = this.quoteEnd(from, line);
      const inner = this.text.slice(from + 1, close);
      if (!this.printable && !PRINTABLE.test(inner)) unsupported();
      tags ??= schemaTags();
      const scalar = new Scalar(tags.string.resolve(inner, unsupported, this.docOptions));
      scalar.range = [from, close + 1, line.next];
      scalar.source = inner;
      scalar.type = quote === 34 ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
      return scalar;
    }
    return this.plain(from, this.plainEnd(from, line), line.next);
  }

  /** A plain scalar of text[from, end), its node ending at `nodeEnd`, resolved as the library does. */
  private plain(from: number, end: number, nodeEnd: number): Scalar {
    const source = this.text.slice(from, end);
    if (source.length === 0 || (!this.printable && !PRINTABLE.test(source))) unsupported();
    const tag = plainTag(source);
    const resolved = tag.resolve(source, unsupported, this.docOptions);
    const scalar = isScalar(resolved) ? (resolved as Scalar) : new Scalar(resolved);
    scalar.range = [from, end, nodeEnd];
    scalar.source = source;
    scalar.type = Scalar.PLAIN;
    if (tag.format) scalar.format = tag.format;
    return scalar;
  }

  /** The null of `key:` with nothing after it. */
  private emptyScalar(at: number): Scalar {
    const resolved = plainTag('').resolve('', unsupported, this.docOptions);
    // The null tag gives a node of its own, as for `null` written out.
    const scalar = isScalar(resolved) ? (resolved as Scalar) : new Scalar(resolved);
    scalar.range = [at, at, at];
    scalar.source = '';
    scalar.type = Scalar.PLAIN;
    return scalar;
  }
}

/**
 * The plain value of a text in the same plain block YAML, read without building nodes: what
 * `doc.toJS()` gives for the library's parse of it, for params files, whose values alone are looked
 * up. Comments are skipped wherever they are (they change no value). Undefined for whatever the
 * fast reader leaves to the library, and for a key that is not a plain string or is `__proto__`.
 */
export function readBlockYamlValue(text: string): { value: Record<string, unknown> } | undefined {
  if (text.length === 0 || text.includes('\uFEFF') || !PRINTABLE_TEXT.test(text)) return undefined;
  try {
    const value = new ValueReader(text).document();
    return value === undefined ? undefined : { value };
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}

/** Plain scalars that are not strings, by source, with the value the library resolves them to. */
const resolvedValues = new Map<string, { value: unknown }>();

class ValueReader extends LineReader<Record<string, unknown>, unknown[]> {
  constructor(text: string) {
    super(text, false);
  }

  protected map(indent: number, firstKey: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let keyStart = firstKey;
    for (;;) {
      const line = this.lines[this.at];
      if (line === undefined) break;
      const colon = this.keyEnd(keyStart, line.end);
      const key = this.text.slice(keyStart, colon);
      if (key === '__proto__' || key === '<<' || Object.hasOwn(map, key) || !plainScalarIsString(key)) unsupported();
      const rest = this.skipSpaces(colon + 1, line.end);
      let value: unknown;
      this.at++;
      if (rest < line.end && this.text.charCodeAt(rest) !== 35) {
        value = this.inlineScalar(rest, line);
        this.noDeeperLine(indent);
      } else {
        const next = this.lines[this.at];
        if (next !== undefined && next.indent > indent) value = this.block(next.indent);
        else if (next !== undefined && next.indent === indent && this.isItem(next)) value = this.seq(indent);
        else value = this.resolvePlain('');
      }
      // A key the object already answers to (`toString`) becomes an own property, as in the library.
      if (key in map) Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
      else map[key] = value;
      const next = this.lines[this.at];
      if (next === undefined || next.indent < indent) break;
      if (next.indent > indent || this.isItem(next)) unsupported();
      keyStart = next.start + next.indent;
    }
    return map;
  }

  protected seq(indent: number): unknown[] {
    const seq: unknown[] = [];
    for (;;) {
      const line = this.lines[this.at];
      if (line === undefined || line.indent !== indent || !this.isItem(line)) break;
      const content = this.skipSpaces(line.start + indent + 1, line.end);
      if (content >= line.end || this.text.charCodeAt(content) === 35) {
        this.at++;
        const next = this.lines[this.at];
        if (next !== undefined && next.indent > indent) seq.push(this.block(next.indent));
        else unsupported();
      } else if (this.startsMapping(content, line.end)) {
        seq.push(this.map(content - line.start, content));
      } else {
        this.at++;
        seq.push(this.inlineScalar(content, line));
        this.noDeeperLine(indent);
      }
      const next = this.lines[this.at];
      if (next === undefined || next.indent !== indent || !this.isItem(next)) break;
    }
    return seq;
  }

  private inlineScalar(from: number, line: Line): unknown {
    const quote = this.text.charCodeAt(from);
    if (quote === 34 || quote === 39) {
      tags ??= schemaTags();
      return tags.string.resolve(this.text.slice(from + 1, this.quoteEnd(from, line)), unsupported, this.docOptions);
    }
    const source = this.text.slice(from, this.plainEnd(from, line));
    if (source.length === 0) unsupported();
    return this.resolvePlain(source);
  }

  /** A plain scalar's value, as the library resolves it (some tags give a node, some a value). */
  private resolvePlain(source: string): unknown {
    const known = resolvedValues.get(source);
    if (known !== undefined) return known.value;
    const tag = plainTag(source);
    const resolved = tag.resolve(source, unsupported, this.docOptions);
    const value = isScalar(resolved) ? resolved.value : resolved;
    // Numbers, booleans and nulls repeat across a params file (`lr: 0.01`, `seed: 42`) and cost
    // the tag tests; the value of a source is always the same.
    if (tag !== tags?.string && (value === null || typeof value !== 'object')) {
      if (resolvedValues.size >= 4096) resolvedValues.clear();
      resolvedValues.set(source, { value });
    }
    return value;
  }
}
