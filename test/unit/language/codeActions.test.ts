import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Range } from '../../../src/core/diagnostic';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { insertKeyEdit, quickFixesFor } from '../../../src/core/language/codeActions';
import type { TextEditOf } from '../../../src/core/language/types';
import { LineIndex } from '../../../src/core/diagnostic';
import { validateFile } from '../../../src/core/validation/validateFile';
import { exampleCopy, read, write } from './languageFixture';

function apply(text: string, edit: TextEditOf): string {
  const lines = new LineIndex(text);
  return text.slice(0, lines.offset(edit.range.start)) + edit.newText + text.slice(lines.offset(edit.range.end));
}

test('a misspelt param gets "did you mean" and "add to params.yaml" fixes that keep comments and order', async () => {
  const dir = exampleCopy();
  const file = join(dir, 'dvc.yaml');
  write(file, read(file).replace('- split.test_size', '- split.tset_size'));
  const finding = (await validateFile(file)).find((f) => f.code === 'dvc-unknown-param');
  assert.ok(finding);
  const fixes = await quickFixesFor(file, finding, diskFileAccess);
  assert.deepEqual(
    fixes.map((f) => f.title),
    ['Change to "split.test_size"', 'Add "split.tset_size" to params.yaml'],
  );
  const replace = fixes[0]?.edits[file]?.[0];
  assert.deepEqual(replace, { range: finding.range, newText: 'split.test_size' });
  const paramsFile = join(dir, 'params.yaml');
  const before = read(paramsFile);
  const add = fixes[1]?.edits[paramsFile]?.[0];
  assert.ok(add);
  const after = apply(before, add);
  assert.equal(after, before.replace('  random_state: 42\n', '  random_state: 42\n  tset_size: null\n'));
  write(paramsFile, after);
  assert.equal((await validateFile(file)).filter((f) => f.code === 'dvc-unknown-param').length, 0);
});

test('adding a key creates missing parents at the file’s indentation and keeps trailing comments', () => {
  const text = '# top comment\ntrain:\n    lr: 0.1  # learning rate\n    nested:\n        a: 1\n\n# about eval\neval:\n    k: 5\n';
  const deep = insertKeyEdit(text, ['train', 'nested', 'b'], 'null');
  assert.ok(deep);
  assert.equal(apply(text, deep), text.replace('        a: 1\n', '        a: 1\n        b: null\n'));
  const fresh = insertKeyEdit(text, ['model', 'depth'], 'null');
  assert.ok(fresh);
  assert.equal(apply(text, fresh), `${text}model:\n    depth: null\n`);
  const noNewline = insertKeyEdit('a: 1', ['b'], 'null');
  assert.ok(noNewline);
  assert.equal(apply('a: 1', noNewline), 'a: 1\nb: null');
  assert.equal(apply('', insertKeyEdit('', ['x', 'y'], 'null') as TextEditOf), 'x:\n  y: null\n');
  assert.equal(insertKeyEdit(text, ['train', 'lr'], 'null'), undefined, 'an existing key is not added again');
  assert.equal(insertKeyEdit(text, ['train', 'lr', 'x'], 'null'), undefined, 'a value is not turned into a mapping');
  assert.equal(insertKeyEdit('a: {b: 1}\n', ['a', 'c'], 'null'), undefined, 'flow mappings are left alone');
});

test('a wrong dtype and an unknown dvc.yaml key get their "did you mean" replacement', async () => {
  const dir = exampleCopy();
  const schema = join(dir, 'schema.yaml');
  write(schema, read(schema).replace('ash: float64', 'ash: flaot64'));
  const dtype = (await validateFile(schema)).find((f) => f.code === 'schema-invalid-dtype');
  assert.ok(dtype);
  const [fix] = await quickFixesFor(schema, dtype, diskFileAccess);
  assert.deepEqual(fix?.edits[schema], [{ range: dtype.range, newText: 'float64' }]);
  const dvc = join(dir, 'dvc.yaml');
  write(dvc, read(dvc).replace('    metrics:\n', '    metrcs:\n'));
  const key = (await validateFile(dvc)).find((f) => f.code === 'dvc-unknown-key');
  assert.ok(key);
  const [keyFix] = await quickFixesFor(dvc, key, diskFileAccess);
  assert.equal(keyFix?.title, 'Change to "metrics"');
  assert.deepEqual(keyFix?.edits[dvc], [{ range: key.range, newText: 'metrics' }]);
});

test('a CSV column missing from the contract is added to COLUMNS', async () => {
  const dir = exampleCopy();
  const schema = join(dir, 'schema.yaml');
  const data = join(dir, 'data.csv');
  write(
    data,
    'alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280_od315_of_diluted_wines,proline,cultivar,vintage\n',
  );
  const findings = await validateFile(schema, { dataFiles: { 'schema.yaml': 'data.csv' }, root: dir });
  const missing = findings.find((f) => f.code === 'schema-column-not-in-contract');
  assert.ok(missing, JSON.stringify(findings));
  const [fix] = await quickFixesFor(schema, missing, diskFileAccess);
  assert.equal(fix?.title, 'Add column "vintage" to schema.yaml (as object)');
  const before = read(schema);
  const after = apply(before, fix?.edits[schema]?.[0] as TextEditOf);
  assert.equal(after, before.replace('  cultivar: int64\n', '  cultivar: int64\n  vintage: object\n'));
});

test('diagnostics without fix data get no fixes', async () => {
  const range: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  assert.deepEqual(await quickFixesFor('/x/dvc.yaml', { code: 'dvc-cycle', range, message: 'm' }, diskFileAccess), []);
  assert.deepEqual(
    await quickFixesFor('/x/dvc.yaml', { code: 'dvc-unknown-param', range, message: 'm', data: 'junk' }, diskFileAccess),
    [],
  );
});
