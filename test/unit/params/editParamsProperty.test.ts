import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { setParamValues } from '../../../src/core/params/editParams';
import { fuzzCount } from '../../support/fuzzInputs';

// For any params tree, written in block or flow style, with comments on every line and either line
// ending: setting one existing leaf changes only that leaf's value, and every line that does not
// hold it stays byte for byte.

const keyArb = fc
  .stringMatching(/^[a-z_][a-z0-9_]{0,7}$/)
  .filter((k) => !['y', 'n', 'on', 'off', 'yes', 'no', 'null', 'true', 'false'].includes(k));
const leafArb = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.dictionary(keyArb, fc.oneof({ depthSize: 'small' }, leafArb, tie('tree')), { minKeys: 1, maxKeys: 5 }),
}));

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

function setIn(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

test('property: setting one leaf changes that leaf only, and every other line is byte-identical', () => {
  fc.assert(
    fc.property(tree, fc.nat(), leafArb, fc.boolean(), fc.boolean(), (params, pick, value, crlf, flowLeaves) => {
      const paths = leafPaths(params);
      const path = paths[pick % paths.length] as string[];
      if (path.length === 0) return;
      let text = stringify(params, { lineWidth: 0, collectionStyle: flowLeaves ? 'flow' : 'block' });
      // A comment on every line and between lines, the places a printer would lose them.
      text = text
        .split('\n')
        .map((line, i) => (line.trim() === '' ? line : i % 2 === 0 ? `${line} # c${i}` : `# above ${i}\n${line}`))
        .join('\n');
      if (crlf) text = text.replace(/\n/g, '\r\n');
      const before = parse(text) as Record<string, unknown>;
      const result = setParamValues(text, [{ key: path.join('.'), value }]);
      if ('error' in result) {
        // Keys with characters that need quoting in dotted form may be refused, never mangled.
        assert.ok(
          path.some((k) => k.includes('.')),
          `refused: ${result.error}`,
        );
        return;
      }
      const expected = structuredClone(before);
      setIn(expected, path, value);
      assert.deepEqual(parse(result.text), expected);
      const a = text.split(/(?<=\n)/);
      const b = result.text.split(/(?<=\n)/);
      assert.equal(b.length, a.length, 'no line added or removed');
      const changed = a.filter((line, i) => line !== b[i]);
      assert.ok(changed.length <= 1, `one line at most changes: ${JSON.stringify(changed)}`);
      for (const comment of text.match(/# (c|above )\d+/g) ?? []) assert.ok(result.text.includes(comment), `comment kept: ${comment}`);
    }),
    { numRuns: fuzzCount(300), seed: 2024 },
  );
});
