import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { definitionAt } from '../../../src/core/language/definition';
import { hoverAt } from '../../../src/core/language/hover';
import { exampleCopy, positionOf, read, write } from './languageFixture';

test('hover on a param item shows its value, where it is written and which stages use it', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file);
  const position = positionOf(text, 'split.test_size', 3);
  const hover = await hoverAt(file, text, position, diskFileAccess);
  assert.equal(hover?.contents, '`split.test_size` = `0.4` — params.yaml:3\n\nUsed by `ingest`.');
  assert.deepEqual(hover?.range, { start: { line: position.line, character: 8 }, end: { line: position.line, character: 23 } });
});

test('hover on ${item} names the foreach; on ${a.b} shows the value and its file:line', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file).replace('cmd: python src/evaluate.py', 'cmd: python src/evaluate.py --metric ${evaluate.primary_metric}');
  const item = await hoverAt(file, text, positionOf(text, '${item}', 3), diskFileAccess);
  assert.match(item?.contents ?? '', /foreach of stage `train`/);
  const position = positionOf(text, '${evaluate.primary_metric}', 4);
  const value = await hoverAt(file, text, position, diskFileAccess);
  assert.equal(value?.contents, '`evaluate.primary_metric` = `accuracy` — params.yaml:17');
  assert.equal(value?.range.start.character, text.split('\n')[position.line]?.indexOf('${'));
});

test('hover on a stage name shows its commands and a summary; on a key, the schema description', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file);
  const train = await hoverAt(file, text, positionOf(text, '  train:', 3), diskFileAccess);
  assert.match(train?.contents ?? '', /generates `train@rf`, `train@logreg`/);
  assert.match(train?.contents ?? '', /python src\/train.py rf/);
  assert.match(train?.contents ?? '', /3 deps · 1 param · 1 out/);
  const outs = await hoverAt(file, text, positionOf(text, '    outs:', 5), diskFileAccess);
  assert.match(outs?.contents ?? '', /output/i);
  const cache = await hoverAt(file, text, positionOf(text, 'cache: false', 2), diskFileAccess);
  assert.equal(cache?.contents, 'Cache output by DVC');
});

test('hover on a params.yaml key lists the stages that use it', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'params.yaml');
  const text = read(file);
  const rf = await hoverAt(file, text, positionOf(text, '  rf:', 3), diskFileAccess);
  assert.equal(rf?.contents, '`models.rf` — Used by `train@rf`.');
  const models = await hoverAt(file, text, positionOf(text, 'models:', 1), diskFileAccess);
  assert.equal(models?.contents, '`models` — Used by `train@rf`, `train@logreg`.');
  const seed = await hoverAt(
    file,
    text.replace('  random_state: 42\n', '  random_state: 42\n  seed: 1\n'),
    positionOf(text, 'random_state', 0),
    diskFileAccess,
  );
  assert.equal(seed?.contents, '`split.random_state` — Used by `ingest`.');
  const unused = text.replace('  random_state: 42\n', '  random_state: 42\n  seed: 1\n');
  const hover = await hoverAt(file, unused, positionOf(unused, 'seed', 1), diskFileAccess);
  assert.equal(hover?.contents, '`split.seed` — No stage of dvc.yaml lists it.');
});

test('hover on a dtype says what pandas means by it', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'schema.yaml');
  const text = read(file);
  const hover = await hoverAt(file, text, positionOf(text, 'cultivar: int64', 12), diskFileAccess);
  assert.match(hover?.contents ?? '', /^\*\*int64\*\* — 64-bit signed integer/);
  assert.equal(await hoverAt(file, text, positionOf(text, 'COLUMNS', 2), diskFileAccess), undefined);
});

test('definition of a param item is its key in params.yaml', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file);
  const locations = await definitionAt(file, text, positionOf(text, 'split.random_state', 8), diskFileAccess);
  assert.deepEqual(locations, [
    { file: join(dir, 'params.yaml'), range: { start: { line: 3, character: 2 }, end: { line: 3, character: 14 } } },
  ]);
});

test('definition of ${...} goes to params.yaml, a vars file, or inline vars', async () => {
  const dir = exampleCopy();
  mkdirSync(join(dir, 'conf'));
  write(join(dir, 'conf', 'paths.yaml'), '# where things go\npaths:\n  out: artifacts\n');
  const file = join(dir, 'dvc.yaml');
  const text = `vars:\n  - conf/paths.yaml\n  - seed: 7\n${read(file).replace('cmd: python src/evaluate.py', 'cmd: python src/evaluate.py ${paths.out} ${seed} ${split.test_size}')}`;
  const at = (needle: string): Promise<unknown> => definitionAt(file, text, positionOf(text, needle, 3), diskFileAccess);
  assert.deepEqual(await at('${paths.out}'), [
    { file: join(dir, 'conf', 'paths.yaml'), range: { start: { line: 2, character: 2 }, end: { line: 2, character: 5 } } },
  ]);
  assert.deepEqual(await at('${seed}'), [{ file, range: { start: { line: 2, character: 4 }, end: { line: 2, character: 8 } } }]);
  assert.deepEqual(await at('${split.test_size}'), [
    { file: join(dir, 'params.yaml'), range: { start: { line: 2, character: 2 }, end: { line: 2, character: 11 } } },
  ]);
});

test("definition of a dep produced by another stage is that stage's outs entry; else the file", async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file);
  const trainDep = text.indexOf('artifacts/data_ingestion/train.csv', text.indexOf('  train:'));
  const before = text.slice(0, trainDep + 3);
  const position = { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
  const produced = await definitionAt(file, text, position, diskFileAccess);
  const outLine = text.slice(0, text.indexOf('artifacts/data_ingestion/train.csv')).split('\n').length - 1;
  assert.deepEqual(produced, [{ file, range: { start: { line: outLine, character: 8 }, end: { line: outLine, character: 42 } } }]);
  const source = await definitionAt(file, text, positionOf(text, '- src/ingest.py', 4), diskFileAccess);
  assert.deepEqual(source, [
    { file: join(dir, 'src', 'ingest.py'), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
  ]);
});

test('definition of an MLproject {placeholder} is the parameter declaration', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'MLproject');
  const text = read(file);
  const locations = await definitionAt(file, text, positionOf(text, '{test_size}', 2), diskFileAccess);
  const declaration = positionOf(text, 'test_size: {', 0);
  assert.deepEqual(locations, [
    { file, range: { start: declaration, end: { line: declaration.line, character: declaration.character + 9 } } },
  ]);
  const hover = await hoverAt(file, text, positionOf(text, '{model}', 2), diskFileAccess);
  assert.equal(hover?.contents, '`model`: string, default `rf`');
});
