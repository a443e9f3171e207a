import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fuzzCount, seededRandom, yamlFixtureFiles } from '../support/fuzzInputs';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { parseBlockYaml, readBlockYamlValue } from '../../src/core/yaml/fastBlockYaml';

// The fast reader must build exactly the nodes the yaml library builds (what every check reads:
// classes, values, ranges, scalar styles, sources and formats), or decline.

function dump(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isMap(node)) return { map: node.range, flow: node.flow, items: node.items.map((p) => [dump(p.key), dump(p.value)]) };
  if (isSeq(node)) return { seq: node.range, flow: node.flow, items: node.items.map(dump) };
  if (isScalar(node)) {
    const { value, range, type, source, format, tag } = node;
    const digits = (node as { minFractionDigits?: number }).minFractionDigits;
    // The value's own kind too: a node wrapped in a node would print as its value.
    const valueKind = value !== null && typeof value === 'object' ? (value as object).constructor.name : typeof value;
    return { range, value: Number.isNaN(value) ? 'NaN' : value, valueKind, type, source, format, tag, digits, kind: node.constructor.name };
  }
  return { other: String(node) };
}

/** undefined when the fast reader declined; otherwise whether it matched the library. */
function compare(text: string): { same: boolean; fast: string; lib: string } | undefined {
  const fast = parseBlockYaml(text);
  if (fast === undefined) return undefined;
  const lib = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  const a = JSON.stringify(dump(fast.contents));
  const b = JSON.stringify(dump(lib.contents));
  const clean = lib.errors.length === 0 && lib.warnings.length === 0;
  return { same: clean && a === b && JSON.stringify(fast.toJS()) === JSON.stringify(lib.toJS()), fast: a, lib: b };
}

test('fast YAML reader: the same nodes as the yaml library for every YAML file of the fixtures and examples', () => {
  let accepted = 0;
  for (const file of yamlFixtureFiles()) {
    const result = compare(readFileSync(file, 'utf8'));
    if (result === undefined) continue;
    accepted++;
    assert.equal(result.fast, result.lib, file);
    assert.ok(result.same, file);
  }
  assert.ok(accepted >= 10, `only ${accepted} files were read by the fast reader`);
});

test('fast YAML reader: a dvc.yaml with comments, lists under keys, quotes, numbers and nulls', () => {
  const text = [
    '# pipeline',
    'stages:',
    '  # the first stage',
    '  prep:',
    '    cmd: python prep.py --url=http://x  # a comment',
    '    deps:',
    '    - data/raw.csv',
    '    - "src/prep.py"',
    "    - 'a b'",
    '    params:',
    '      - prep.split',
    '      - other.yaml:',
    '          - k',
    '    outs:',
    '      - data/out:',
    '          cache: false',
    '    frozen: False',
    '    desc:',
    '',
    '  train@x:',
    '    cmd: ${item}',
    '    n: [0x1F]',
  ].join('\n');
  assert.equal(compare(text), undefined, "a flow list is the library's");
  const block = text.replace('    n: [0x1F]', '    n: 0x1F\n    f: 1.50\n    e: 1e3\n    o: 0o17\n    i: -3\n    z: ~\n    t: .inf');
  const result = compare(block);
  assert.ok(result !== undefined, 'the fast reader declined a plain dvc.yaml');
  assert.equal(result.fast, result.lib);
  assert.ok(result.same);
});

/** Texts both readers leave to the library: what it reads in ways they do not, or reports. */
const LEFT_TO_THE_LIBRARY = [
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'a: |\n  text\n',
  'a: >\n  text\n',
  'a: {b: 1}\n',
  'a:\n\tb: 1\n',
  'a: 1\r\nb: 2\r\n',
  '\uFEFFa: 1\n',
  'a: 1\na: 2\n',
  'a: one\n  two\n',
  'a: "x\\ty"\n',
  "a: 'it''s'\n",
  'a: b: c\n',
  'a: 1\n---\nb: 2\n',
  '- 1\n- 2\n',
  '',
  '# only a comment\n',
  '"a": 1\n',
  '? a\n: 1\n',
  'a:\n  -\nb: 1\n',
];

