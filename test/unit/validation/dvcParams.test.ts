import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

test('dvc.yaml ↔ params: unknown keys on the list item with a suggestion, other files, wdir, templates', async () => {
  const findings = await validateFile(join(fixtures, 'dvc-params', 'dvc.yaml'));
  assert.deepEqual(summarize(findings), [
    '5:9-5:24 error dvc-unknown-param Param "split.tset_size" of stage "prepare" is not in params.yaml. Did you mean "split.test_size"?',
    '9:13-9:22 error dvc-unknown-param Param "optimiser" of stage "prepare" is not in other.yaml. Did you mean "optimizer"?',
    '10:9-10:21 error dvc-params-file-missing Stage "prepare" reads params from missing.yaml, which does not exist; create it or name another file.',
    '16:11-16:25 error dvc-unknown-param Param "models.svm" of stage "train" is not in params.yaml. Add it to the params file or fix the name.',
    '22:9-22:15 error dvc-unknown-param Param "epochs" of stage "local" is not in sub/params.yaml. Add it to the params file or fix the name.',
  ]);
  assert.equal(findings[0]?.data?.replacement, 'split.test_size');
});

test('dvc.yaml ↔ params: the parser reports unresolved ${} and foreach over a scalar from params', async () => {
  const findings = await validateText(
    'dvc.yaml',
    'stages:\n  a:\n    foreach: ${seed}\n    do:\n      cmd: echo ${item}\n  b:\n    cmd: echo ${lr.nope}\n',
    {
      'params.yaml': 'seed: 3\nlr: {value: 1}\n',
    },
  );
  const codes = findings.map((f) => `${f.range.start.line + 1}:${f.range.start.character + 1} ${f.code}`);
  assert.ok(codes.includes('3:14 dvc-foreach-type'), codes.join(', '));
  assert.ok(
    codes.some((c) => c.startsWith('7:') && c.includes('dvc-unresolved')),
    codes.join(', '),
  );
});

test('params.yaml: unused keys are hints only when asked for', async () => {
  const file = join(fixtures, 'dvc-params', 'params.yaml');
  assert.deepEqual(summarize(await validateFile(file)), []);
  assert.deepEqual(summarize(await validateFile(file, { reportUnusedParams: true })), [
    // The stage lists the typo split.tset_size, so the real key is unused.
    '2:3-2:12 hint params-unused Param "split.test_size" is not used by any stage of dvc.yaml or any ${} in it.',
    '7:1-7:11 hint params-unused Param "unused_top" is not used by any stage of dvc.yaml or any ${} in it.',
  ]);
  const some = await validateText(
    'params.yaml',
    'a:\n  b: 1\n  c: 2\nd: 3\n',
    { 'dvc.yaml': 'stages:\n  s:\n    cmd: echo ${d}\n    params: [a.b]\n' },
    { reportUnusedParams: true },
  );
  assert.deepEqual(summarize(some), ['3:3-3:4 hint params-unused Param "a.c" is not used by any stage of dvc.yaml or any ${} in it.']);
});
