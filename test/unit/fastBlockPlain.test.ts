import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { seededRandom, yamlFixtureFiles } from '../support/fuzzInputs';
import { isBlockDocument, parseBlockYaml, plainOfBlockDocument } from '../../src/core/yaml/fastBlockYaml';

// The plain value of a document the fast reader built comes from a walk of its nodes instead of
// the yaml library's toJS(); these tests expect exactly what toJS() gives (prototypes and own
// properties included) for the fixtures, for awkward keys and for generated documents.

function same(text: string, label: string): boolean {
  const doc = parseBlockYaml(text);
  if (doc === undefined) return false;
  assert.ok(isBlockDocument(doc));
  assert.deepStrictEqual(plainOfBlockDocument(doc), doc.toJS(), label);
  return true;
}

test('plain value of a fast-read document: the same as toJS() for every YAML file of the fixtures and examples', () => {
  let compared = 0;
  for (const file of yamlFixtureFiles()) if (same(readFileSync(file, 'utf8'), file)) compared++;
  assert.ok(compared >= 10, `${compared} files compared`);
});

test('plain value of a fast-read document: keys that are numbers, booleans, null or object names become what toJS() makes of them', () => {
  const text = [
    '1: one',
    'true: yes',
    '~: nothing',
    'toString: shadowed',
    '__proto__: own',
    'constructor:',
    '  - a',
    '  - ~',
    '  - 1.5',
    'nested:',
    '  0x1F: hex',
    '  null: word',
    '',
  ].join('\n');
  assert.ok(same(text, 'awkward keys'));
  const value = plainOfBlockDocument(parseBlockYaml(text)!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['1', 'true', '', 'toString', '__proto__', 'constructor', 'nested']);
  assert.equal(value['1'], 'one');
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(value.constructor, ['a', null, 1.5]);
  assert.deepEqual(value.nested, { '31': 'hex', '': 'word' });
});

test('plain value of a fast-read document: the same as toJS() for 2,000 generated documents', () => {
  const rnd = seededRandom(11);
  const scalars = [
    'a',
    '1',
    '-1',
    '0x1F',
    '0o17',
    '1.50',
    '1e3',
    '.inf',
    '-.inf',
    '.nan',
    'true',
    'False',
    'null',
    '~',
    '"q"',
    "'s'",
    '""',
    '${item}',
  ];
  const keys = ['cmd', 'k', '1', '2', 'true', 'null', '~', 'toString', '__proto__', 'valueOf', 'a.b'];
  const generate = (indent: number, depth: number, out: string[]): void => {
    const pad = ' '.repeat(indent);
    const count = 1 + rnd(4);
    if (depth > 0 && depth < 4 && rnd(3) === 2) {
      for (let i = 0; i < count; i++) {
        if (rnd(3) === 0) {
          out.push(`${pad}-`);
          generate(indent + 2, depth + 1, out);
        } else out.push(`${pad}- ${scalars[rnd(scalars.length)]}`);
      }
      return;
    }
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      const key = keys[rnd(keys.length)] as string;
      if (used.has(key)) continue;
      used.add(key);
      if (depth < 4 && rnd(3) === 0) {
        out.push(`${pad}${key}:`);
        generate(indent + 2, depth + 1, out);
      } else out.push(`${pad}${key}: ${scalars[rnd(scalars.length)]}`);
    }
  };
  let compared = 0;
  for (let t = 0; t < 2000; t++) {
    const out: string[] = [];
    generate(0, 0, out);
    const text = `${out.join('\n')}\n`;
    if (same(text, text)) compared++;
  }
  assert.ok(compared > 1000, `${compared} documents compared`);
});