test('fast YAML reader: declines what it does not read exactly, so the library reports it', () => {
  // Comments where the library counts them into a node's end, which only the node reader minds.
  const declined = [
    ...LEFT_TO_THE_LIBRARY,
    'a:\n  b: 1\n    # a comment deeper than the next key\nc: 2\n',
    'a: 1\n# a comment at the end\n',
  ];
  for (const text of declined) assert.equal(parseBlockYaml(text), undefined, JSON.stringify(text));
});

/** Block YAML documents as users write them, with scalars of every core type, blank lines and comments. */
function generatedDocuments(count: number): string[] {
  const rnd = seededRandom(7);
  const scalars = ['a', 'x.py', 'python t.py --lr 0.1', '1', '-1', '0x1F', '0o17', '1.50', '1e3', '.inf', 'true', 'False', 'null', '~'];
  scalars.push('"q"', "'s'", '"a b"', '${item}', 'out/a_1.csv', 'a:b', 'http://x', 'v # c', '""', "''", '-x', 'a#b', '+3', '"x"  # c');
  const keys = ['cmd', 'deps', 'outs', 'k', 'stage_1', 'a.b', 'x-y', '1', 'true', 'metrics/m.json'];
  const generate = (indent: number, depth: number, out: string[], comments: boolean): void => {
    const pad = ' '.repeat(indent);
    const count = 1 + rnd(4);
    if (depth < 4 && rnd(3) === 2) {
      for (let i = 0; i < count; i++) {
        const r = rnd(4);
        if (r === 0) {
          out.push(`${pad}- k${i}: ${scalars[rnd(scalars.length)]}`);
          if (rnd(2) === 1) out.push(`${pad}  j${i}: ${scalars[rnd(scalars.length)]}`);
        } else if (r === 1) {
          out.push(`${pad}-`);
          generate(indent + 2, depth + 1, out, comments);
        } else out.push(`${pad}- ${scalars[rnd(scalars.length)]}`);
        if (rnd(6) === 0) out.push('');
        if (comments && rnd(8) === 0) out.push(`${' '.repeat(rnd(6))}# comment`);
      }
      return;
    }
    for (let i = 0; i < count; i++) {
      const key = `${keys[rnd(keys.length)]}${i}`;
      const r = rnd(5);
      if (r === 0) out.push(`${pad}${key}:`);
      else if (r === 1 && depth < 4) {
        out.push(`${pad}${key}:${rnd(3) === 0 ? '  # c' : ''}`);
        generate(indent + 2 + 2 * rnd(2), depth + 1, out, comments);
      } else out.push(`${pad}${key}: ${scalars[rnd(scalars.length)]}`);
      if (rnd(6) === 0) out.push('');
      if (comments && rnd(8) === 0) out.push(`${' '.repeat(rnd(6))}# comment`);
    }
  };
  const texts: string[] = [];
  for (let t = 0; t < count; t++) {
    const out: string[] = rnd(4) === 0 ? ['# head'] : [];
    generate(0, 0, out, t % 2 === 0);
    texts.push(`${out.join('\n')}${rnd(3) === 0 ? '' : '\n'}`);
  }
  return texts;
}

test('fast YAML reader: the same nodes as the library for 4,000 generated block documents', () => {
  let accepted = 0;
  for (const text of generatedDocuments(4000)) {
    const result = compare(text);
    if (result === undefined) continue;
    accepted++;
    assert.equal(result.fast, result.lib, JSON.stringify(text));
    assert.ok(result.same, JSON.stringify(text));
  }
  assert.ok(accepted >= 1000, `only ${accepted} of 4,000 documents were read by the fast reader`);
});

