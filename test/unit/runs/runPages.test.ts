import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MlflowSqliteSource } from '../../../src/core/runs/mlflowSqliteSource';
import type { Run, RunSource } from '../../../src/core/runs/model';
import { newestFirst, pageOf, pagerFor, type RunCursor } from '../../../src/core/runs/runPages';
import { repoRoot } from '../../support/tools';

// Made by real MLflow with test/fixtures/runs/make-paging-fixtures.py.
const fixtures = join(repoRoot, 'test', 'fixtures', 'runs', 'paging');
const SWEEP_NEWEST_FIRST = [
  ...['24', '23', '22', '21', '20', '19', '18', '17', '16'].map((i) => `sweep-${i}`),
  // sweep-15 and its twin share a start time; which comes first depends on their ids.
  'sweep-15|sweep-15-twin',
  'sweep-15|sweep-15-twin',
  ...['14', '13', '12', '11', '10', '09', '08', '07', '06', '05', '04', '03', '02', '01', '00'].map((i) => `sweep-${i}`),
];

async function tempStore(): Promise<string> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-paging-'));
  const path = join(dir, 'mlflow.db');
  await fs.copyFile(join(fixtures, 'mlflow.db'), path);
  return path;
}

async function everyPage(source: MlflowSqliteSource, experiment: string, limit: number): Promise<Run[][]> {
  const pages: Run[][] = [];
  let after: RunCursor | undefined;
  do {
    const page = await source.runsPage(experiment, limit, after);
    pages.push(page.runs);
    after = page.next;
  } while (after && pages.length < 100);
  return pages;
}

function assertNewestFirst(names: string[]): void {
  assert.equal(names.length, SWEEP_NEWEST_FIRST.length);
  names.forEach((name, i) => assert.ok(SWEEP_NEWEST_FIRST[i]?.split('|').includes(name), `run ${i} is ${name}`));
  assert.equal(new Set(names).size, names.length, 'no run twice');
}

describe('Run pages from an MLflow SQLite store', () => {
  it('lists the experiments that have runs, newest first, with their counts and without deleted runs or experiments', async () => {
    const source = new MlflowSqliteSource(join(fixtures, 'mlflow.db'));
    try {
      assert.deepEqual(await source.experiments(), [
        { name: 'sweep', id: '2', runs: 26 },
        { name: 'other', id: '1', runs: 3 },
      ]);
    } finally {
      source.dispose();
    }
  });

  it('reads pages newest first whose boundaries neither repeat nor skip a run, and stops after the last one', async () => {
    const source = new MlflowSqliteSource(join(fixtures, 'mlflow.db'));
    try {
      const pages = await everyPage(source, 'sweep', 10);
      assert.deepEqual(
        pages.map((p) => p.length),
        [10, 10, 6],
      );
      const names = pages.flat().map((r) => r.name);
      assertNewestFirst(names);
      assert.ok(!names.includes('sweep-deleted'), 'a deleted run is hidden');
      // The twins straddle the first page boundary: each is on one page.
      assert.deepEqual(names.slice(9, 11).sort(), ['sweep-15', 'sweep-15-twin']);
      assert.deepEqual(
        (await everyPage(source, 'sweep', 26)).map((p) => p.length),
        [26],
        'a page as large as the experiment is the last',
      );
      assert.deepEqual(
        (await everyPage(source, 'other', 2)).flat().map((r) => r.name),
        ['other-2', 'other-1', 'other-0'],
      );
      assert.deepEqual((await source.runsPage('no such experiment', 10)).runs, []);
    } finally {
      source.dispose();
    }
  });

  it('gives each run of a page the same params, latest metrics and tags as the full listing', async () => {
    const source = new MlflowSqliteSource(join(fixtures, 'mlflow.db'));
    try {
      const listed = new Map((await source.listRuns()).map((r) => [r.id, r]));
      const paged = (await everyPage(source, 'sweep', 7)).flat();
      assert.equal(paged.length, 26);
      for (const run of paged) assert.deepEqual(run, listed.get(run.id));
      const sweep19 = paged.find((r) => r.name === 'sweep-19');
      assert.deepEqual(sweep19?.metrics, { loss: 1 / 20, accuracy: 19 / 25 });
      assert.equal(sweep19?.status, 'finished');
      assert.equal(sweep19?.tags.group, 'sweep');
      assert.equal(sweep19?.startTime, new Date(1_790_000_000_000 + 19_000).toISOString());
    } finally {
      source.dispose();
    }
  });

  it('continues after the last run shown when MLflow logs and deletes runs between two pages', async () => {
    const path = await tempStore();
    const source = new MlflowSqliteSource(path);
    try {
      const first = await source.runsPage('sweep', 10);
      const firstNames = first.runs.map((r) => r.name);
      // MLflow commits into the same file: one run newer than every run, one older than the
      // cursor, and sweep-08 deleted.
      await fs.copyFile(join(fixtures, 'mlflow-after.db'), path);
      const rest: Run[] = [];
      for (let after = first.next; after;) {
        const page = await source.runsPage('sweep', 10, after);
        rest.push(...page.runs);
        after = page.next;
      }
      const restNames = rest.map((r) => r.name);
      // The first page ended on one of the sweep-15 twins; the second starts with the other.
      assert.deepEqual([firstNames.at(-1), restNames[0]].sort(), ['sweep-15', 'sweep-15-twin']);
      assert.deepEqual(restNames.slice(1, 6), ['sweep-14', 'sweep-13', 'sweep-12', 'added-older', 'sweep-11']);
      assert.ok(!restNames.includes('added-newest'), 'a run newer than the cursor waits for the next refresh');
      assert.ok(!restNames.includes('sweep-08'), 'a run deleted meanwhile is hidden');
      assert.deepEqual(
        restNames.filter((n) => firstNames.includes(n)),
        [],
        'no run of the first page comes again',
      );
      assert.equal(firstNames.length + restNames.length, 26, '26 runs, one added below the cursor and one deleted');
      assert.deepEqual(
        (await source.experiments()).map((e) => [e.name, e.runs]),
        [
          ['sweep', 27],
          ['other', 3],
        ],
      );
      assert.equal((await source.runsPage('sweep', 1)).runs[0]?.name, 'added-newest', 'a new first page starts with the new run');
    } finally {
      source.dispose();
    }
  });
});

