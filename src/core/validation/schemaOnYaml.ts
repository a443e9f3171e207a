import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';

/**
 * A small JSON Schema interpreter that walks the YAML syntax tree instead of plain data, so every
 * problem lands on the exact key or value. It understands what the shipped dvc.yaml schema uses
 * (type, properties, additionalProperties, patternProperties, required, items, enum, pattern,
 * uniqueItems, $ref, allOf, oneOf, anyOf). Unlike a generic validator it picks one branch of a
 * oneOf by the keys that are present, so a stage with a typo gets one message about the typo,
 * not a message per branch ("missing property matrix").
 */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  uniqueItems?: boolean;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  definitions?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
};

export type SchemaIssue =
  | { kind: 'unknown-key'; key: Node; path: Path; name: string; known: string[] }
  | { kind: 'wrong-type'; node: Node | null; key: Node | undefined; path: Path; expected: string[]; actual: string }
  | { kind: 'missing-key'; node: Node; key: Node | undefined; path: Path; name: string }
  | { kind: 'invalid-value'; node: Node; path: Path; reason: string }
  | { kind: 'duplicate-item'; node: Node; path: Path; value: string };

export type Path = ReadonlyArray<string | number>;

/** A path built while walking, turned into an array only for an issue. */
type PathLink = { readonly up: PathLink; readonly segment: string | number } | undefined;

function toPath(link: PathLink): Path {
  const path: (string | number)[] = [];
  for (let at = link; at !== undefined; at = at.up) path.push(at.segment);
  return path.reverse();
}

export class SchemaOnYaml {
  private readonly patterns = new Map<string, RegExp>();
  // Per-schema answers that do not depend on the document; a 5,000-stage file asks them 15,000 times.
  private readonly typesCache = new WeakMap<JsonSchema, string[]>();
  private readonly requiredCache = new WeakMap<JsonSchema, string[]>();
  private readonly hintsCache = new WeakMap<JsonSchema[], string[]>();
  private readonly resolved = new WeakMap<JsonSchema, JsonSchema>();
  private readonly ownTypes = new WeakMap<JsonSchema, string[]>();
  private readonly patternEntries = new WeakMap<JsonSchema, [RegExp, JsonSchema][]>();

  constructor(private readonly root: JsonSchema) {}