/** The library's value of a text it reads without an error or a warning; undefined otherwise. */
function libraryValue(text: string): unknown {
  const lib = parseDocument(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  return lib.errors.length === 0 && lib.warnings.length === 0 ? lib.toJS() : undefined;
}

test('fast YAML values: what toJS() gives for the fixtures and 4,000 generated documents, comments anywhere', () => {
  let accepted = 0;
  let asFastReader = 0;
  const texts = [...yamlFixtureFiles().map((file) => readFileSync(file, 'utf8')), ...generatedDocuments(4000)];
  for (const text of texts) {
    const read = readBlockYamlValue(text);
    if (parseBlockYaml(text) !== undefined && read !== undefined) asFastReader++;
    if (read === undefined) continue;
    accepted++;
    assert.deepStrictEqual(read.value, libraryValue(text), JSON.stringify(text));
  }
  assert.ok(accepted >= 1000, `only ${accepted} documents were read`);
  assert.ok(asFastReader >= 800, `only ${asFastReader} documents were read by both readers`);
  // Comments the fast reader declines (they move the library's ranges) change no value.
  const commented = 'a:\n  b: 1\n    # deeper than the next key\nc: # after a colon\nd:\n  - x\n# at the end\n';
  assert.equal(parseBlockYaml(commented), undefined);
  assert.deepStrictEqual(readBlockYamlValue(commented)?.value, libraryValue(commented));
  assert.deepStrictEqual(readBlockYamlValue('toString: x\nvalueOf:\n  - 1\n')?.value, libraryValue('toString: x\nvalueOf:\n  - 1\n'));
});

test('fast YAML values: declines what the fast reader declines, keys that are not plain strings, and __proto__', () => {
  const declined = [...LEFT_TO_THE_LIBRARY, '1: one\n', 'true: yes\n', '~: nothing\n', '__proto__: own\n'];
  for (const text of declined) assert.equal(readBlockYamlValue(text), undefined, JSON.stringify(text));
});

test('fast YAML reader and values: the fixtures with characters typed, cut and lines repeated, as the library reads them', () => {
  const rnd = seededRandom(17);
  const texts = yamlFixtureFiles().map((file) => readFileSync(file, 'utf8'));
  const typed = [
    ' ',
    ':',
    '-',
    '#',
    '"',
    "'",
    '[',
    '{',
    '|',
    '>',
    '&',
    '*',
    '!',
    '1',
    'x',
    '.',
    '~',
    '\n',
    '?',
    ',',
    '0',
    'e',
    ' #',
    ': ',
    '- ',
  ];
  let nodes = 0;
  let values = 0;
  for (let round = 0; round < fuzzCount(4000); round++) {
    let text = texts[rnd(texts.length)] as string;
    for (let edit = 0; edit < 1 + rnd(3); edit++) {
      const at = rnd(text.length + 1);
      const kind = rnd(3);
      if (kind === 0) text = text.slice(0, at) + (typed[rnd(typed.length)] as string) + text.slice(at);
      else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1 + rnd(3));
      else {
        const lines = text.split('\n');
        lines.splice(rnd(lines.length), 0, lines[rnd(lines.length)] as string);
        text = lines.join('\n');
      }
    }
    const result = compare(text);
    if (result !== undefined) {
      nodes++;
      assert.equal(result.fast, result.lib, JSON.stringify(text));
      assert.ok(result.same, JSON.stringify(text));
    }
    const read = readBlockYamlValue(text);
    if (read !== undefined) {
      values++;
      assert.deepStrictEqual(read.value, libraryValue(text), JSON.stringify(text));
    }
  }
  assert.ok(nodes > 400 && values > 400, `${nodes} texts read by the fast reader, ${values} by the value reader`);
  // `key: ` with a space and nothing after it: the library's null sits after the space.
  const spaced = compare('lr: \nseed:   \nx:\n  b: \n');
  assert.ok(spaced !== undefined);
  assert.equal(spaced.fast, spaced.lib);
});
