import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { completionsAt } from '../../../src/core/language/completion';
import { exampleCopy, positionOf, read, write } from './languageFixture';

const labels = (items: { label: string }[]): string[] => items.map((i) => i.label);

test('a stage key is completed from the dvc.yaml schema, replacing the word typed', async () => {
  const dir = exampleCopy();
  const text = 'stages:\n  train:\n    cm\n';
  const items = await completionsAt(join(dir, 'dvc.yaml'), text, { line: 2, character: 6 }, diskFileAccess);
  for (const key of [
    'cmd',
    'deps',
    'outs',
    'params',
    'metrics',
    'plots',
    'wdir',
    'foreach',
    'do',
    'matrix',
    'vars',
    'frozen',
    'always_changed',
    'desc',
    'meta',
  ]) {
    assert.ok(labels(items).includes(key), `${key} offered`);
  }
  const cmd = items.find((i) => i.label === 'cmd');
  assert.deepEqual(cmd?.range, { start: { line: 2, character: 4 }, end: { line: 2, character: 6 } });
  assert.equal(cmd?.insertText, 'cmd: ');
  assert.match(cmd?.documentation ?? '', /Command to run/);
});

test('inside a foreach do block the stage keys are offered without foreach and matrix', async () => {
  const dir = exampleCopy();
  const text = 'stages:\n  train:\n    foreach: [a, b]\n    do:\n      \n';
  const items = await completionsAt(join(dir, 'dvc.yaml'), text, { line: 4, character: 6 }, diskFileAccess);
  assert.ok(labels(items).includes('outs'));
  assert.ok(!labels(items).includes('foreach'));
});

test("a stage's params item offers the dotted keys of params.yaml with their values", async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file).replace('      - split.test_size', '      - split.te');
  const position = positionOf(text, '- split.te');
  const items = await completionsAt(file, text, position, diskFileAccess);
  const item = items.find((i) => i.label === 'split.test_size');
  assert.equal(item?.detail, '0.4');
  assert.deepEqual(item?.range, { start: { line: position.line, character: 8 }, end: { line: position.line, character: 16 } });
  assert.ok(labels(items).includes('models.rf.n_estimators'));
  assert.equal(items.find((i) => i.label === 'evaluate.primary_metric')?.detail, 'accuracy');
});

test('a params entry naming another file offers that file’s keys', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = 'stages:\n  s:\n    cmd: x\n    params:\n      - config/config.yaml:\n          - \n';
  const items = await completionsAt(file, text, { line: 5, character: 12 }, diskFileAccess);
  assert.ok(labels(items).includes('data_ingestion'), labels(items).join(','));
});

test('inside ${ the params keys and the foreach item are offered, replacing what follows ${', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file).replace('cmd: python src/train.py ${item}', 'cmd: python src/train.py ${it');
  const position = positionOf(text, '${it');
  const items = await completionsAt(file, text, position, diskFileAccess);
  const item = items.find((i) => i.label === 'item');
  assert.ok(item, labels(items).join(','));
  assert.deepEqual(item.range.start, { line: position.line, character: position.character - 2 });
  assert.equal(items.find((i) => i.label === 'models.rf.max_depth')?.detail, '2');
  assert.ok(!labels(items).includes('key'), 'a foreach over a list has no key');
});

test('a matrix stage offers item.<axis> and key inside ${', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = 'stages:\n  sweep:\n    matrix:\n      lr: [1, 2]\n      depth: [3]\n    cmd: train ${\n';
  const items = await completionsAt(file, text, { line: 5, character: 17 }, diskFileAccess);
  for (const label of ['key', 'item.lr', 'item.depth', 'split.random_state']) assert.ok(labels(items).includes(label), label);
});

test('a COLUMNS value offers pandas dtypes; TARGET_COLUMN.name offers the columns', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'schema.yaml');
  const text = read(file).replace('  ash: float64', '  ash: flo');
  const dtypes = await completionsAt(file, text, positionOf(text, 'ash: flo'), diskFileAccess);
  assert.ok(labels(dtypes).includes('float64'));
  assert.ok(labels(dtypes).includes('datetime64[ns]'));
  const position = positionOf(text, 'ash: flo');
  assert.deepEqual(dtypes[0]?.range, { start: { line: position.line, character: 7 }, end: { line: position.line, character: 10 } });
  const target = read(file).replace('name: cultivar', 'name: ');
  const columns = await completionsAt(file, target, positionOf(target, 'name: '), diskFileAccess);
  assert.ok(labels(columns).includes('cultivar'));
  assert.equal(columns.find((c) => c.label === 'proline')?.detail, 'float64');
});

