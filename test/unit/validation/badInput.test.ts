import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateFile } from '../../../src/core/validation/validateFile';

const inputs: Record<string, string | Buffer> = {
  empty: '',
  comment: '# nothing here\n',
  list: '- a\n- b\n',
  scalar: 'just words\n',
  nullDoc: '~\n',
  binary: Buffer.from([0, 159, 146, 150, 255, 254, 10, 0, 1, 2]),
  latin1: Buffer.from('name: caf\xe9\n', 'latin1'),
  deep: `${'['.repeat(3000)}${']'.repeat(3000)}\n`,
  deepMap: Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
  aliasBomb: [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...Array.from(
      { length: 8 },
      (_, i) =>
        `l${i}: &l${i} [${Array(10)
          .fill(i === 0 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
    ),
  ].join('\n'),
  wrongShapes: 'stages: [1, 2]\nCOLUMNS: [a]\nTARGET_COLUMN: 3\nentry_points: [x]\nname: {a: 1}\nparams: 5\n',
  stageShapes: 'stages:\n  a: 3\n  b:\n  c:\n    cmd: [1, {x: 2}]\n    params: [{f.yaml: 3}, 4]\n    deps: {a: 1}\n    foreach: 1\n',
};

for (const name of ['dvc.yaml', 'params.yaml', 'schema.yaml', 'MLproject']) {
  test(`${name}: bad input gives findings or nothing, never a crash`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-bad-'));
    for (const [label, content] of Object.entries(inputs)) {
      const file = join(dir, label, name);
      mkdirSync(join(dir, label), { recursive: true });
      writeFileSync(file, content);
      const findings = await validateFile(file, { reportUnusedParams: true });
      assert.ok(Array.isArray(findings), label);
      const internal = findings.filter((f) => f.code === 'internal-error');
      assert.deepEqual(internal, [], `${name} ${label}`);
    }
  });
}
