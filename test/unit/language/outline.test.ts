import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { outlineOf } from '../../../src/core/language/outline';
import { repoRoot } from '../../support/tools';

test('the dvc.yaml outline lists the stages under stages, each on its key line', () => {
  const file = join(repoRoot, 'examples', 'wine-quality', 'dvc.yaml');
  const text = readFileSync(file, 'utf8');
  const outline = outlineOf(file, text);
  const stages = outline.find((s) => s.name === 'stages');
  assert.ok(stages);
  assert.deepEqual(
    stages.children.map((s) => [s.name, s.kind]),
    [
      ['ingest', 'stage'],
      ['validate', 'stage'],
      ['train', 'stage'],
      ['evaluate', 'stage'],
    ],
  );
  const train = stages.children.find((s) => s.name === 'train')!;
  assert.equal(text.split('\n')[train.selectionRange.start.line]?.trim(), 'train:');
  assert.deepEqual(
    train.children.map((c) => c.name),
    ['foreach', 'do'],
  );
});

test('MLproject entry points and schema.yaml columns are named for what they are', () => {
  const mlproject = outlineOf('/p/MLproject', 'name: x\nentry_points:\n  main:\n    command: "python a.py"\n');
  assert.deepEqual(
    mlproject.find((s) => s.name === 'entry_points')?.children.map((c) => [c.name, c.kind]),
    [['main', 'entryPoint']],
  );
  const schema = outlineOf('/p/schema.yaml', 'COLUMNS:\n  a: int64\n  b: float64\n');
  assert.deepEqual(
    schema[0]?.children.map((c) => [c.name, c.kind, c.detail]),
    [
      ['a', 'column', 'int64'],
      ['b', 'column', 'float64'],
    ],
  );
});

test('a broken document gives the outline of what could be read, never a throw', () => {
  assert.doesNotThrow(() => outlineOf('/p/dvc.yaml', 'stages:\n  a: [unclosed\n'));
  assert.deepEqual(outlineOf('/p/params.yaml', ''), []);
});
