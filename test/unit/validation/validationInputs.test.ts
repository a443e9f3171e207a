import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { validationInputs } from '../../../src/core/validation/validateFile';
import { validateText } from './validateText';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-inputs-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

test('validationInputs: the files a dvc.yaml, a data contract, a params file and an MLproject depend on', async () => {
  const dir = project({
    'dvc.yaml': 'vars:\n  - conf/vars.yaml:lr\nstages:\n  a:\n    wdir: sub\n    cmd: x\n    params:\n      - other.yaml:\n          - k\n',
    'schema.yaml': 'COLUMNS: {a: int64}\n',
    'config/config.yaml': 'data_ingestion:\n  local_data_file: data/raw.csv\n',
    'params.yaml': '# yaml-language-server: $schema=schemas/p.json\na: 1\n',
    MLproject: 'name: x\npython_env: env/python_env.yaml\n',
  });
  const rel = (paths: string[]): string[] => paths.map((p) => p.slice(dir.length + 1));
  assert.deepEqual(rel(await validationInputs(join(dir, 'dvc.yaml'))), ['conf/vars.yaml', 'params.yaml', 'sub/other.yaml']);
  assert.deepEqual(rel(await validationInputs(join(dir, 'schema.yaml'))), ['config/config.yaml', 'data/raw.csv']);
  assert.deepEqual(rel(await validationInputs(join(dir, 'params.yaml'), undefined, { reportUnusedParams: true })), [
    'dvc.yaml',
    'params.schema.json',
    'params.schema.yaml',
    'schemas/p.json',
  ]);
  assert.deepEqual(rel(await validationInputs(join(dir, 'MLproject'))), ['env/python_env.yaml']);
});

test('dvc.yaml ↔ params: a params file that is a list is one finding per listed key', async () => {
  const findings = await validateText('dvc.yaml', 'stages:\n  a:\n    cmd: x\n    params: [lr]\n', { 'params.yaml': '- 1\n- 2\n' });
  assert.deepEqual(
    findings.map((f) => `${f.range.start.line + 1}:${f.range.start.character + 1} ${f.code} ${f.message}`),
    ['4:14 dvc-params-not-mapping params.yaml is not a mapping of keys, so "lr" cannot be found in it; make it key: value pairs.'],
  );
});
