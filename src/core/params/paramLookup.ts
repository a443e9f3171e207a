import { parseDocument, type Document } from 'yaml';
import type { FileAccess } from '../fileAccess';
import { ContentCache } from '../yaml/contentCache';
import { isBlockDocument, parseBlockYaml, plainOfBlockDocument, readBlockYamlValue } from '../yaml/fastBlockYaml';

/**
 * Looks a dotted param key up the way DVC does: nested mappings by own key, numeric segments index
 * lists. `key` is `models.rf.max_depth` or its segments.
 */
export function lookupParam(value: unknown, key: string | readonly string[]): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const part of typeof key === 'string' ? key.split('.') : key) {
    if (Array.isArray(current) && /^\d+$/.test(part) && Number(part) < current.length) current = current[Number(part)];
    else if (
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      Object.prototype.hasOwnProperty.call(current, part)
    ) {
      current = (current as Record<string, unknown>)[part];
    } else return { found: false };
  }
  return { found: true, value: current };
}

/**
 * Reads a params or metrics file (YAML, or JSON, which is YAML) as plain data; undefined when it
 * cannot be read or parsed. Duplicate keys keep the last value, as DVC's reader does.
 */
export async function readStructuredFile(path: string, files: FileAccess): Promise<unknown> {
  const text = await files.readText(path);
  if (text === undefined) return undefined;
  return structuredValue(path, text);
}

/** `readStructuredFile` of a text already read. */
export function structuredValue(path: string, text: string): unknown {
  return structuredFiles.get(path, text, () => {
    const plain = plainParamsValue(path, text);
    if (plain !== undefined) return plain.value;
    const doc = parseParamsDocument(path, text);
    if (doc.errors.length > 0) return undefined;
    try {
      return isBlockDocument(doc) ? plainOfBlockDocument(doc) : (doc.toJS() as unknown);
    } catch {
      return undefined;
    }
  });
}

/**
 * The value of a params file in plain block YAML (most are), read straight into values without a
 * document; undefined for any other text. Cached by path and text, shared, so read-only.
 */
export function plainParamsValue(path: string, text: string): { value: Record<string, unknown> } | undefined {
  return plainValues.get(path, text, () => readBlockYamlValue(text));
}

const plainValues = new ContentCache<{ value: Record<string, unknown> } | undefined>(16);

/**
 * A params, vars or metrics file as a YAML document (duplicate keys keep the last value, as DVC's
 * reader does), by path and text: the pipeline parser's interpolation context and the tree's param
 * values come from the same parse of params.yaml. Shared, so read-only.
 */
export function parseParamsDocument(path: string, text: string): Document.Parsed {
  return paramsDocuments.get(path, text, () => parseBlockYaml(text) ?? parseDocument(text, { uniqueKeys: false }));
}

const paramsDocuments = new ContentCache<Document.Parsed>(16);

/**
 * Parsed params and metrics files by path and text: the tree, the status and the runner read the
 * same params.yaml for every stage. Shared between callers, so the values are read-only.
 */
const structuredFiles = new ContentCache<unknown>(16);
