import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildComparison, formatDelta, inferMetricDirection, runsFromCommandArguments, toCsv, toMarkdown } from '../../../src/core/compare';
import type { Run } from '../../../src/core/runs/model';
import { comparisonOptionsOf, defaultViewState, parseWebviewMessage, sanitizeViewState } from '../../../src/shared/compareProtocol';

function run(id: string, params: Run['params'], metrics: Run['metrics'], tags: Run['tags'] = {}): Run {
  return { id, source: 'mlflow', experiment: 'wine', name: `run ${id}`, status: 'finished', params, metrics, tags };
}

const runs = [
  run('a', { lr: 0.1, depth: 4, model: 'rf' }, { val_loss: 0.5, accuracy: 0.8, epochs_done: 10 }, { team: 'x' }),
  run('b', { lr: 0.01, depth: 4, model: 'rf' }, { val_loss: 0.4, accuracy: 0.9, epochs_done: 10 }, { team: 'x' }),
  run('c', { lr: 0.001, depth: 4 }, { val_loss: 0.45, accuracy: 0.85, epochs_done: 12 }, { team: 'x' }),
];

test('the direction of a metric is inferred from its name', () => {
  for (const name of ['loss', 'val_loss', 'test/rmse', 'MAE', 'train.error', 'valLoss'])
    assert.equal(inferMetricDirection(name), 'min', name);
  for (const name of ['accuracy', 'f1', 'f1_macro', 'roc_auc', 'r2', 'val/precision', 'recall', 'testAccuracy'])
    assert.equal(inferMetricDirection(name), 'max', name);
  for (const name of ['epochs_done', 'duration', 'lossless_ratio']) assert.equal(inferMetricDirection(name), undefined, name);
});

test('rows are params, then metrics, then tags, one value per run; a missing key is undefined', () => {
  const c = buildComparison(runs);
  assert.deepEqual(
    c.rows.map((r) => `${r.kind}:${r.key}`),
    ['param:depth', 'param:lr', 'param:model', 'metric:accuracy', 'metric:epochs_done', 'metric:val_loss', 'tag:team'],
  );
  assert.deepEqual(
    c.runs.map((r) => r.id),
    ['a', 'b', 'c'],
  );
  const model = c.rows.find((r) => r.key === 'model');
  assert.deepEqual(model?.values, ['rf', 'rf', undefined]);
  assert.equal(model?.changed, true, 'a run without the key differs');
  assert.equal(c.rows.find((r) => r.key === 'depth')?.changed, false);
});

test('only changed drops rows where every run agrees', () => {
  const c = buildComparison(runs, { onlyChanged: true });
  assert.deepEqual(
    c.rows.map((r) => r.key),
    ['lr', 'model', 'accuracy', 'epochs_done', 'val_loss'],
  );
  assert.equal(c.totalRows, 7);
});

test('the best value of each metric is marked by its direction, and a user direction overrides the name', () => {
  const c = buildComparison(runs);
  const best = (key: string, cc = c): number[] | undefined => cc.rows.find((r) => r.key === key)?.best;
  assert.deepEqual(best('val_loss'), [1]);
  assert.deepEqual(best('accuracy'), [1]);
  assert.deepEqual(best('epochs_done'), [], 'no direction, no best');
  const overridden = buildComparison(runs, { directions: { epochs_done: 'max', accuracy: 'min' } });
  assert.deepEqual(best('epochs_done', overridden), [2]);
  assert.deepEqual(best('accuracy', overridden), [0]);
  assert.equal(overridden.rows.find((r) => r.key === 'accuracy')?.directionSource, 'user');
});

test('ties mark every best run, and a metric equal everywhere marks none', () => {
  const c = buildComparison([run('a', {}, { loss: 1, acc: 1 }), run('b', {}, { loss: 1, acc: 0.5 }), run('c', {}, { loss: 2, acc: 1 })]);
  assert.deepEqual(c.rows.find((r) => r.key === 'loss')?.best, [0, 1]);
  assert.deepEqual(c.rows.find((r) => r.key === 'acc')?.best, [0, 2]);
  const same = buildComparison([run('a', {}, { loss: 1 }), run('b', {}, { loss: 1 })]);
  assert.deepEqual(same.rows[0]?.best, []);
});

