import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';

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
