import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * DVC's `${...}` templating, reproduced to give the same strings DVC gives. DVC is Python: a
 * float written `1.0` interpolates as `1.0` and `1e-5` as `1e-05`, so floats read from YAML are
 * kept as `PyFloat` in the context and printed with Python's `repr` rules.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  toString(): string {
    return pythonFloatRepr(this.value);
  }
}

export type CtxValue = null | string | number | boolean | PyFloat | CtxValue[] | { [key: string]: CtxValue };
export type CtxDict = { [key: string]: CtxValue };

export function isCtxDict(value: unknown): value is CtxDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PyFloat);
}

export function isMapOrSeq(value: unknown): boolean {
  return Array.isArray(value) || isCtxDict(value);
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const abs = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  }
  const negative = x < 0;
  const digits = mantissa.replace('-', '').replace('.', '');
  let fixed: string;
  if (exponent >= 0) {
    fixed =
      digits.length <= exponent + 1
        ? `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`
        : `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  } else {
    fixed = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return (negative ? '-' : '') + fixed;
}

/** Python's `str()` of a value as DVC's `to_str` prints it (bools lower-case, dicts as `--k v`). */
export function toDvcString(value: CtxValue | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat) return value.toString();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return pythonRepr(value);
  return dictToArgs(value);
}

/** Python's `str()` of a value taken from a context node (bools print as `True`). */
export function pythonStr(value: CtxValue): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

function pythonRepr(value: CtxValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (value instanceof PyFloat) return value.toString();
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  return `{${Object.entries(value)
    .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
    .join(', ')}}`;
}

function flatten(dict: CtxDict, prefix = '', into: [string, CtxValue][] = []): [string, CtxValue][] {
  for (const [key, value] of Object.entries(dict)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (isCtxDict(value)) flatten(value, full, into);
    else into.push([full, value]);
  }
  return into;
}

function shellQuote(value: string): string {
  if (value.length === 0) return "''";
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** A dict interpolated into `cmd` becomes command-line options (DVC's default `store_true`/`nargs`). */
function dictToArgs(dict: CtxDict): string {
  let result = '';
  for (const [key, value] of flatten(dict)) {
    if (typeof value === 'boolean') {
      if (value) result += `--${key} `;
    } else if (typeof value === 'string') {
      result += `--${key} ${shellQuote(value)} `;
    } else if (Array.isArray(value)) {
      value.forEach((item, n) => {
        const text = typeof item === 'string' ? shellQuote(item) : toDvcString(item);
        result += n > 0 ? `${text} ` : `--${key} ${text} `;
      });
    } else {
      result += `--${key} ${toDvcString(value)} `;
    }
  }
  return result.trimEnd();
}

const aliasTargets = new WeakMap<object, unknown>();

/** An alias's target, remembered: the yaml library searches the whole document on each call. */
export function resolveAlias(alias: { resolve(doc: Document): unknown }, doc: Document.Parsed): unknown {
  if (aliasTargets.has(alias)) return aliasTargets.get(alias);
  const target = alias.resolve(doc);
  aliasTargets.set(alias, target);
  return target;
}

/** How many nodes a conversion may produce, so an alias bomb cannot hang the parser. */
export interface ConversionBudget {
  left: number;
}

/** Converts a YAML node to a context value, keeping floats as floats; null once the budget is spent. */
export function nodeToContext(node: unknown, doc: Document.Parsed, budget: ConversionBudget = { left: 200_000 }, depth = 0): CtxValue {
  if (depth > 200 || --budget.left < 0) return null;
  if (isAlias(node)) return nodeToContext(resolveAlias(node, doc), doc, budget, depth + 1);
  if (isScalar(node)) return scalarToContext(node);
  if (isMap(node)) {
    const out: CtxDict = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = nodeToContext(pair.key, doc, budget, depth + 1);
      // DVC's context ignores keys that are not strings.
      if (typeof key !== 'string') continue;
      out[key] = nodeToContext(pair.value, doc, budget, depth + 1);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => nodeToContext(item, doc, budget, depth + 1));
  return null;
}

export function scalarToContext(node: { value: unknown; source?: string; format?: string }): CtxValue {
  const value = node.value;
  if (typeof value === 'number') {
    const source = node.source ?? '';
    const isFloat = node.format !== 'HEX' && node.format !== 'OCT' && /[.eE]|inf|nan/i.test(source);
    return isFloat ? new PyFloat(value) : value;
  }
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

/** Plain JS value of a context value (floats back to numbers). */
export function toPlain(value: CtxValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (isCtxDict(value)) {
    const plain: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const converted = toPlain(value[key] as CtxValue);
      // Assigning `__proto__` would set the prototype; fromEntries made it an own key.
      if (key === '__proto__')
        Object.defineProperty(plain, key, { value: converted, enumerable: true, writable: true, configurable: true });
      else plain[key] = converted;
    }
    return plain;
  }
  return value;
}

export interface InterpolationMatch {
  /** The whole `${...}` text. */
  text: string;
  /** The expression inside the braces. */
  expression: string;
  /** Offset of `${` in the string. */
  start: number;
  end: number;
}

const INTERPOLATION = /(?<!\\)\$\{(.*?)\}/g;

/** Every `${...}` in a string (a backslash before `$` escapes it, as in DVC). */
export function findInterpolations(text: string): InterpolationMatch[] {
  const found: InterpolationMatch[] = [];
  for (const match of text.matchAll(INTERPOLATION)) {
    const start = match.index ?? 0;
    found.push({ text: match[0], expression: match[1] ?? '', start, end: start + match[0].length });
  }
  return found;
}

const EXPRESSION = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/;

/** Whether DVC's grammar accepts the expression (`a.b`, `a[0]`, `item.x`). */
export function isValidExpression(expression: string): boolean {
  return EXPRESSION.test(expression);
}

/** The key path of an expression: `a.b[0]` → `['a', 'b', '0']`. */
export function expressionPath(expression: string): string[] {
  // Most expressions (`item`, `train.lr`) have no brackets: split them without the two replaces.
  const dotted = expression.includes('[') || expression.includes(']') ? expression.replace(/\[/g, '.').replace(/\]/g, '') : expression;
  const parts = dotted.split('.');
  for (let i = 0; i < parts.length; i++) parts[i] = (parts[i] as string).trim();
  return parts;
}

export type Selection = { found: true; value: CtxValue } | { found: false; missing: string };

/** Looks an expression up in a context the way DVC's `Context.select` does. */
export function selectInContext(context: CtxDict, expression: string): Selection {
  let current: CtxValue = context;
  for (const part of expressionPath(expression)) {
    if (Array.isArray(current)) {
      if (!/^[-+]?\d+$/.test(part)) return { found: false, missing: part };
      let index = Number(part);
      if (index < 0) index += current.length;
      if (index < 0 || index >= current.length) return { found: false, missing: part };
      current = current[index] ?? null;
    } else if (isCtxDict(current)) {
      if (!Object.prototype.hasOwnProperty.call(current, part)) return { found: false, missing: part };
      current = current[part] ?? null;
    } else {
      return { found: false, missing: part };
    }
  }
  return { found: true, value: current };
}

export interface InterpolationProblem {
  kind: 'syntax' | 'unresolved' | 'type';
  match: InterpolationMatch;
  message: string;
}

export interface InterpolatedString {
  /** The resolved value: the selected value itself for an exact `${x}`, otherwise a string. */
  value: CtxValue;
  problems: InterpolationProblem[];
}

/**
 * Resolves one string. `key` is the stage key it is under (`cmd`, `deps`, ...): like DVC, only
 * `cmd` accepts a dict and only `foreach`/`matrix` accept lists and dicts whole.
 */
export function interpolateString(template: string, context: CtxDict, key?: string): InterpolatedString {
  const matches = findInterpolations(template);
  const problems: InterpolationProblem[] = [];
  if (matches.length === 0) return { value: template.replace(/\\\$\{/g, '${'), problems };
  const select = (match: InterpolationMatch): CtxValue | undefined => {
    if (!isValidExpression(match.expression)) {
      problems.push({ kind: 'syntax', match, message: `'${match.text}' is not a valid expression: use names joined by '.' or '[index]'.` });
      return undefined;
    }
    const selection = selectInContext(context, match.expression);
    if (!selection.found) {
      problems.push({
        kind: 'unresolved',
        match,
        message: `'${match.text}' does not resolve: '${match.expression}' is not in params.yaml, vars or the foreach/matrix item.`,
      });
      return undefined;
    }
    const value = selection.value;
    const composite = isMapOrSeq(value);
    const allowed = key === undefined || key.includes('foreach') || key.includes('matrix') || (key === 'cmd' && isCtxDict(value));
    if (composite && !allowed) {
      problems.push({
        kind: 'type',
        match,
        message: `'${match.text}' is a ${Array.isArray(value) ? 'list' : 'dictionary'}, which cannot be interpolated here; select one of its values.`,
      });
      return undefined;
    }
    return value;
  };
  const first = matches[0];
  if (matches.length === 1 && first && first.start === 0 && first.end === template.length) {
    const value = select(first);
    return { value: value === undefined ? template : value, problems };
  }
  let buffer = '';
  let index = 0;
  for (const match of matches) {
    const value = select(match);
    buffer += template.slice(index, match.start) + (value === undefined ? match.text : toDvcString(value));
    index = match.end;
  }
  buffer += template.slice(index);
  return { value: buffer.replace(/\\\$\{/g, '${'), problems };
}

/** Offset of a node's value text in its document, for ranges inside a scalar. */
export function locateInScalar(text: string, node: Node, match: InterpolationMatch): [number, number] {
  const [start, end] = node.range ?? [0, 0];
  const raw = text.slice(start, end);
  let from = 0;
  let occurrence = 0;
  // Which occurrence of the same `${...}` this is, counted in the decoded value.
  const before = (node as { value?: unknown }).value;
  if (typeof before === 'string') {
    let i = before.indexOf(match.text);
    while (i >= 0 && i < match.start) {
      occurrence++;
      i = before.indexOf(match.text, i + 1);
    }
  }
  for (let n = 0; ; n++) {
    const at = raw.indexOf(match.text, from);
    if (at < 0) return [start, end];
    if (n === occurrence) return [start + at, start + at + match.text.length];
    from = at + 1;
  }
}
