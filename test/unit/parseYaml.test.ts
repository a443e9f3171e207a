import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineIndex } from '../../src/core/diagnostic';
import { keyNodeAt, parseYaml } from '../../src/core/yaml/parseYaml';

test('a YAML syntax error is reported at the parser position, once', () => {
  const parsed = parseYaml('/p/params.yaml', 'train:\n  lr: [1, 2\n');
  assert.ok(parsed.findings.length >= 1);
  assert.equal(parsed.findings[0]?.code, 'yaml-syntax');
  assert.equal(parsed.findings[0]?.severity, 'error');
  assert.equal(parsed.value, undefined);
});

test('a duplicate key is reported on the second occurrence', () => {
  const parsed = parseYaml('/p/params.yaml', 'train:\n  lr: 0.1\n  lr: 0.2\n');
  const dup = parsed.findings.find((f) => f.code === 'yaml-duplicate-key');
  assert.ok(dup, 'duplicate key finding');
  assert.deepEqual(dup.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 4 } }, 'the whole second key');
});

test('a quoted duplicate key is marked with its quotes', () => {
  const parsed = parseYaml('/p/params.yaml', 'a: 1\n"a": 2\n');
  const dup = parsed.findings.find((f) => f.code === 'yaml-duplicate-key');
  assert.deepEqual(dup?.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } });
});

test('an alias bomb is refused with a finding instead of expanding', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10)
        .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
        .join(',')}]`,
    );
  const parsed = parseYaml('/p/bomb.yaml', bomb.join('\n'));
  assert.ok(parsed.findings.some((f) => f.code === 'yaml-alias-bomb'));
});

test('keyNodeAt finds the key of a nested pair and LineIndex maps its offset', () => {
  const text = 'stages:\n  train:\n    cmd: python train.py\n';
  const parsed = parseYaml('/p/dvc.yaml', text);
  const key = keyNodeAt(parsed.doc, ['stages', 'train', 'cmd']);
  assert.ok(key?.range);
  const lines = new LineIndex(text);
  assert.deepEqual(lines.position(key.range[0]), { line: 2, character: 4 });
});
