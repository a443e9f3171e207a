import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

const draft07 =
  '{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"lr":{"type":"number"}},"additionalProperties":false}';

test('params.yaml: draft-07 schema beside the file, each error on its key or value', async () => {
  const findings = await validateFile(join(fixtures, 'params-draft07', 'params.yaml'));
  assert.deepEqual(summarize(findings), [
    '1:1-1:6 error params-schema "train.epochs" is required by the params schema; add it.',
    '2:7-2:11 error params-schema train.lr must be > 0 (params schema).',
    '3:14-3:19 error params-schema train.optimizer must be one of "adam", "sgd" (params schema). Did you mean "adam"?',
    '4:3-4:8 error params-schema "train.batch" is not allowed by the params schema. Remove it or fix its name.',
  ]);
});

test('params.yaml: 2020-12 schema named by the yaml-language-server modeline', async () => {
  const findings = await validateFile(join(fixtures, 'params-2020', 'params.yaml'));
  assert.deepEqual(summarize(findings), [
    '2:14-2:20 error params-schema layers.1 must be integer (params schema).',
    '3:7-3:9 error params-schema name must NOT have fewer than 3 characters (params schema).',
    '4:1-4:6 error params-schema "extra" is not allowed by the params schema. Remove it or fix its name.',
  ]);
});

test('params.yaml: a schema from the paramsSchemas setting, a file URI modeline, and a missing schema', async () => {
  const fromSetting = await validateText(
    'params.yaml',
    'lr: fast\nlrr: 1\n',
    { 'conf/p.json': draft07 },
    { paramsSchemas: { '**/params.yaml': 'conf/p.json' } },
  );
  // Relative setting paths resolve against root; without root, against the params file's folder.
  assert.deepEqual(summarize(fromSetting), [
    '1:5-1:9 error params-schema lr must be number (params schema).',
    '2:1-2:4 error params-schema "lrr" is not allowed by the params schema. Did you mean "lr"?',
  ]);
  const other = await validateText('params.yaml', 'lr: 1\n', { 'p.json': draft07 }, { paramsSchemas: { 'other/*.yaml': 'p.json' } });
  assert.deepEqual(summarize(other), []);
  const uri = pathToFileURL(join(fixtures, 'params-draft07', 'params.schema.json')).href;
  const viaUri = await validateText('params.yaml', `# yaml-language-server: $schema=${uri}\ntrain: {lr: 1, epochs: 2}\n`);
  assert.deepEqual(summarize(viaUri), []);
  const missing = await validateText('params.yaml', '# yaml-language-server: $schema=nope.json\na: 1\n');
  assert.equal(summarize(missing)[0]?.slice(0, 58), '1:33-1:42 error params-schema-unreadable The params schema');
});