test('a pinned baseline comes first and the others carry absolute and percent deltas', () => {
  const c = buildComparison(runs, { baselineRunId: 'b' });
  assert.deepEqual(
    c.runs.map((r) => r.id),
    ['b', 'a', 'c'],
  );
  assert.equal(c.baselineIndex, 0);
  const acc = c.rows.find((r) => r.key === 'accuracy');
  const delta = acc?.deltas?.[1];
  assert.ok(delta);
  assert.ok(Math.abs(delta.absolute - -0.1) < 1e-12);
  assert.ok(Math.abs((delta.percent ?? 0) - -11.111111) < 1e-4);
  assert.equal(formatDelta(delta), '−0.1 (−11.1%)');
  assert.equal(c.rows.find((r) => r.key === 'model')?.deltas, undefined, 'text has no delta');
  const zero = buildComparison([run('a', {}, { m: 0 }), run('b', {}, { m: 2 })], { baselineRunId: 'a' });
  assert.deepEqual(zero.rows[0]?.deltas?.[1], { absolute: 2, percent: null });
  assert.equal(buildComparison(runs, { baselineRunId: 'nope' }).baselineIndex, undefined);
});

test('runs sort by a key, either way, with runs lacking it last', () => {
  const byLoss = buildComparison(runs, { sort: { kind: 'metric', key: 'val_loss', descending: false } });
  assert.deepEqual(
    byLoss.runs.map((r) => r.id),
    ['b', 'c', 'a'],
  );
  const byLossDesc = buildComparison(runs, { sort: { kind: 'metric', key: 'val_loss', descending: true } });
  assert.deepEqual(
    byLossDesc.runs.map((r) => r.id),
    ['a', 'c', 'b'],
  );
  const byModel = buildComparison(runs, { sort: { kind: 'param', key: 'model', descending: true } });
  assert.equal(byModel.runs.at(-1)?.id, 'c');
  const baselineWins = buildComparison(runs, { sort: { kind: 'metric', key: 'val_loss', descending: false }, baselineRunId: 'a' });
  assert.deepEqual(
    baselineWins.runs.map((r) => r.id),
    ['a', 'b', 'c'],
  );
});

test('the filter keeps rows whose key (or kind:key) contains the text, ignoring case', () => {
  assert.deepEqual(
    buildComparison(runs, { filter: 'LOSS' }).rows.map((r) => r.key),
    ['val_loss'],
  );
  assert.deepEqual(
    buildComparison(runs, { filter: 'tag:' }).rows.map((r) => r.key),
    ['team'],
  );
  assert.deepEqual(
    buildComparison(runs, { kinds: ['param'] }).rows.map((r) => r.kind),
    ['param', 'param', 'param'],
  );
});

test('CSV quotes what needs quoting and keeps formulas from running in a spreadsheet', () => {
  const tricky = [
    run('a', { note: 'a,"b"\nc', cmd: '=HYPERLINK("x")' }, { loss: -1.5 }),
    { ...run('b', { note: 'plain', cmd: '@SUM(1)' }, { loss: 2 }), name: '+evil' },
  ];
  const csv = toCsv(buildComparison(tricky));
  assert.equal(
    csv,
    ["kind,key,run a,'+evil", 'param,cmd,"\'=HYPERLINK(""x"")",\'@SUM(1)', 'param,note,"a,""b""\nc",plain', 'metric,loss,-1.5,2', ''].join(
      '\r\n',
    ),
  );
});

