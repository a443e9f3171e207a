import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

test('dvc.yaml structure: typos get one finding with a suggestion, wrong types and duplicates are exact', async () => {
  const findings = await validateFile(join(fixtures, 'dvc-structure', 'dvc.yaml'));
  // The whole file: the structure findings plus what the expanded pipeline shows. The parser's own
  // problems are worded by the parser; here only their place counts.
  const parserOwn = findings.filter((f) => f.code === 'dvc-unresolved-interpolation');
  assert.deepEqual(
    parserOwn.map((f) => summarize([f])[0]?.split(' ').slice(0, 3).join(' ')),
    ['13:15-13:19 error dvc-unresolved-interpolation'],
  );
  assert.deepEqual(summarize(findings.filter((f) => !parserOwn.includes(f))), [
    '3:5-3:9 error dvc-unknown-key DVC does not know the key "cmdd" in stage "prep". Did you mean "cmd"?',
    '4:12-4:17 warning dvc-dep-missing Dependency "a.csv" of stage "prep" does not exist and no stage produces it; create it or add the stage that writes it.',
    '5:13-5:18 error dvc-wrong-type "frozen" of stage "prep" must be true or false, not a string.',
    '11:11-11:16 error dvc-duplicate-out Output "m.pkl" is produced by both "train@a" and "train@b"; an output can come from only one stage.',
    '12:13-12:17 error dvc-unknown-key DVC does not know the key "cach" in outs entry "m.pkl" of stage "train". Did you mean "cache"?',
    '18:12-18:13 warning dvc-dep-missing Dependency "x" of stage "sweep" does not exist and no stage produces it; create it or add the stage that writes it.',
    '18:15-18:16 error dvc-duplicate-entry "x" is listed twice in "deps" of stage "sweep"; remove one.',
    '18:15-18:16 warning dvc-dep-missing Dependency "x" of stage "sweep" does not exist and no stage produces it; create it or add the stage that writes it.',
    '19:1-19:8 error dvc-unknown-key DVC does not know the key "stagess" at the top of dvc.yaml. Did you mean "stages"?',
  ]);
  const typo = findings.find((f) => f.code === 'dvc-unknown-key');
  assert.deepEqual(typo?.data, { replacement: 'cmd' });
});

test('dvc.yaml structure: a stage without cmd is reported on its name; ${} passes where a bool is expected', async () => {
  const findings = await validateText(
    'dvc.yaml',
    'stages:\n  train:\n    deps: [a]\n    frozen: ${flags.frozen}\n    always_changed: maybe\n',
  );
  assert.deepEqual(
    summarize(findings)
      .filter((s) => !/dvc-dep-|dvc-unresolved|interpolat/.test(s))
      .filter((s) => /dvc-(missing|wrong)/.test(s)),
    [
      '2:3-2:8 error dvc-missing-cmd Stage "train" has no cmd; add the command that runs it.',
      '5:21-5:26 error dvc-wrong-type "always_changed" of stage "train" must be true or false, not a string.',
    ],
  );
});

test('dvc.yaml structure: a foreach over a number and a matrix value that is not a list are wrong types', async () => {
  const text =
    'stages:\n  a:\n    foreach: 3\n    do:\n      cmd: echo ${item}\n  b:\n    matrix:\n      lr: 0.1\n    cmd: echo ${item.lr}\n';
  const findings = (await validateText('dvc.yaml', text)).filter((f) => f.code === 'dvc-wrong-type');
  assert.deepEqual(summarize(findings), [
    '3:14-3:15 error dvc-wrong-type "foreach" of stage "a" must be a string, a list or a mapping, not an integer.',
    '8:11-8:14 error dvc-wrong-type "matrix.lr" of stage "b" must be a list or a string, not a number.',
  ]);
});