describe('Run pages over a full listing', () => {
  const run = (id: string, experiment: string, startTime?: string): Run => ({
    id,
    source: 'git',
    experiment,
    name: id,
    status: 'finished',
    startTime,
    params: {},
    metrics: {},
    tags: {},
  });
  const runs = [
    run('git:a', 'main', '2026-01-01T00:00:00.000Z'),
    run('git:b', 'main', '2026-01-03T00:00:00.000Z'),
    run('git:c', 'main'),
    run('git:d', 'main', '2026-01-02T00:00:00.000Z'),
    run('git:e', 'main', '2026-01-02T00:00:00.000Z'),
    run('git:f', 'side', '2026-01-05T00:00:00.000Z'),
  ];

  it('orders newest first, equal start times by id and runs without one last', () => {
    assert.deepEqual(
      [...runs].sort(newestFirst).map((r) => r.id),
      ['git:f', 'git:b', 'git:e', 'git:d', 'git:a', 'git:c'],
    );
  });

  it('pages one experiment with a cursor and reads the source once', async () => {
    let listings = 0;
    const source: RunSource = {
      kind: 'git',
      label: 'Git history',
      listRuns: () => {
        listings++;
        return Promise.resolve(runs);
      },
      metricHistory: () => Promise.resolve([]),
    };
    const pager = pagerFor(source);
    assert.deepEqual(await pager.experiments(), [
      { name: 'side', id: undefined, runs: 1 },
      { name: 'main', id: undefined, runs: 5 },
    ]);
    const first = await pager.page('main', 2);
    assert.deepEqual(
      first.runs.map((r) => r.id),
      ['git:b', 'git:e'],
    );
    const second = await pager.page('main', 2, first.next);
    assert.deepEqual(
      second.runs.map((r) => r.id),
      ['git:d', 'git:a'],
    );
    const last = await pager.page('main', 2, second.next);
    assert.deepEqual(
      last.runs.map((r) => r.id),
      ['git:c'],
    );
    assert.equal(last.next, undefined);
    assert.equal((await pager.all()).length, 6);
    assert.equal(listings, 1);
    assert.deepEqual(pageOf(runs, 'side', 5), { runs: [runs[5]] });
  });
});