test('MLproject: parameter types after type:, declared parameters after { in a command', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'MLproject');
  const flow = read(file).replace('model: {type: string', 'model: {type: st');
  const types = await completionsAt(file, flow, positionOf(flow, '{type: st'), diskFileAccess);
  assert.deepEqual(labels(types), ['float', 'int', 'string', 'path', 'uri']);
  const block = 'name: p\nentry_points:\n  main:\n    parameters:\n      alpha:\n        type: \n    command: "run {"\n';
  const blockTypes = await completionsAt(file, block, { line: 5, character: 14 }, diskFileAccess);
  assert.ok(labels(blockTypes).includes('float'));
  const command = read(file).replace('--model {model}', '--model {');
  const position = positionOf(command, '--model {');
  const params = await completionsAt(file, command, position, diskFileAccess);
  assert.deepEqual(labels(params), ['model', 'test_size']);
  assert.equal(params[0]?.insertText, 'model}');
  assert.equal(params[1]?.detail, 'float = 0.25');
});

test("a dep item offers the other stages' outs first, then the files of the folder typed so far", async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  const text = read(file).replace('      - src/validate.py\n', '      - src/va\n');
  const position = positionOf(text, '- src/va');
  const items = await completionsAt(file, text, position, diskFileAccess);
  const out = items.find((i) => i.label === 'artifacts/data_ingestion/train.csv');
  assert.equal(out?.detail, 'out of ingest');
  assert.ok(labels(items).includes('src/validate.py'), labels(items).join(','));
  assert.ok(!labels(items).includes('dvc.yaml'), 'only the folder typed so far is listed');
  assert.deepEqual(items.find((i) => i.label === 'src/validate.py')?.range, {
    start: { line: position.line, character: 8 },
    end: { line: position.line, character: 14 },
  });
});

test("a dep item leaves out the stage's own outs and its listed deps, and offers outs of the workspace's other dvc.yaml files", async () => {
  const dir = exampleCopy();
  mkdirSync(join(dir, 'report'));
  const sub = join(dir, 'report', 'dvc.yaml');
  write(sub, 'stages:\n  summarize:\n    cmd: python summarize.py\n    wdir: ..\n    outs:\n      - reports/summary.md\n');
  const file = join(dir, 'dvc.yaml');
  const text = read(file).replace('      - src/validate.py\n', '      - src/validate.py\n      - \n');
  const position = positionOf(text, '      - \n', 8);
  const items = await completionsAt(file, text, position, diskFileAccess, { dvcFiles: [file, sub] });
  const outs = items.filter((i) => i.detail?.startsWith('out of '));
  assert.deepEqual(
    outs.map((i) => [i.label, i.detail]),
    [
      ['artifacts/data_ingestion/train.csv', 'out of ingest'],
      ['artifacts/data_ingestion/test.csv', 'out of ingest'],
      ['artifacts/model_trainer/rf.joblib', 'out of train@rf'],
      ['artifacts/model_trainer/logreg.joblib', 'out of train@logreg'],
      ['metrics.json', 'out of evaluate'],
      ['reports/summary.md', 'out of report/dvc.yaml:summarize'],
    ],
    "winequality.csv is listed already and status.json is validate's own out",
  );
  assert.ok(
    outs.every((i) => i.sortText !== undefined && items.indexOf(i) < items.findIndex((j) => j.detail === undefined)),
    'outs before files',
  );
});

test('no completion in places it has nothing to say, and none on garbage', async () => {
  const dir = exampleCopy();
  assert.deepEqual(await completionsAt(join(dir, 'dvc.yaml'), '\u0000\u0001: [\n{{{', { line: 1, character: 2 }, diskFileAccess), []);
  assert.deepEqual(await completionsAt(join(dir, 'notes.yaml'), 'a: b\n', { line: 0, character: 3 }, diskFileAccess), []);
});
