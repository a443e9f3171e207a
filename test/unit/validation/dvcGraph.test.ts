import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

test('dvc.yaml graph: missing deps, overlapping and duplicate outs, and a cycle named on each stage', async () => {
  const findings = await validateFile(join(fixtures, 'dvc-graph', 'dvc.yaml'));
  assert.deepEqual(summarize(findings), [
    '2:3-2:4 error dvc-cycle Stages a → b → c → a depend on each other in a cycle; remove one of those deps.',
    '6:9-6:21 warning dvc-dep-missing Dependency "data/raw.csv" of stage "a" does not exist and no stage produces it; create it or add the stage that writes it.',
    '10:3-10:4 error dvc-cycle Stages a → b → c → a depend on each other in a cycle; remove one of those deps.',
    '16:9-16:24 error dvc-overlapping-outs Output "out/a/inner.txt" of stage "b" lies inside output "out/a" of stage "a"; DVC does not allow overlapping outputs.',
    '17:3-17:4 error dvc-cycle Stages a → b → c → a depend on each other in a cycle; remove one of those deps.',
    '23:9-23:18 error dvc-duplicate-out Output "out/b.txt" is produced by both "b" and "c"; an output can come from only one stage.',
  ]);
});

test('dvc.yaml graph: a dep produced by another dvc.yaml of the same repository is not missing', async () => {
  const findings = await validateText(
    'b/dvc.yaml',
    'stages:\n  use:\n    cmd: y\n    deps:\n      - ../shared/data/part.csv\n      - ../shared/nothing.csv\n',
    {
      '.dvc/config': '',
      'a/dvc.yaml': 'stages:\n  make:\n    cmd: x\n    outs:\n      - ../shared/data\n',
    },
  );
  assert.deepEqual(summarize(findings), [
    '6:9-6:30 warning dvc-dep-missing Dependency "../shared/nothing.csv" of stage "use" does not exist and no stage produces it; create it or add the stage that writes it.',
  ]);
});