  validate(node: Node | null): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    this.check(node, undefined, this.root, undefined, [], issues);
    return issues;
  }

  private resolve(schema: JsonSchema): JsonSchema {
    if (schema.$ref === undefined) return schema;
    let target = this.resolved.get(schema);
    if (target === undefined) {
      let current = schema;
      for (let depth = 0; current.$ref !== undefined && depth < 32; depth++) {
        const name = current.$ref.replace(/^#\/(definitions|\$defs)\//, '');
        const next = this.root.definitions?.[name];
        if (next === undefined) {
          current = {};
          break;
        }
        current = next;
      }
      target = current;
      this.resolved.set(schema, target);
    }
    return target;
  }

  /** Property names a schema (with its allOf/oneOf branches) knows, for "did you mean". */
  private knownKeys(schema: JsonSchema, into = new Set<string>(), depth = 0): Set<string> {
    const s = this.resolve(schema);
    if (depth > 8) return into;
    for (const key of Object.keys(s.properties ?? {})) into.add(key);
    for (const sub of [...(s.allOf ?? []), ...(s.oneOf ?? []), ...(s.anyOf ?? [])]) this.knownKeys(sub, into, depth + 1);
    return into;
  }

  private requiredKeys(schema: JsonSchema, depth = 0): string[] {
    const s = this.resolve(schema);
    if (depth > 8) return [];
    return [...(s.required ?? []), ...(s.allOf ?? []).flatMap((sub) => this.requiredKeys(sub, depth + 1))];
  }

  private allowedTypes(schema: JsonSchema, depth = 0): string[] {
    const s = this.resolve(schema);
    if (depth > 8) return [];
    const own = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    const branches = [...(s.oneOf ?? []), ...(s.anyOf ?? [])].flatMap((sub) => this.allowedTypes(sub, depth + 1));
    const fromAll = (s.allOf ?? []).flatMap((sub) => this.allowedTypes(sub, depth + 1));
    return [...new Set([...own, ...branches, ...fromAll])];
  }

  /** Checks `node` against `schemaIn`, adding what is wrong to `issues` in document order. */
  private check(
    node: Node | null,
    key: Node | undefined,
    schemaIn: JsonSchema,
    path: PathLink,
    hints: string[],
    issues: SchemaIssue[],
  ): void {
    const schema = this.resolve(schemaIn);
    for (const sub of schema.allOf ?? []) this.check(node, key, sub, path, hints, issues);
    const branches = schema.oneOf ?? schema.anyOf;
    if (branches !== undefined && branches.length > 0) this.checkBranches(node, key, branches, path, issues);

    const actual = typeOfNode(node);
    if (schema.type !== undefined) {
      let expected = this.ownTypes.get(schema);
      if (expected === undefined) {
        expected = Array.isArray(schema.type) ? schema.type : [schema.type];
        this.ownTypes.set(schema, expected);
      }
      if (!typeMatches(actual, expected, node)) {
        issues.push({ kind: 'wrong-type', node, key, path: toPath(path), expected, actual });
        return;
      }
    }
    if (actual === 'template') return;
    if (schema.enum !== undefined && isScalar(node) && !schema.enum.some((v) => v === node.value)) {
      issues.push({
        kind: 'invalid-value',
        node,
        path: toPath(path),
        reason: `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`,
      });
    }
    if (schema.pattern !== undefined && isScalar(node) && typeof node.value === 'string' && !this.regex(schema.pattern).test(node.value)) {
      issues.push({ kind: 'invalid-value', node, path: toPath(path), reason: `must match ${schema.pattern}` });
    }
    if (isMap(node)) this.checkMap(node, schema, path, hints, issues);
    if (isSeq(node)) {
      const seen = new Map<string, number>();
      node.items.forEach((item, index) => {
        const child = (item ?? null) as Node | null;
        const childPath: PathLink = { up: path, segment: index };
        if (schema.items !== undefined) this.check(child, undefined, schema.items, childPath, [], issues);
        if (schema.uniqueItems && isScalar(child) && child.value !== null && typeof child.value !== 'object') {
          const text = String(child.value);
          if (seen.has(text)) issues.push({ kind: 'duplicate-item', node: child, path: toPath(childPath), value: text });
          else seen.set(text, index);
        }
      });
    }
  }

  private checkMap(node: Node, schema: JsonSchema, path: PathLink, hints: string[], issues: SchemaIssue[]): void {
    if (!isMap(node)) return;
    const present = new Set<string>();
    for (const pair of node.items as Pair<Node, Node | null>[]) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      present.add(name);
      const child = (pair.value ?? null) as Node | null;
      const childPath: PathLink = { up: path, segment: name };
      const declared = schema.properties?.[name];
      if (declared !== undefined) {
        this.check(child, pair.key, declared, childPath, [], issues);
        continue;
      }
      const byPattern = this.patternsOf(schema).find(([pattern]) => pattern.test(name));
      if (byPattern !== undefined) {
        this.check(child, pair.key, byPattern[1], childPath, [], issues);
        continue;
      }
      const extra = schema.additionalProperties;
      if (extra === false) {
        issues.push({
          kind: 'unknown-key',
          key: pair.key,
          path: toPath(childPath),
          name,
          known: [...new Set([...Object.keys(schema.properties ?? {}), ...hints])],
        });
      } else if (extra !== undefined && extra !== true) {
        this.check(child, pair.key, extra, childPath, [], issues);
      }
    }
    for (const name of schema.required ?? []) {
      if (!present.has(name)) issues.push({ kind: 'missing-key', node, key: undefined, path: toPath(path), name });
    }
  }

  private patternsOf(schema: JsonSchema): [RegExp, JsonSchema][] {
    let entries = this.patternEntries.get(schema);
    if (entries === undefined) {
      entries = Object.entries(schema.patternProperties ?? {}).map(([pattern, sub]): [RegExp, JsonSchema] => [this.regex(pattern), sub]);
      this.patternEntries.set(schema, entries);
    }
    return entries;
  }

  /**
   * oneOf/anyOf: valid when any branch is. Otherwise report the branch the author most likely
   * meant: one whose type fits and whose required keys are all present, then the one with fewest
   * issues. A value whose type fits no branch gets one wrong-type issue listing every allowed type.
   */
  private checkBranches(node: Node | null, key: Node | undefined, branches: JsonSchema[], path: PathLink, issues: SchemaIssue[]): void {
    const actual = typeOfNode(node);
    if (actual === 'template') return;
    const hints = isMap(node) ? this.branchHints(branches) : [];
    const fitting = branches.filter((b) => {
      const types = this.cachedTypes(b);
      return types.length === 0 || typeMatches(actual, types, node);
    });
    if (fitting.length === 0) {
      const expected = [...new Set(branches.flatMap((b) => this.allowedTypes(b)))];
      issues.push({ kind: 'wrong-type', node, key, path: toPath(path), expected, actual });
      return;
    }
    // Branches whose required keys are all present first: usually the first one is valid.
    const ranked = fitting
      .map((branch) => ({ branch, complete: !isMap(node) || this.cachedRequired(branch).every((name) => node.has(name)) }))
      .sort((a, b) => Number(b.complete) - Number(a.complete));
    let best: SchemaIssue[] | undefined;
    let bestRank = Infinity;
    for (const { branch, complete } of ranked) {
      const found: SchemaIssue[] = [];
      this.check(node, key, branch, path, hints, found);
      if (found.length === 0) return;
      const rank = (complete ? 0 : 1000) + found.length;
      if (rank < bestRank) {
        bestRank = rank;
        best = found;
      }
    }
    if (best !== undefined) for (const issue of best) issues.push(issue);
  }

  private branchHints(branches: JsonSchema[]): string[] {
    let hints = this.hintsCache.get(branches);
    if (hints === undefined) {
      hints = [...new Set(branches.flatMap((b) => [...this.knownKeys(b)]))];
      this.hintsCache.set(branches, hints);
    }
    return hints;
  }

  private cachedTypes(schema: JsonSchema): string[] {
    let types = this.typesCache.get(schema);
    if (types === undefined) {
      types = this.allowedTypes(schema);
      this.typesCache.set(schema, types);
    }
    return types;
  }

  private cachedRequired(schema: JsonSchema): string[] {
    let required = this.requiredCache.get(schema);
    if (required === undefined) {
      required = this.requiredKeys(schema);
      this.requiredCache.set(schema, required);
    }
    return required;
  }

  private regex(pattern: string): RegExp {
    let re = this.patterns.get(pattern);
    if (re === undefined) {
      re = new RegExp(pattern, 'u');
      this.patterns.set(pattern, re);
    }
    return re;
  }
}

