import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateCommand } from '../../src/cli/validateCommand';

test('mlops validate --format json prints 1-based positions and exits 1 on an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-cli-'));
  writeFileSync(join(dir, 'params.yaml'), 'train:\n  lr: 0.1\n  lr: 0.2\n');
  const printed: string[] = [];
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await validateCommand(['--format', 'json'], (t) => printed.push(t));
    assert.equal(code, 1);
  } finally {
    process.chdir(cwd);
  }
  const out = JSON.parse(printed.join('')) as { diagnostics: Array<Record<string, unknown>> };
  const dup = out.diagnostics.find((d) => d.code === 'yaml-duplicate-key');
  assert.ok(dup);
  assert.equal(dup.file, 'params.yaml');
  assert.equal(dup.line, 3);
  assert.equal(dup.column, 3);
  assert.equal(dup.severity, 'error');
});
