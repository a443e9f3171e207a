import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseMetricLines } from '../../../src/core/runs/mlflowFileStore';
import { describeReport, fuzzInWorker } from '../../support/fuzzHarness';
import { fixtureSeeds, fuzzCount, mutatedInputs, yamlishArbitrary, type Seed } from '../../support/fuzzInputs';

// Every parser and validator the editor runs on a keystroke gets broken versions of the real files
// (truncated, bytes flipped, CRLF, BOM, non-UTF-8, deep nesting, huge scalars, alias bombs) and
// generated YAML-like text. Each input runs in a worker with a deadline, so a hang is caught too.

const DEADLINE_MS = 5_000;
const seeds = fixtureSeeds();

function seedsFor(pattern: RegExp): Seed[] {
  const matching = seeds.filter((s) => pattern.test(s.name));
  return matching.length > 0 ? matching : seeds;
}

function inputsFor(pattern: RegExp, count: number, seed: number): Array<{ text: string; how: string }> {
  const mutated = mutatedInputs(seedsFor(pattern), Math.round(count * 0.7), seed);
  const crossKind = mutatedInputs(seeds, Math.round(count * 0.1), seed + 1);
  const generated = fc
    .sample(yamlishArbitrary(), { numRuns: count - mutated.length - crossKind.length, seed })
    .map((text) => ({ text, how: 'generated YAML-like text' }));
  return [...mutated, ...crossKind, ...generated];
}

test('the fuzz harness reports a hang, a throw, an unhandled rejection and a bad result, and carries on', async () => {
  const inputs = ['ok', 'hang', 'ok', 'throw', 'reject', 'bad', 'ok'].map((text) => ({ text, how: text }));
  const report = await fuzzInWorker('harnessCheck', inputs, 500);
  assert.equal(report.tried, inputs.length);
  assert.deepEqual(
    report.failures.map((f) => f.how),
    ['hang', 'throw', 'reject', 'bad'],
  );
  assert.match(report.failures[0]?.problems[0] ?? '', /hang/);
  assert.match(report.failures[2]?.problems[0] ?? '', /unhandled rejection/);
});

const targets: Array<[target: string, seedsPattern: RegExp, count: number]> = [
  ['parseYaml', /\.ya?ml$/, 200],
  ['parseDvcPipeline', /dvc\.yaml$/, 150],
  ['parseMlproject', /MLproject$/, 150],
  ['parseDvcLock', /dvc\.lock/, 150],
  ['validateDvcYaml', /dvc\.yaml$/, 120],
  ['validateParams', /params\.yaml$/, 120],
  ['validateSchema', /schema\.yaml$/, 120],
  ['validateMlproject', /MLproject$/, 120],
];

for (const [target, pattern, base] of targets) {
  test(`fuzz ${target}: no crash, no hang, findings inside the document`, async () => {
    const inputs = inputsFor(pattern, fuzzCount(base), 7 + base);
    const report = await fuzzInWorker(target, inputs, DEADLINE_MS);
    console.log(describeReport(report));
    assert.equal(report.tried, inputs.length);
    assert.deepEqual(report.failures, []);
  });
}

test('fuzz parseMetricLines: mutated metric files never give a point without a finite step', async () => {
  const good = Array.from({ length: 50 }, (_, i) => `${1700000000000 + i} ${Math.sin(i)} ${i}\n`).join('');
  const inputs = mutatedInputs([{ name: 'metric file', text: good }], fuzzCount(300), 3);
  const report = await fuzzInWorker('parseMetricLines', inputs, DEADLINE_MS);
  console.log(describeReport(report));
  assert.deepEqual(report.failures, []);
});

test('property: a metric file cut anywhere yields only points that were written, in order', () => {
  const point = fc.record({
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
    step: fc.integer({ min: -5, max: 2 ** 40 }),
  });
  fc.assert(
    fc.property(fc.array(point, { maxLength: 30 }), fc.nat(), (points, cut) => {
      const text = points.map((p) => `${p.timestamp} ${p.value} ${p.step}\n`).join('');
      // Written as text, -0 reads back as 0.
      const written = points.map((p) => ({ timestamp: p.timestamp, value: p.value === 0 ? 0 : p.value, step: p.step }));
      assert.deepEqual(parseMetricLines(text), written);
      const partial = parseMetricLines(text.slice(0, cut % (text.length + 1)));
      assert.ok(partial.length <= written.length);
      partial.forEach((p, i) => assert.deepEqual(p, written[i]));
    }),
    { numRuns: fuzzCount(300), seed: 42 },
  );
});

test('fuzz the SQLite reader: corrupt copies of mlflow.db end in its own clear error, never a hang', async () => {
  const count = fuzzCount(150);
  const inputs = Array.from({ length: count }, (_, i) => ({ text: String(1000 + i), how: `corrupted store, seed ${1000 + i}` }));
  const report = await fuzzInWorker('mlflowSqlite', inputs, DEADLINE_MS);
  console.log(describeReport(report));
  assert.equal(report.tried, count);
  assert.deepEqual(report.failures, []);
});