/** JSON Schema type of a node; `template` for a `${...}` string, which may stand for any type. */
export function typeOfNode(node: Node | null): string {
  if (node === null || node === undefined) return 'null';
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return 'boolean';
    if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) ? 'integer' : 'number';
    if (typeof v === 'string') return v.includes('${') ? 'template' : 'string';
    return 'string';
  }
  return 'unknown';
}

function typeMatches(actual: string, expected: string[], node: Node | null): boolean {
  if (actual === 'unknown') return true;
  // `${...}` is substituted before DVC checks types; a whole-value template may be anything.
  if (actual === 'template') return expected.includes('string') || isWholeTemplate(node) || expected.length === 0;
  if (expected.includes(actual)) return true;
  if (actual === 'integer' && expected.includes('number')) return true;
  return false;
}

function isWholeTemplate(node: Node | null): boolean {
  return isScalar(node) && typeof node.value === 'string' && /^\s*\$\{[^}]*\}\s*$/.test(node.value);
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  integer: 'an integer',
  null: 'empty',
  template: 'a ${} expression',
};

export function describeTypes(types: string[]): string {
  const words = [...new Set(types.map((t) => TYPE_WORDS[t] ?? t))];
  if (words.length <= 1) return words[0] ?? 'something else';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

export function describeType(type: string): string {
  return TYPE_WORDS[type] ?? type;
}
