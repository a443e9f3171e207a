import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  contributedSchemaContent,
  PERMISSIVE_SCHEMA_URI,
  schemaForRedHatYaml,
  withoutRedHatSyntax,
  YAML_CONTRIBUTOR_SCHEME,
} from '../../../src/core/language/redHatYaml';

const root = join('/', 'repo');

test('dvc.yaml, schema.yaml and MLproject get the permissive schema; params.yaml and other YAML keep Red Hat\u2019s choice', () => {
  const settings = { replace: true, root };
  assert.equal(schemaForRedHatYaml(join(root, 'dvc.yaml'), settings), PERMISSIVE_SCHEMA_URI);
  assert.equal(schemaForRedHatYaml(join(root, 'ml', 'wine', 'dvc.yaml'), settings), PERMISSIVE_SCHEMA_URI);
  assert.equal(schemaForRedHatYaml(join(root, 'schema.yaml'), settings), PERMISSIVE_SCHEMA_URI);
  assert.equal(schemaForRedHatYaml(join(root, 'MLproject'), settings), PERMISSIVE_SCHEMA_URI);
  assert.equal(schemaForRedHatYaml(join(root, 'params.yaml'), settings), undefined);
  assert.equal(schemaForRedHatYaml(join(root, '.github', 'workflows', 'ci.yml'), settings), undefined);
  assert.equal(schemaForRedHatYaml(join(root, 'docker-compose.yml'), settings), undefined);
  assert.equal(schemaForRedHatYaml(undefined, settings), undefined);
  assert.ok(PERMISSIVE_SCHEMA_URI.startsWith(`${YAML_CONTRIBUTOR_SCHEME}://`), 'the URI is in the scheme the contributor registers');
});

test('the setting turns it off, and a file the user mapped in yaml.schemas keeps the user\u2019s schema', () => {
  assert.equal(schemaForRedHatYaml(join(root, 'dvc.yaml'), { replace: false, root }), undefined);
  const yamlSchemas = { 'https://example.com/our-dvc.json': ['pipelines/**/dvc.yaml'], './local.json': 'schema.yaml' };
  assert.equal(schemaForRedHatYaml(join(root, 'pipelines', 'a', 'dvc.yaml'), { replace: true, yamlSchemas, root }), undefined);
  assert.equal(schemaForRedHatYaml(join(root, 'data', 'schema.yaml'), { replace: true, yamlSchemas, root }), undefined);
  assert.equal(schemaForRedHatYaml(join(root, 'dvc.yaml'), { replace: true, yamlSchemas, root }), PERMISSIVE_SCHEMA_URI);
  assert.equal(
    schemaForRedHatYaml(join(root, 'dvc.yaml'), { replace: true, yamlSchemas: 'not a map', root }),
    PERMISSIVE_SCHEMA_URI,
    'a malformed yaml.schemas is ignored',
  );
});

test('the permissive schema accepts anything and says who validates the file', () => {
  const schema = JSON.parse(contributedSchemaContent(PERMISSIVE_SCHEMA_URI) ?? 'null') as Record<string, unknown>;
  assert.deepEqual(Object.keys(schema).sort(), ['$schema', 'description', 'title']);
  assert.equal(schema.title, 'Validated by MLOps Workbench');
  assert.equal(contributedSchemaContent('mlops-workbench://schemas/other.json'), undefined);
});

test('with Red Hat YAML reporting syntax, open YAML files keep every finding but the syntax ones; MLproject keeps all', () => {
  const findings = [
    { code: 'yaml-syntax' },
    { code: 'yaml-duplicate-key' },
    { code: 'yaml-tab-indent' },
    { code: 'yaml-alias-bomb' },
    { code: 'dvc-unknown-key' },
  ];
  assert.deepEqual(
    withoutRedHatSyntax(join(root, 'dvc.yaml'), findings).map((f) => f.code),
    ['yaml-alias-bomb', 'dvc-unknown-key'],
  );
  assert.deepEqual(
    withoutRedHatSyntax(join(root, 'params.yaml'), findings).map((f) => f.code),
    ['yaml-alias-bomb', 'dvc-unknown-key'],
  );
  assert.equal(withoutRedHatSyntax(join(root, 'MLproject'), findings).length, 5);
});
