import assert from 'node:assert/strict';
import { test } from 'node:test';
import { didYouMean, editDistance } from '../../../src/core/validation/didYouMean';
import { globToRegExp, lookupByGlob } from '../../../src/core/validation/globMatch';
import { summarize } from './summarize';
import { validateText } from './validateText';

test('did you mean: transpositions count once, far words get no suggestion, case wins', () => {
  assert.equal(editDistance('flaot64', 'float64'), 1);
  assert.equal(didYouMean('flaot64', ['float32', 'float64', 'int64']), 'float64');
  assert.equal(didYouMean('outz', ['outs', 'deps']), 'outs');
  assert.equal(didYouMean('Cmd', ['cmd', 'cmdx']), 'cmd');
  assert.equal(didYouMean('banana', ['cmd', 'deps', 'outs']), undefined);
});

test('setting globs: ** spans folders, * stays in one, a bare name matches the file name', () => {
  assert.ok(globToRegExp('**/params.yaml').test('params.yaml'));
  assert.ok(globToRegExp('**/params.yaml').test('a/b/params.yaml'));
  assert.ok(!globToRegExp('conf/*.yaml').test('conf/x/y.yaml'));
  assert.equal(lookupByGlob({ 'exp/*/params.yaml': 's.json' }, '/ws/exp/one/params.yaml', '/ws'), '/ws/s.json');
  assert.equal(lookupByGlob({ 'params.yaml': '/abs/s.json' }, '/ws/deep/params.yaml', '/ws'), '/abs/s.json');
  assert.equal(lookupByGlob({ 'other.yaml': 's.json' }, '/ws/params.yaml', '/ws'), undefined);
});

test('dvc.yaml structure: foreach without do asks for do, on the stage name', async () => {
  const findings = await validateText('dvc.yaml', 'stages:\n  train:\n    foreach: [a, b]\n');
  assert.deepEqual(summarize(findings), ['2:3-2:8 error dvc-missing-key Stage "train" needs the key "do".']);
});
