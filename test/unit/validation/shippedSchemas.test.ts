import Ajv from 'ajv';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { PANDAS_DTYPES } from '../../../src/core/validation/dataContract';
import { MLPROJECT_PARAM_TYPES } from '../../../src/core/validation/mlprojectChecks';
import { repoRoot } from '../../support/tools';

const schema = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(repoRoot, 'schemas', name), 'utf8')) as Record<string, unknown>;
const example = (name: string): unknown => parse(readFileSync(join(repoRoot, 'examples', 'wine-quality', name), 'utf8'));

test('the shipped schemas compile and accept the example project', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const [file, doc] of [
    ['dvc.schema.json', 'dvc.yaml'],
    ['mlproject.schema.json', 'MLproject'],
    ['schema.yaml.schema.json', 'schema.yaml'],
  ] as const) {
    const validate = ajv.compile(schema(file));
    assert.ok(validate(example(doc)), `${doc}: ${JSON.stringify(validate.errors)}`);
  }
  const mlproject = ajv.compile(schema('mlproject.schema.json'));
  assert.equal(mlproject({ name: 'x', conda_env: 'a.yaml', python_env: 'b.yaml', entry_points: { main: { command: 'x' } } }), false);
});

test('the shipped schemas list the same dtypes and parameter types as the checks', () => {
  const columns = (
    schema('schema.yaml.schema.json').properties as Record<string, { additionalProperties: { anyOf: Array<{ enum?: string[] }> } }>
  ).COLUMNS;
  assert.deepEqual(columns?.additionalProperties.anyOf[0]?.enum, [...PANDAS_DTYPES]);
  const types = (schema('mlproject.schema.json').definitions as Record<string, { enum: string[] }>).ParameterType?.enum;
  assert.deepEqual(types, [...MLPROJECT_PARAM_TYPES]);
});
