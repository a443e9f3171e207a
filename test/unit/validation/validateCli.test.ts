import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { validateCommand } from '../../../src/cli/validateCommand';
import { repoRoot } from '../../support/tools';

interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  source: string;
}

/** A copy of the example project without anything a local run produced. */
function copyExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-wine-'));
  const skipped = new Set(['artifacts', 'mlruns', 'mlflow.db', 'cache', 'tmp', 'metrics.json']);
  cpSync(join(repoRoot, 'examples', 'wine-quality'), dir, { recursive: true, filter: (src) => !skipped.has(basename(src)) });
  return dir;
}

async function validateJson(dir: string): Promise<{ code: number; diagnostics: JsonDiagnostic[] }> {
  const printed: string[] = [];
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await validateCommand(['--format', 'json'], (t) => printed.push(t));
    return { code, diagnostics: (JSON.parse(printed.join('')) as { diagnostics: JsonDiagnostic[] }).diagnostics };
  } finally {
    process.chdir(cwd);
  }
}

test('mlops validate: the example project has no errors', async () => {
  const { code, diagnostics } = await validateJson(copyExample());
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.equal(code, 0);
});

test('mlops validate --format json: a dtype typo and a param typo in the example, at their exact positions', async () => {
  const dir = copyExample();
  const edit = (file: string, from: string, to: string): void => {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(text.includes(from), `${file} contains ${from}`);
    writeFileSync(join(dir, file), text.replace(from, to));
  };
  edit('schema.yaml', 'ash: float64', 'ash: flaot64');
  edit('dvc.yaml', '- split.test_size', '- split.tset_size');
  const { code, diagnostics } = await validateJson(dir);
  assert.equal(code, 1);
  assert.deepEqual(
    diagnostics.map((d) => [d.file, d.line, d.column, d.endLine, d.endColumn, d.severity, d.code, d.message, d.source]),
    [
      [
        'dvc.yaml',
        8,
        9,
        8,
        24,
        'error',
        'dvc-unknown-param',
        'Param "split.tset_size" of stage "ingest" is not in params.yaml. Did you mean "split.test_size"?',
        'mlops',
      ],
      ['schema.yaml', 5, 8, 5, 15, 'error', 'schema-invalid-dtype', '"flaot64" is not a pandas dtype. Did you mean "float64"?', 'mlops'],
    ],
  );
});