test('Markdown escapes table syntax and HTML, bolds the best value and shows baseline deltas', () => {
  const md = toMarkdown(
    buildComparison(
      [{ ...run('a', { model: 'x|y' }, { loss: 0.5 }), name: '<img src=x onerror=alert(1)>' }, run('b', { model: 'z' }, { loss: 0.25 })],
      { baselineRunId: 'a' },
    ),
  );
  const lines = md.trim().split('\n');
  assert.equal(lines[0], '| Key | &lt;img src=x onerror=alert(1)&gt; (baseline) | run b |');
  assert.equal(lines[1], '| --- | ---: | ---: |');
  assert.equal(lines[2], '| param: model | x\\|y | z |');
  assert.equal(lines[3], '| metric: loss | 0.5 | **0.25** −0.25 (−50.0%) |');
  assert.ok(!md.includes('<img'));
});

test('view state from a webview is sanitised, and only-changed defaults on above two runs', () => {
  assert.equal(defaultViewState(2).onlyChanged, false);
  assert.equal(defaultViewState(3).onlyChanged, true);
  const vs = sanitizeViewState(
    { onlyChanged: false, directions: { a: 'max', b: 'sideways' }, sort: { kind: 'evil', key: 'x' }, smoothing: 7 },
    5,
  );
  assert.equal(vs.onlyChanged, false);
  assert.deepEqual(vs.directions, { a: 'max' });
  assert.equal(vs.sort, undefined);
  assert.equal(vs.smoothing, 0);
  assert.deepEqual(sanitizeViewState('garbage', 5), defaultViewState(5));
  const opts = comparisonOptionsOf({ ...defaultViewState(3), baselineRunId: 'b', filter: 'loss' });
  assert.deepEqual(buildComparison(runs, opts).runs[0]?.id, 'b');
});

test('messages from the webview of an unknown shape are refused', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.equal(parseWebviewMessage({ type: 'requestHistory', runIds: 'a', metric: 'x' }), undefined);
  assert.equal(parseWebviewMessage({ type: 'export', format: 'exe', action: 'save' }), undefined);
  assert.equal(parseWebviewMessage({ type: 'exportImage', name: 'a', dataUrl: 'javascript:alert(1)' }), undefined);
  assert.equal(parseWebviewMessage({ type: 'runCommand' }), undefined);
  assert.equal(parseWebviewMessage(null), undefined);
});

test('hidden runs leave the table with the keys only they had, and a new runs array is never served stale', () => {
  const c = buildComparison([...runs, run('d', { only_d: 1 }, {})], { hiddenRunIds: ['d', 'a'] });
  assert.deepEqual(
    c.runs.map((r) => r.id),
    ['b', 'c'],
  );
  assert.ok(!c.rows.some((r) => r.key === 'only_d'));
  assert.deepEqual(c.rows.find((r) => r.key === 'lr')?.values, [0.01, 0.001]);
  const first = [run('a', {}, { loss: 1 }), run('b', {}, { loss: 2 })];
  assert.deepEqual(buildComparison(first).rows[0]?.best, [0]);
  const updated = [first[0]!, run('b', {}, { loss: 0.5 })];
  assert.deepEqual(buildComparison(updated).rows[0]?.best, [1], 'the updated run is compared, not the cached one');
});

test('the compare command takes runs, arrays of runs, or tree items holding runs, the selection first', () => {
  const [a, b, c] = runs as [Run, Run, Run];
  assert.deepEqual(runsFromCommandArguments([a]), [a]);
  assert.deepEqual(runsFromCommandArguments([[a, b, a]]), [a, b]);
  assert.deepEqual(runsFromCommandArguments([{ run: a }, [{ run: b }, { run: c }]]), [b, c]);
  assert.deepEqual(runsFromCommandArguments([{ run: a }, []]), [a]);
  assert.deepEqual(runsFromCommandArguments([undefined, 'x', { id: 'nope' }]), []);
  assert.deepEqual(runsFromCommandArguments([]), []);
});

// ---- cached paths ---------------------------------------------------------------------------------

