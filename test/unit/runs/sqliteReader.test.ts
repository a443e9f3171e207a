import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MlflowSqliteSource } from '../../../src/core/runs/mlflowSqliteSource';
import { decodeRecord, readVarint } from '../../../src/core/sqlite/sqliteBtree';
import { SqliteDatabase, SqliteFormatError, parseCreateTable } from '../../../src/core/sqlite/sqliteDatabase';
import { repoRoot } from '../../support/tools';

// Made by real MLflow with test/fixtures/runs/make-fixtures.py.
const fixtures = join(repoRoot, 'test', 'fixtures', 'runs');
const storePath = join(fixtures, 'mlflow.db');

async function tempCopy(name: string, content: Buffer | string): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-sqlite-'));
  const path = join(dir, name);
  await fs.writeFile(path, content);
  return path;
}

describe('SQLite reader', () => {
  it('reads varints of every length and records of every serial type', () => {
    assert.deepEqual(readVarint(Buffer.from([0x05]), 0), [5, 1]);
    assert.deepEqual(readVarint(Buffer.from([0x81, 0x00]), 0), [128, 2]);
    assert.deepEqual(readVarint(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0)[1], 9);
    // header: size 9, types NULL, int8, int16, int24, int32, int48, int64, float, 0, 1, text "hi", blob [7]
    const body = Buffer.concat([
      Buffer.from([0xfe]),
      Buffer.from([0x01, 0x00]),
      Buffer.from([0xff, 0xff, 0xfe]),
      Buffer.from([0x00, 0x01, 0x00, 0x00]),
      Buffer.from([0x00, 0x00, 0x01, 0x00, 0x00, 0x00]),
      Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      (() => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(0.75);
        return b;
      })(),
      Buffer.from('hi'),
      Buffer.from([7]),
    ]);
    const types = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 17, 14];
    const header = Buffer.from([types.length + 1, ...types]);
    const values = decodeRecord(Buffer.concat([header, body]), 1);
    assert.deepEqual(values.slice(0, 6), [null, -2, 256, -2, 65536, 16777216]);
    assert.equal(values[6], 9223372036854775807n);
    assert.deepEqual(values.slice(7, 11), [0.75, 0, 1, 'hi']);
    assert.deepEqual(values[11], new Uint8Array([7]));
  });

  it('finds column names and the rowid alias in MLflow DDL', () => {
    const parsed = parseCreateTable(
      'CREATE TABLE "experiments" (\n\texperiment_id INTEGER NOT NULL, \n\tname VARCHAR(256) NOT NULL, \n\tCONSTRAINT experiment_pk PRIMARY KEY (experiment_id)\n)',
    );
    assert.deepEqual(parsed.columns, ['experiment_id', 'name']);
    assert.equal(parsed.rowidColumn, 'experiment_id');
    assert.equal(parseCreateTable('CREATE TABLE t (a VARCHAR(3), b INT, PRIMARY KEY (a, b))').rowidColumn, undefined);
  });

  it('reads the tables of a real MLflow store, including a param value on overflow pages', async () => {
    const db = await SqliteDatabase.open(storePath);
    try {
      assert.equal(db.pageSize, 4096);
      const experiments: string[] = [];
      await db.scan('experiments', (row) => {
        experiments.push(`${String(row.experiment_id)}:${String(row.name)}:${String(row.lifecycle_stage)}`);
      });
      assert.deepEqual(experiments, ['0:Default:active', '1:wine-quality:active', '2:abandoned:deleted']);
      const notes: string[] = [];
      await db.scan('params', (row) => {
        if (row.key === 'notes') notes.push(String(row.value));
      });
      assert.deepEqual(notes, ['n'.repeat(5000)]);
    } finally {
      await db.close();
    }
  });

  it('looks rows up through an index without scanning the table', async () => {
    const db = await SqliteDatabase.open(storePath);
    try {
      let runUuid = '';
      await db.scan('runs', (row) => {
        if (row.name === 'train@rf') runUuid = String(row.run_uuid);
      });
      const rows = await db.rowsWhere('metrics', 'run_uuid', runUuid);
      assert.deepEqual(
        rows.filter((r) => r.key === 'accuracy').map((r) => r.step),
        [0, 1, 2, 3, 4],
      );
      assert.deepEqual(await db.rowsWhere('metrics', 'run_uuid', 'no-such-run'), []);
    } finally {
      await db.close();
    }
  });

  it('reads the latest committed pages from a -wal file', async () => {
    const db = await SqliteDatabase.open(join(fixtures, 'wal', 'mlflow.db'));
    try {
      assert.ok(db.walFrames > 0);
      const names: string[] = [];
      await db.scan('runs', (row) => {
        names.push(String(row.name));
      });
      assert.ok(names.includes('renamed-in-wal'), names.join(', '));
      assert.ok(!names.includes('train@logreg'));
    } finally {
      await db.close();
    }
  });

  it('ignores WAL frames whose checksum does not match, as SQLite does', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-sqlite-'));
    await fs.copyFile(join(fixtures, 'wal', 'mlflow.db'), join(dir, 'mlflow.db'));
    const wal = await fs.readFile(join(fixtures, 'wal', 'mlflow.db-wal'));
    // A torn write: the last byte of the first frame's page differs from what its checksum covers.
    const firstFrameEnd = 32 + 24 + 4096 - 1;
    wal[firstFrameEnd] = (wal[firstFrameEnd] ?? 0) ^ 0xff;
    await fs.writeFile(join(dir, 'mlflow.db-wal'), wal);
    const db = await SqliteDatabase.open(join(dir, 'mlflow.db'));
    try {
      assert.equal(db.walFrames, 0);
      const names: string[] = [];
      await db.scan('runs', (row) => {
        names.push(String(row.name));
      });
      assert.ok(names.includes('train@logreg'), names.join(', '));
    } finally {
      await db.close();
    }
  });

  it('says clearly when a file is not a database', async () => {
    const notDb = await tempCopy('mlflow.db', 'this is a text file, not a database\n'.repeat(10));
    await assert.rejects(SqliteDatabase.open(notDb), (error: Error) => {
      assert.ok(error instanceof SqliteFormatError);
      assert.match(error.message, /^mlflow\.db is not a readable SQLite database: /);
      return true;
    });
    await assert.rejects(
      SqliteDatabase.open(await tempCopy('mlflow.db', '')),
      /mlflow\.db is not a readable SQLite database: the file is empty/,
    );
  });

  it('reports a corrupt page instead of crashing', async () => {
    const bytes = await fs.readFile(storePath);
    // Overwrite every page after the schema with garbage: the schema loads, the tables do not.
    for (let at = 4096 * 2; at < bytes.length; at++) bytes[at] = 0x33;
    const corrupt = await tempCopy('mlflow.db', bytes);
    const source = new MlflowSqliteSource(corrupt);
    await assert.rejects(source.listRuns(), /mlflow\.db is not a readable SQLite database: page \d+/);
    source.dispose();
  });
});

