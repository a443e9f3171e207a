import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, type Node } from 'yaml';
import type { Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { keyNodeAt, nodeAt, parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { didYouMean, didYouMeanSuffix } from './didYouMean';
import { findingAt } from './findings';
import { lookupByGlob } from './globMatch';
import type { ValidationOptions } from './options';

interface SchemaSource {
  /** Absolute path of the schema file, or a URL we do not fetch. */
  location: string;
  /** Where the schema was named, for a finding when it cannot be used (the modeline). */
  anchor?: { start: number; end: number };
}

const MODELINE = /^#\s*yaml-language-server\s*:\s*\$schema\s*=\s*(\S+)/;

/** Where the schema of a params file comes from: modeline, then a file beside it, then a setting. */
export async function findParamsSchema(
  parsed: ParsedYaml,
  files: FileAccess,
  options: ValidationOptions,
): Promise<SchemaSource | undefined> {
  let offset = 0;
  for (const line of parsed.text.split('\n')) {
    const m = MODELINE.exec(line.trim());
    if (m?.[1] !== undefined) {
      const target = m[1];
      const start = offset + line.indexOf(target);
      const anchor = { start, end: start + target.length };
      if (/^file:/i.test(target)) return { location: fileURLToPath(target), anchor };
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return { location: target, anchor };
      return { location: isAbsolute(target) ? target : resolve(dirname(parsed.file), target), anchor };
    }
    offset += line.length + 1;
  }
  for (const name of ['params.schema.json', 'params.schema.yaml']) {
    const beside = join(dirname(parsed.file), name);
    if (await files.exists(beside)) return { location: beside };
  }
  const fromSetting = lookupByGlob(options.paramsSchemas, parsed.file, options.root);
  return fromSetting === undefined ? undefined : { location: fromSetting };
}

const compiled = new Map<string, ValidateFunction | Error>();

function compile(schemaText: string, schemaFile: string): ValidateFunction | Error {
  const cacheKey = `${schemaFile}\0${schemaText}`;
  const cached = compiled.get(cacheKey);
  if (cached !== undefined) return cached;
  let result: ValidateFunction | Error;
  try {
    const schema = (schemaFile.endsWith('.json') ? JSON.parse(schemaText) : parseYaml(schemaFile, schemaText).value) as Record<
      string,
      unknown
    >;
    if (schema === null || typeof schema !== 'object') throw new Error('it is not a JSON Schema object');
    const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
    const opts = { allErrors: true, strict: false, validateFormats: false, verbose: true } as const;
    const ajv = dialect.includes('2020-12') ? new Ajv2020(opts) : dialect.includes('2019-09') ? new Ajv2019(opts) : new Ajv(opts);
    result = ajv.compile(schema);
  } catch (error) {
    result = error instanceof Error ? error : new Error(String(error));
  }
  if (compiled.size > 64) compiled.clear();
  compiled.set(cacheKey, result);
  return result;
}

/** params.yaml against its JSON Schema (draft-07, 2019-09 or 2020-12), each error on its key or value. */
export async function checkParamsSchema(parsed: ParsedYaml, files: FileAccess, options: ValidationOptions): Promise<Finding[]> {
  if (parsed.value === undefined) return [];
  const source = await findParamsSchema(parsed, files, options);
  if (source === undefined) return [];
  const anchorRange =
    source.anchor === undefined
      ? undefined
      : { range: [source.anchor.start, source.anchor.end, source.anchor.end] as [number, number, number] };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source.location)) {
    return [
      findingAt(
        parsed,
        anchorRange,
        'info',
        'params-schema-remote',
        `The schema ${source.location} is remote and is not fetched; save it beside params.yaml to validate against it.`,
      ),
    ];
  }
  const text = await files.readText(source.location);
  if (text === undefined) {
    return [
      findingAt(
        parsed,
        anchorRange,
        'error',
        'params-schema-unreadable',
        `The params schema ${source.location} cannot be read; check the path.`,
      ),
    ];
  }
  const validate = compile(text, source.location);
  if (validate instanceof Error) {
    return [
      findingAt(
        parsed,
        anchorRange,
        'error',
        'params-schema-unreadable',
        `The params schema ${source.location} is not a valid JSON Schema (${validate.message}); fix the schema.`,
      ),
    ];
  }
  if (validate(parsed.value)) return [];
  return (validate.errors ?? []).filter(notNoise).map((error) => toFinding(parsed, error));
}

/** An `if` error only says that a `then`/`else` error follows, which is reported itself. */
function notNoise(error: ErrorObject): boolean {
  return error.keyword !== 'if';
}

/** JSON pointer → key path; digits become numbers so they index lists (nodeAt matches map keys either way). */
function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

function toFinding(parsed: ParsedYaml, error: ErrorObject): Finding {
  const path = pointerToPath(error.instancePath);
  const dotted = path.join('.') || 'params.yaml';
  const at = (p: Array<string | number>): Node | undefined => nodeAt(parsed.doc, p) ?? keyNodeAt(parsed.doc, p);
  const params = error.params as Record<string, unknown>;
  const extra = params.additionalProperty ?? params.unevaluatedProperty;
  if (typeof extra === 'string') {
    const key = keyNodeAt(parsed.doc, [...path, extra]);
    const suggestion = didYouMean(extra, Object.keys(propertiesAt(error.parentSchema)));
    return findingAt(
      parsed,
      key,
      'error',
      'params-schema',
      `"${[...path, extra].join('.')}" is not allowed by the params schema.${didYouMeanSuffix(suggestion) || ' Remove it or fix its name.'}`,
      suggestion === undefined ? undefined : { replacement: suggestion },
    );
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    const allowed = params.allowedValues as unknown[];
    const node = at(path);
    const actual = isScalar(node) ? String(node.value) : '';
    const suggestion = didYouMean(
      actual,
      allowed.filter((v): v is string => typeof v === 'string'),
    );
    return findingAt(
      parsed,
      node ?? keyNodeAt(parsed.doc, path),
      'error',
      'params-schema',
      `${dotted} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')} (params schema).${didYouMeanSuffix(suggestion)}`,
      suggestion === undefined ? undefined : { replacement: suggestion },
    );
  }
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    const key = path.length === 0 ? undefined : keyNodeAt(parsed.doc, path);
    return findingAt(
      parsed,
      key ?? firstKey(parsed),
      'error',
      'params-schema',
      `"${[...path, params.missingProperty].join('.')}" is required by the params schema; add it.`,
    );
  }
  // Point at the value: a wrong value is fixed there; fall back to the key for empty values.
  const node = path.length === 0 ? undefined : at(path);
  const anchor =
    node !== undefined && !(isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1])
      ? node
      : keyNodeAt(parsed.doc, path);
  return findingAt(
    parsed,
    anchor ?? firstKey(parsed),
    'error',
    'params-schema',
    `${dotted} ${error.message ?? 'is invalid'} (params schema).`,
  );
}

function propertiesAt(schema: unknown): Record<string, unknown> {
  const props = (schema as { properties?: unknown } | undefined)?.properties;
  return props !== null && typeof props === 'object' ? (props as Record<string, unknown>) : {};
}

function firstKey(parsed: ParsedYaml): Node | undefined {
  const root = parsed.doc.contents;
  return isMap(root) ? ((root.items[0]?.key ?? undefined) as Node | undefined) : ((root ?? undefined) as Node | undefined);
}