/** Runs with ties, missing keys, nulls, NaN, infinities and text, from a fixed seed. */
function awkwardRuns(count: number): Run[] {
  let seed = 11;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const params: Run['params'] = { lr: pick([0.1, 0.01, 0.001]), depth: 4, model: pick(['rf', 'gb', 'rf2', 'rf10', null]) };
    if (random() < 0.3) params.only_some = pick([1, 'x', true]);
    const metrics: Run['metrics'] = { val_loss: pick([0.5, 0.4, 0.4, NaN, Infinity, 0]), accuracy: pick([0.8, 0.9, 0.9]), steps: 10 };
    if (random() < 0.5) metrics.rmse = random();
    const tags: Run['tags'] = { team: pick(['a', 'b']) };
    return run(`r${i}`, params, metrics, tags);
  });
}

/** The comparison computed directly, without any cache: the reference the cached paths must equal. */
function referenceComparison(allRuns: readonly Run[], options: Parameters<typeof buildComparison>[1] = {}): unknown {
  const bag = (r: Run, kind: string): Record<string, unknown> => (kind === 'param' ? r.params : kind === 'metric' ? r.metrics : r.tags);
  const same = (a: unknown, b: unknown): boolean =>
    typeof a === 'number' && typeof b === 'number' ? a === b || (Number.isNaN(a) && Number.isNaN(b)) : a === b;
  const compare = (a: unknown, b: unknown): number => {
    if (typeof a === 'number' && typeof b === 'number') {
      if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
      if (Number.isNaN(b)) return -1;
      return a - b;
    }
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  };
  const hidden = new Set(options.hiddenRunIds ?? []);
  let order = allRuns.map((_, i) => i).filter((i) => !hidden.has(allRuns[i]!.id));
  if (options.sort) {
    const { kind, key, descending } = options.sort;
    const value = (i: number): unknown => bag(allRuns[i]!, kind)[key];
    const missing = (i: number): boolean => value(i) === undefined || value(i) === null;
    order.sort((a, b) =>
      missing(a) || missing(b)
        ? missing(a) === missing(b)
          ? a - b
          : missing(a)
            ? 1
            : -1
        : (descending ? -compare(value(a), value(b)) : compare(value(a), value(b))) || a - b,
    );
  }
  let baselineIndex: number | undefined;
  const at = order.findIndex((i) => allRuns[i]!.id === options.baselineRunId);
  if (options.baselineRunId !== undefined && at >= 0) {
    order = [order[at]!, ...order.filter((_, j) => j !== at)];
    baselineIndex = 0;
  }
  const rows: unknown[] = [];
  let totalRows = 0;
  const filter = options.filter?.trim().toLowerCase() ?? '';
  for (const kind of ['param', 'metric', 'tag'] as const) {
    if (options.kinds && !options.kinds.includes(kind)) continue;
    const keys = [...new Set(allRuns.flatMap((r) => Object.keys(bag(r, kind))))].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true }),
    );
    for (const key of keys) {
      const values = order.map((i) => bag(allRuns[i]!, kind)[key]);
      if (hidden.size > 0 && values.every((v) => v === undefined)) continue;
      totalRows++;
      if (filter && !key.toLowerCase().includes(filter) && !`${kind}:${key}`.toLowerCase().includes(filter)) continue;
      const changed = values.some((v) => !same(v, values[0]));
      if (options.onlyChanged && !changed) continue;
      const row: Record<string, unknown> = { kind, key, values, changed, best: [] };
      const direction = kind === 'metric' ? (options.directions?.[key] ?? inferMetricDirection(key)) : undefined;
      if (direction) {
        row.direction = direction;
        row.directionSource = options.directions?.[key] ? 'user' : 'name';
        const finite = values.flatMap((v, i) => (typeof v === 'number' && Number.isFinite(v) ? [i] : []));
        const bestValue = finite.length === 0 ? undefined : Math[direction](...finite.map((i) => values[i] as number));
        const best = finite.filter((i) => values[i] === bestValue);
        row.best = best.length === finite.length && best.length > 1 ? [] : best;
      }
      const base = baselineIndex === undefined ? undefined : values[baselineIndex];
      if (typeof base === 'number' && kind !== 'tag')
        row.deltas = values.map((v) =>
          typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(base)
            ? undefined
            : { absolute: v - base, percent: base === 0 ? null : ((v - base) / Math.abs(base)) * 100 },
        );
      rows.push(row);
    }
  }
  return {
    runs: order.map((i) => ({ id: allRuns[i]!.id, name: allRuns[i]!.name, source: allRuns[i]!.source, status: allRuns[i]!.status })),
    ...(baselineIndex === undefined ? {} : { baselineIndex }),
    rows,
    totalRows,
  };
}