describe('MLflow SQLite source', () => {
  it('lists the active runs of active experiments with params, latest metrics, tags and commit', async () => {
    const source = new MlflowSqliteSource(storePath);
    try {
      const runs = await source.listRuns();
      assert.deepEqual(runs.map((r) => r.name).sort(), ['crashed', 'train@logreg', 'train@rf']);
      const rf = runs.find((r) => r.name === 'train@rf');
      assert.ok(rf);
      assert.equal(rf.source, 'mlflow');
      assert.match(rf.id, /^mlflow:[0-9a-f]{32}$/);
      assert.equal(rf.experiment, 'wine-quality');
      assert.equal(rf.status, 'finished');
      assert.equal(rf.params.n_estimators, 20);
      assert.equal(rf.params.model, 'rf');
      assert.equal(rf.metrics.accuracy, 0.9);
      assert.equal(rf.metrics.rmse, 0.75);
      assert.equal(rf.commit, '0123456789abcdef0123456789abcdef01234567');
      assert.equal(rf.tags.stage, 'train@rf');
      assert.match(rf.startTime ?? '', /^\d{4}-\d\d-\d\dT/);
      assert.equal(runs.find((r) => r.name === 'crashed')?.status, 'failed');

      const history = await source.metricHistory(rf.id, 'accuracy');
      assert.deepEqual(
        history.map((p) => [p.step, Math.round(p.value * 10) / 10]),
        [
          [0, 0.5],
          [1, 0.6],
          [2, 0.7],
          [3, 0.8],
          [4, 0.9],
        ],
      );
    } finally {
      source.dispose();
    }
  });

  it('says a SQLite file without MLflow tables is not an MLflow store', async () => {
    const source = new MlflowSqliteSource(join(fixtures, 'not-mlflow.db'));
    await assert.rejects(
      source.listRuns(),
      /not-mlflow\.db is a SQLite database but not an MLflow store \(it has no experiments, runs, params, latest_metrics, metrics, tags tables\)/,
    );
    source.dispose();
  });
});
