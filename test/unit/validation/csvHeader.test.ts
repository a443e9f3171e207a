import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCsvHeader } from '../../../src/core/validation/csvHeader';

test(
  'the CSV header is read up to the first line break only, even when the rest never ends',
  { skip: process.platform === 'win32' },
  async () => {
    // A FIFO whose writer stays open: reading "the whole file" would never finish.
    const dir = mkdtempSync(join(tmpdir(), 'mlops-csv-'));
    const fifo = join(dir, 'data.csv');
    execFileSync('mkfifo', [fifo]);
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined);
    writer.write('a,"b c",d\n1,2,3\n');
    try {
      const header = await Promise.race([
        readCsvHeader(fifo),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref()),
      ]);
      assert.deepEqual(header, ['a', 'b c', 'd']);
    } finally {
      writer.destroy();
    }
  },
);

test('a CSV without a line break is its own header; a missing file has none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-csv-'));
  writeFileSync(join(dir, 'one.csv'), 'x,y');
  assert.deepEqual(await readCsvHeader(join(dir, 'one.csv')), ['x', 'y']);
  assert.equal(await readCsvHeader(join(dir, 'none.csv')), undefined);
});
