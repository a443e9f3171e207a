import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runsCompareCommand } from '../../src/cli/runsCompareCommand';

function folderWithRecords(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-compare-'));
  mkdirSync(join(dir, '.mlops', 'runs'), { recursive: true });
  const record = (id: string, depth: number, accuracy: number, loss: number): void =>
    writeFileSync(
      join(dir, '.mlops', 'runs', `${id}.json`),
      JSON.stringify({
        id,
        stages: ['train@rf'],
        startTime: '2026-11-23T10:00:00.000Z',
        status: 'finished',
        exitCode: 0,
        params: { 'models.rf.max_depth': depth, 'split.test_size': 0.4 },
        metrics: { accuracy, loss },
      }),
    );
  record('20261123T100000000Z-aaaaaa', 2, 0.81, 0.5);
  record('20261123T110000000Z-bbbbbb', 3, 0.86, 0.4);
  return dir;
}

async function inFolder<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await body();
  } finally {
    process.chdir(cwd);
  }
}

test('mlops runs compare --format json marks the best metric per direction and keeps only changed rows', async () => {
  const dir = folderWithRecords();
  const printed: string[] = [];
  const code = await inFolder(dir, () =>
    runsCompareCommand(['20261123T100000000Z-aaaaaa', 'workbench:20261123T11', '--format', 'json', '--only-changed'], (t) =>
      printed.push(t),
    ),
  );
  assert.equal(code, 0);
  const out = JSON.parse(printed.join('')) as {
    runs: { id: string }[];
    rows: { kind: string; key: string; values: unknown[]; best: string[] }[];
  };
  assert.deepEqual(
    out.runs.map((r) => r.id),
    ['workbench:20261123T100000000Z-aaaaaa', 'workbench:20261123T110000000Z-bbbbbb'],
  );
  const keys = out.rows.map((r) => `${r.kind}:${r.key}`);
  assert.ok(!keys.includes('param:split.test_size'), 'an unchanged param is hidden');
  const accuracy = out.rows.find((r) => r.key === 'accuracy');
  const loss = out.rows.find((r) => r.key === 'loss');
  assert.deepEqual(accuracy?.best, ['workbench:20261123T110000000Z-bbbbbb'], 'higher accuracy is better');
  assert.deepEqual(loss?.best, ['workbench:20261123T110000000Z-bbbbbb'], 'lower loss is better');
});

test('mlops runs compare says which run it cannot find and exits 1', async () => {
  const dir = folderWithRecords();
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((text: string) => {
    errors.push(String(text));
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await inFolder(dir, () => runsCompareCommand(['20261123T100000000Z-aaaaaa', 'nope'], () => undefined));
    assert.equal(code, 1);
  } finally {
    process.stderr.write = write;
  }
  assert.match(errors.join(''), /no run 'nope' here/);
});
