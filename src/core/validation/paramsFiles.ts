import { extname } from 'node:path';
import type { FileAccess } from '../fileAccess';
import { parseYamlCached } from '../yaml/parseYaml';
import { lookupParam, plainParamsValue } from '../params/paramLookup';

/** A params file as the checks see it: its data, or why it cannot be looked into. */
export type LoadedParams = { state: 'missing' } | { state: 'unsupported' } | { state: 'unreadable' } | { state: 'ok'; value: unknown };

/**
 * Reads params files once per validation. YAML and JSON are looked into; TOML and Python params
 * files exist for DVC too but are only checked for existence.
 */
export class ParamsFiles {
  private readonly cache = new Map<string, Promise<LoadedParams>>();

  constructor(private readonly files: FileAccess) {}

  load(path: string): Promise<LoadedParams> {
    let loaded = this.cache.get(path);
    if (loaded === undefined) {
      loaded = this.read(path);
      this.cache.set(path, loaded);
    }
    return loaded;
  }

  private async read(path: string): Promise<LoadedParams> {
    const text = await this.files.readText(path);
    if (text === undefined) return (await this.files.exists(path)) ? { state: 'unreadable' } : { state: 'missing' };
    const ext = extname(path).toLowerCase();
    if (ext === '.json') {
      try {
        return { state: 'ok', value: JSON.parse(text) as unknown };
      } catch {
        return { state: 'unreadable' };
      }
    }
    if (ext === '.yaml' || ext === '.yml') {
      // Plain block YAML has no errors to tell apart: its values are read without a document.
      const plain = plainParamsValue(path, text);
      if (plain !== undefined) return { state: 'ok', value: plain.value };
      // Cached by text: every validation of a dvc.yaml reads the same params.yaml.
      const parsed = parseYamlCached(path, text);
      return parsed.value === undefined && parsed.findings.some((f) => f.severity === 'error')
        ? { state: 'unreadable' }
        : { state: 'ok', value: parsed.value };
    }
    return { state: 'unsupported' };
  }
}

/** Looks a dotted key up the way DVC does: nested mappings, numeric segments index lists. */
export function hasParam(value: unknown, key: string): boolean {
  return lookupParam(value, key).found;
}

/** Every dotted key of a params value, parents included (`train`, `train.lr`), for suggestions. */
export function dottedKeys(value: unknown, prefix = '', into: string[] = [], depth = 0): string[] {
  if (depth > 32 || value === null || typeof value !== 'object' || Array.isArray(value)) return into;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const dotted = prefix === '' ? key : `${prefix}.${key}`;
    into.push(dotted);
    dottedKeys(child, dotted, into, depth + 1);
  }
  return into;
}
