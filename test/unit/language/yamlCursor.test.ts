import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cursorContext, ITEM } from '../../../src/core/language/yamlCursor';
import { validationOptionsFrom } from '../../../src/server/mlopsLanguageServer';

test('the cursor path is read from indentation, with list items and same-column sequences', () => {
  const text = 'stages:\n  train:\n    params:\n    - lr\n    - \n    outs:\n      - a: {cache: false}\n        \n';
  assert.deepEqual(cursorContext(text, { line: 4, character: 6 }).path, ['stages', 'train', 'params', ITEM]);
  assert.equal(cursorContext(text, { line: 4, character: 6 }).atKey, true);
  assert.deepEqual(cursorContext(text, { line: 7, character: 8 }).path, ['stages', 'train', 'outs', ITEM]);
  const top = cursorContext('params:\n- \n', { line: 1, character: 2 });
  assert.deepEqual(top.path, ['params', ITEM]);
  const value = cursorContext('COLUMNS:\n  # comment\n\n  age: in\n', { line: 3, character: 9 });
  assert.deepEqual([value.path, value.key, value.atKey, value.wordText], [['COLUMNS'], 'age', false, 'in']);
  const blank = cursorContext('stages:\n  a:\n    cmd: x\n  \n', { line: 3, character: 2 });
  assert.deepEqual(blank.path, ['stages']);
});

test('settings from the editor become validation options, nested or dotted', () => {
  assert.deepEqual(
    validationOptionsFrom(
      { params: { schemas: { 'params.yaml': 's.json', bad: 3 }, reportUnused: true }, schema: { dataFiles: {} } },
      '/w',
    ),
    { reportUnusedParams: true, paramsSchemas: { 'params.yaml': 's.json' }, root: '/w' },
  );
  assert.deepEqual(validationOptionsFrom({ 'schema.dataFiles': { 'schema.yaml': 'd.csv' } }, undefined), {
    reportUnusedParams: false,
    dataFiles: { 'schema.yaml': 'd.csv' },
  });
  assert.deepEqual(validationOptionsFrom(null, undefined), { reportUnusedParams: false });
});
