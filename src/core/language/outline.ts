import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Range } from '../diagnostic';
import { fileKindOf } from '../fileKinds';
import { parseYamlCached } from '../yaml/parseYaml';

export type OutlineKind = 'stage' | 'section' | 'key' | 'entryPoint' | 'column';

/** One entry of the document outline: a key, the range of its whole pair, and what is under it. */
export interface OutlineSymbol {
  name: string;
  kind: OutlineKind;
  /** The key and its value. */
  range: Range;
  /** The key itself. */
  selectionRange: Range;
  detail?: string;
  children: OutlineSymbol[];
}

const MAX_DEPTH = 4;
const MAX_SYMBOLS = 5000;

/**
 * The outline of a pipeline file: every mapping key down to a few levels, with the roles that
 * matter named (stages of dvc.yaml, entry points of an MLproject, columns of schema.yaml).
 */
export function outlineOf(file: string, text: string): OutlineSymbol[] {
  // The cached parse validation and hover share: comments are not needed, key ranges are the same.
  const parsed = parseYamlCached(file, text);
  const kind = fileKindOf(file);
  let count = 0;
  const walk = (node: unknown, path: string[], depth: number): OutlineSymbol[] => {
    if (!isMap(node) || depth > MAX_DEPTH) return [];
    const out: OutlineSymbol[] = [];
    for (const pair of node.items) {
      if (count >= MAX_SYMBOLS) break;
      const key = pair.key as Node | null;
      if (!isScalar(key) || !key.range) continue;
      count++;
      const name = String(key.value);
      const value = pair.value as Node | null;
      const end = value?.range ? value.range[1] : key.range[1];
      const parent = path[path.length - 1];
      const role: OutlineKind =
        kind === 'dvc' && parent === 'stages' && depth === 1
          ? 'stage'
          : kind === 'mlproject' && parent === 'entry_points' && depth === 1
            ? 'entryPoint'
            : kind === 'dataSchema' && parent === 'COLUMNS' && depth === 1
              ? 'column'
              : depth === 0
                ? 'section'
                : 'key';
      const detail = isScalar(value) ? String(value.value) : isSeq(value) ? `${value.items.length} items` : undefined;
      out.push({
        name,
        kind: role,
        range: parsed.lines.range(key.range[0], end),
        selectionRange: parsed.lines.range(key.range[0], key.range[1]),
        ...(detail !== undefined ? { detail: detail.length > 60 ? `${detail.slice(0, 59)}…` : detail } : {}),
        children: walk(value, [...path, name], depth + 1),
      });
    }
    return out;
  };
  return walk(parsed.doc.contents, [], 0);
}
