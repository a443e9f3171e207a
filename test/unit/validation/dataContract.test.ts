import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPandasDtype } from '../../../src/core/validation/dataContract';
import { splitCsvLine } from '../../../src/core/validation/csvHeader';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

test('schema.yaml: dtype typo, target not a column, and the CSV header compared both ways by name', async () => {
  // The data file comes from config/config.yaml: unzip_data_dir exists, local_data_file does not.
  const findings = await validateFile(join(fixtures, 'data-contract', 'schema.yaml'));
  assert.deepEqual(summarize(findings), [
    '1:1-1:8 error schema-column-not-in-contract Column "color intensity" of artifacts/data.csv is missing from COLUMNS; add it with its dtype.',
    '2:12-2:19 error schema-invalid-dtype "flaot64" is not a pandas dtype. Did you mean "float64"?',
    '3:3-3:6 error schema-column-not-in-data Column "ash" is in the contract but not in the header of artifacts/data.csv; remove it or fix the data.',
    '8:9-8:15 error schema-target-not-a-column The target column "qualty" is not one of COLUMNS. Did you mean "quality"?',
  ]);
  assert.deepEqual(findings[1]?.data, { replacement: 'float64' });
});

test('schema.yaml: the dataFiles setting points at the CSV when there is no config', async () => {
  const findings = await validateText(
    'schema.yaml',
    'COLUMNS:\n  a: int64\n  b: category\n  when: datetime64[ns, UTC]\nTARGET_COLUMN:\n  name: b\n',
    { 'data/x.csv': '\uFEFFa,"b",when\r\n1,2,3\n' },
    { dataFiles: { '**/schema.yaml': 'data/x.csv' } },
  );
  assert.deepEqual(summarize(findings), []);
  const missing = await validateText(
    'schema.yaml',
    'COLUMNS:\n  a: int64\n',
    { 'd.csv': 'a,b\n' },
    { dataFiles: { 'schema.yaml': 'd.csv' } },
  );
  assert.deepEqual(summarize(missing), [
    '1:1-1:8 error schema-column-not-in-contract Column "b" of d.csv is missing from COLUMNS; add it with its dtype.',
  ]);
});

test('schema.yaml: without COLUMNS, one finding; no data file, no header findings', async () => {
  assert.deepEqual(summarize(await validateText('schema.yaml', 'TARGET_COLUMN:\n  name: y\n')), [
    '1:1-1:2 error schema-columns-missing The data contract has no COLUMNS mapping; add COLUMNS with each column name and its pandas dtype.',
  ]);
  assert.deepEqual(summarize(await validateText('schema.yaml', 'COLUMNS:\n  y: Int64\n  z: string\nTARGET_COLUMN:\n  name: y\n')), []);
});

test('pandas dtypes and CSV header splitting', () => {
  for (const ok of ['float64', 'Int64', 'boolean', 'datetime64[ns]', 'datetime64[ns, Europe/Paris]', 'string[pyarrow]', 'int64[pyarrow]'])
    assert.ok(isPandasDtype(ok), ok);
  for (const bad of ['flaot64', 'double', 'Float16', 'datetime']) assert.ok(!isPandasDtype(bad), bad);
  assert.deepEqual(splitCsvLine('a,"b,c","d ""e""",f\r'), ['a', 'b,c', 'd "e"', 'f']);
});