/** Every property read, as postMessage and JSON do: lazily computed deltas included. */
const plain = (value: unknown): unknown => structuredClone(value);

test('toggles served from the per-runs cache equal a comparison computed from scratch, in any order of toggles', () => {
  const many = awkwardRuns(60);
  const toggles: Parameters<typeof buildComparison>[1][] = [
    {},
    { onlyChanged: true },
    { baselineRunId: 'r7' },
    { sort: { kind: 'metric', key: 'val_loss', descending: false } },
    { sort: { kind: 'metric', key: 'val_loss', descending: true }, baselineRunId: 'r3' },
    { sort: { kind: 'param', key: 'model', descending: false }, onlyChanged: true },
    { sort: { kind: 'param', key: 'only_some', descending: true } },
    { sort: { kind: 'metric', key: 'no_such_key', descending: false } },
    { directions: { steps: 'max', accuracy: 'min' }, baselineRunId: 'r0' },
    { filter: 'LOSS', onlyChanged: true, sort: { kind: 'metric', key: 'rmse', descending: false } },
    { hiddenRunIds: ['r1', 'r2', 'r5'], baselineRunId: 'r2', sort: { kind: 'metric', key: 'accuracy', descending: true } },
    { hiddenRunIds: many.filter((r) => r.params.only_some === undefined).map((r) => r.id), onlyChanged: true },
    { kinds: ['metric'], baselineRunId: 'r9', onlyChanged: true },
  ];
  // Twice over the same array (the second pass is served from the cache), and against a fresh array each time.
  for (const pass of [1, 2])
    for (const options of toggles) {
      const expected = referenceComparison(many, options);
      assert.deepStrictEqual(plain(buildComparison(many, options)), expected, `pass ${pass}, ${JSON.stringify(options)}`);
      assert.deepStrictEqual(plain(buildComparison(many.slice(), options)), expected, `fresh array, ${JSON.stringify(options)}`);
    }
});

test('deltas are computed when first read and then kept, and reach JSON and structured copies', () => {
  const c = buildComparison(runs, { baselineRunId: 'b' });
  const loss = c.rows.find((r) => r.key === 'val_loss');
  assert.ok(loss);
  const first = loss.deltas;
  assert.equal(loss.deltas, first, 'the same array on every read');
  assert.deepEqual(first?.[1], { absolute: 0.5 - 0.4, percent: ((0.5 - 0.4) / 0.4) * 100 });
  const viaJson = JSON.parse(JSON.stringify(c)) as typeof c;
  assert.equal(viaJson.rows.find((r) => r.key === 'accuracy')?.deltas?.length, 3);
  assert.equal(structuredClone(c).rows.find((r) => r.key === 'lr')?.deltas?.[2]?.absolute, 0.001 - 0.01);
  assert.ok(!('deltas' in (c.rows.find((r) => r.key === 'model') ?? {})), 'text rows carry no deltas at all');
  loss.deltas = undefined;
  assert.equal(loss.deltas, undefined, 'a row can still be given other deltas');
});

test('a sort by text keys orders numerically within text (rf2 before rf10), with null and missing last', () => {
  const c = buildComparison(awkwardRuns(40), { sort: { kind: 'param', key: 'model', descending: false } });
  const models = c.rows.find((r) => r.key === 'model')?.values ?? [];
  const firstNull = models.indexOf(null);
  assert.ok(firstNull > 0);
  assert.deepEqual([...new Set(models.slice(0, firstNull))], ['gb', 'rf', 'rf2', 'rf10']);
  assert.ok(models.slice(firstNull).every((m) => m === null));
});
