import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareFindings, type Finding } from '../../../src/core/diagnostic';
import { overlayFileAccess, type FileAccess } from '../../../src/core/fileAccess';
import { checkDvc } from '../../../src/core/validation/dvcChecks';
import {
  clearIncrementalDvc,
  dvcSnapshot,
  lastDvcValidation,
  layoutOf,
  restoreDvcSnapshot,
} from '../../../src/core/validation/dvcIncremental';
import { dedupeFindings } from '../../../src/core/validation/findings';
import { validateFile } from '../../../src/core/validation/validateFile';
import { parseBlockYaml } from '../../../src/core/yaml/fastBlockYaml';
import { parseYamlCached } from '../../../src/core/yaml/parseYaml';
import { yamlFixtureFiles } from '../../support/fuzzInputs';

// After an edit of a dvc.yaml only the stages whose lines changed are checked again
// (src/core/validation/dvcIncremental.ts). Whatever the edit, the findings must be exactly those of
// validating the whole text: every step below compares the two.

/** What validating the whole text gives (the checks as one document, no earlier results). */
async function whole(path: string, files: FileAccess): Promise<Finding[]> {
  const text = (await files.readText(path)) ?? '';
  const parsed = parseYamlCached(path, text);
  return dedupeFindings([...parsed.findings, ...(await checkDvc(parsed, files))]).sort(compareFindings);
}

/** A small seeded generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const HEADER = `vars:
  - config.yaml
  - shared:
      out_dir: data/out
`;

// An unknown top-level key after the stages: its finding moves when a stage grows or shrinks.
const TRAILER = `
plots:
  - metrics/plot.json
bogus_top: 1
`;

function stage(i: number): string {
  const lines = [
    `  stage_${i}:`,
    `    cmd: python src/stage.py --index ${i} --lr \${train.lr}`,
    '    deps:',
    '      - src/stage.py',
    `      - ${i === 0 ? 'data/raw.csv' : `\${shared.out_dir}/out_${i - 1}.csv`}`,
    '    params:',
    '      - train.lr',
    `      - group.k${i % 4}`,
    '    outs:',
    `      - \${shared.out_dir}/out_${i}.csv`,
  ];
  if (i % 5 === 3) lines.push('    metrics:', `      - metrics/m_${i}.json:`, '          cache: false');
  if (i % 7 === 2) lines.splice(1, 0, '    # the stage that splits');
  return `${lines.join('\n')}\n`;
}

const FOREACH = `  sweep:
    foreach:
      - 1
      - 2
    do:
      cmd: python src/stage.py --k \${item}
      deps:
        - src/stage.py
      outs:
        - sweep/\${item}.csv
`;

function project(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-incremental-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'src', 'stage.py'), '');
  writeFileSync(join(dir, 'data', 'raw.csv'), 'a\n');
  writeFileSync(join(dir, 'params.yaml'), 'train:\n  lr: 0.1\ngroup:\n  k0: 1\n  k1: 2\n  k2: 3\n');
  writeFileSync(join(dir, 'config.yaml'), 'seed: 4\n');
  const stages = Array.from({ length: 12 }, (_, i) => stage(i));
  stages.splice(6, 0, FOREACH);
  const path = join(dir, 'dvc.yaml');
  writeFileSync(path, `${HEADER}stages:\n${stages.join('')}${TRAILER}`);
  return { dir, path };
}

type Edit = (lines: string[], at: number, r: () => number) => void;

/** Edits a user makes on a random stage line; most stay inside one stage. */
const KEPT: Edit[] = [
  (lines, at) => lines.splice(at + 1, 0, '    bogus_key: 1'),
  (lines, at) => lines.splice(at, 1),
  (lines, at) => (lines[at] = `${lines[at] ?? ''}x`),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace('train.lr', 'train.lrr')),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace('cmd:', 'cmdd:')),
  (lines, at, r) =>
    lines.splice(
      at,
      0,
      ...stage(100 + Math.floor(r() * 50))
        .trimEnd()
        .split('\n'),
    ),
  (lines, at) => lines.splice(at, 0, '  # a comment between stages'),
  (lines, at) => lines.splice(at, 0, ''),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace(/out_(\d+)/, 'out_1')),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace('${', '${nothing.')),
  // Typing: a line cut short somewhere (a key without its colon yet, half a word), a colon gone.
  (lines, at, r) => (lines[at] = (lines[at] ?? '').slice(0, Math.floor(r() * (lines[at] ?? '').length))),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace(':', '')),
  (lines, at, r) => lines.splice(at + 1, 0, `${' '.repeat(2 + 2 * Math.floor(r() * 3))}new_key`),
  (lines, at) => lines.splice(at + 1, 0, '  new_stage'),
  // A character typed anywhere, quotes and brackets among them.
  (lines, at, r) => {
    const line = lines[at] ?? '';
    const column = Math.floor(r() * (line.length + 1));
    const characters = ' :-#"\'[]{}|>&*!?%@`,x1.$';
    const typed = characters[Math.floor(r() * characters.length)] ?? 'x';
    lines[at] = line.slice(0, column) + typed + line.slice(column);
  },
];

/** Edits that break the layout or the YAML, or touch the top-level keys: undone at the next step. */
const UNDONE: Edit[] = [
  (lines, at) => lines.splice(at, 0, '  stage_1:', '    cmd: echo twice'),
  (lines, at) => (lines[at] = (lines[at] ?? '').replace('    ', '\t')),
  (lines, at) => (lines[at] = `${lines[at] ?? ''} {`),
  (lines, at) => lines.splice(at, 0, '      - [flow, list]'),
  (lines) => lines.splice(1, 0, '  - other.yaml'),
  (lines) => lines.push('artifacts:', '  model:', '    path: model.pkl'),
  (lines, at) => lines.splice(at, 0, 'metrics:', '  - m.json'),
  (lines, at) => (lines[at] = ` ${lines[at] ?? ''}`),
];

test('incremental dvc.yaml validation: every edit gives the findings of a whole validation', async () => {
  const { dir, path } = project();
  const open = new Map<string, string>();
  const files = overlayFileAccess((p) => open.get(p));
  let kept = readFileSync(path, 'utf8');
  const r = random(7);
  let byStages = 0;
  let bySyntax = 0;
  const steps = 600;
  for (let step = 0; step < steps; step++) {
    let text = kept;
    if (step % 25 === 24) {
      // The params file is edited too (unsaved), which the stage checks read.
      const params = open.get(join(dir, 'params.yaml')) ?? readFileSync(join(dir, 'params.yaml'), 'utf8');
      open.set(join(dir, 'params.yaml'), params.includes('k3') ? params.replace('  k3: 4\n', '') : `${params}  k3: 4\n`);
    } else {
      const lines = text.split('\n');
      const first = lines.indexOf('stages:') + 1;
      const last = lines.indexOf('plots:');
      const at = first + Math.floor(r() * Math.max(1, last - first));
      const undone = r() < 0.25;
      const edits = undone ? UNDONE : KEPT;
      (edits[Math.floor(r() * edits.length)] as Edit)(lines, at, r);
      text = lines.join('\n');
      // An edit that leaves YAML the fast reader does not read is undone at the next step too, so
      // the walk stays among files a user would keep typing in.
      if (!undone && parseBlockYaml(text) !== undefined) kept = text;
    }
    open.set(path, text);
    const got = await validateFile(path, files);
    if (lastDvcValidation(path) === 'stages') byStages++;
    if (lastDvcValidation(path) === 'syntax') bySyntax++;
    const expected = await whole(path, files);
    assert.deepEqual(got, expected, `step ${step}: the findings differ from a whole validation of:\n${text}`);
  }
  // Most edits stay inside one stage: the stage-by-stage path must have been taken, not skipped.
  assert.ok(byStages > steps / 3, `only ${byStages} of ${steps} validations were made stage by stage`);
  // And half-typed stages were answered from their own lines, not by parsing the whole file.
  assert.ok(bySyntax > 20, `only ${bySyntax} of ${steps} validations found a half-typed stage's errors on its own`);
});

test('incremental dvc.yaml validation: the fixtures, edited line by line, match whole validations', async () => {
  for (const fixture of yamlFixtureFiles().filter((f) => f.endsWith('dvc.yaml'))) {
    clearIncrementalDvc();
    const original = readFileSync(fixture, 'utf8');
    const open = new Map<string, string>();
    const files = overlayFileAccess((p) => open.get(p));
    const lines = original.split('\n');
    for (let at = 0; at < lines.length; at++) {
      for (const edited of [
        [...lines.slice(0, at), `${lines[at] ?? ''}z`, ...lines.slice(at + 1)],
        [...lines.slice(0, at), ...lines.slice(at + 1)],
      ]) {
        open.set(fixture, original);
        await validateFile(fixture, files);
        open.set(fixture, edited.join('\n'));
        const got = await validateFile(fixture, files);
        assert.deepEqual(got, await whole(fixture, files), `${fixture}, line ${at + 1} edited`);
      }
    }
  }
});

test('incremental dvc.yaml validation: an edit inside one stage checks that stage alone and moves the others', async () => {
  clearIncrementalDvc();
  const { path } = project();
  const open = new Map<string, string>();
  const files = overlayFileAccess((p) => open.get(p));
  const text = readFileSync(path, 'utf8');
  open.set(path, text);
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'whole', 'the first validation reads the whole file');
  // Two lines added to stage_2: every finding after them moves down two lines.
  const edited = text.replace('  stage_2:\n', '  stage_2:\n    bogus_key: 1\n    other_bogus: 2\n');
  open.set(path, edited);
  const got = await validateFile(path, files);
  assert.equal(lastDvcValidation(path), 'stages');
  assert.deepEqual(got, await whole(path, files));
  assert.deepEqual(
    got
      .filter((f) => f.code === 'dvc-unknown-key' && f.message.includes('in stage'))
      .map((f) => `${f.range.start.line + 1} ${f.message.slice(0, 48)}`),
    ['27 DVC does not know the key "bogus_key" in stage "', '28 DVC does not know the key "other_bogus" in stage'],
  );
  // The header changed: validated whole again.
  open.set(path, edited.replace('  - config.yaml\n', ''));
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'whole');
});

test('incremental dvc.yaml validation: the layout splits stages with the comments above them', () => {
  const layout = layoutOf('vars:\n  - a.yaml\nstages:\n  # first\n  a:\n    cmd: x\n\n  b:\n    cmd: y\n# end\nplots:\n  - p.json\n');
  assert.ok(layout);
  assert.equal(layout.header, 'vars:\n  - a.yaml\nstages:\n');
  assert.deepEqual(
    layout.blocks.map((b) => [b.text, b.startLine, b.lineCount]),
    [
      ['  # first\n  a:\n    cmd: x\n', 3, 3],
      ['\n  b:\n    cmd: y\n', 6, 3],
    ],
  );
  assert.equal(layout.trailer, '# end\nplots:\n  - p.json\n');
  assert.equal(layoutOf('stages: {}\n'), undefined, 'a flow mapping is not cut');
  assert.equal(layoutOf('stages:\n    a:\n      cmd: x\n  b:\n    cmd: y\n'), undefined, 'uneven stage names are not cut');
  assert.equal(layoutOf('stages:\n  a:\n    cmd: x\nstages:\n  b:\n    cmd: y\n'), undefined, 'two stages keys are not cut');
});

test('incremental dvc.yaml validation: a snapshot from an earlier process validates by stage, and only while the texts hash the same', async () => {
  clearIncrementalDvc();
  const { dir, path } = project();
  const open = new Map<string, string>();
  const files = overlayFileAccess((p) => open.get(p));
  const text = readFileSync(path, 'utf8');
  open.set(path, text);
  await validateFile(path, files);
  const saved = text.replace('  stage_2:\n', '  stage_2:\n    bogus_key: 1\n');
  open.set(path, saved);
  await validateFile(path, files);
  // As another process reads it: through JSON.
  const stored = JSON.parse(JSON.stringify(dvcSnapshot(path))) as unknown;
  assert.ok(stored, 'a state made by stage gives a snapshot');
  assert.ok(!JSON.stringify(stored).includes('src/stage.py --index'), 'the snapshot holds hashes, not the stage texts or commands');

  const restart = (): void => {
    clearIncrementalDvc();
    assert.equal(restoreDvcSnapshot(stored), true);
  };
  // The same text: every stage comes from the snapshot.
  restart();
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'stages');
  // A stage changed since: that stage alone is checked, and the next edits go on by stage.
  restart();
  open.set(path, (open.get(path) ?? '').replace('--index 7', '--index 77'));
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'stages');
  open.set(path, (open.get(path) ?? '').replace('  stage_9:\n', '  stage_9:\n    other_bogus: 1\n'));
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'stages');
  // A half-typed key right after a restart.
  restart();
  open.set(path, saved.replace('  stage_4:\n', '  stage_4:\n    half\n'));
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'syntax');
  // params.yaml changed while no process ran: validated whole.
  restart();
  open.set(join(dir, 'params.yaml'), 'train:\n  lr: 0.1\n');
  assert.deepEqual(await validateFile(path, files), await whole(path, files));
  assert.equal(lastDvcValidation(path), 'whole');
  // What is not a snapshot of this shape is not taken, nor one for a file validated here already.
  clearIncrementalDvc();
  assert.equal(restoreDvcSnapshot({ ...(stored as object), format: 0 }), false);
  assert.equal(restoreDvcSnapshot({ format: 1, path }), false);
  assert.equal(restoreDvcSnapshot('{}'), false);
  await validateFile(path, files);
  assert.equal(restoreDvcSnapshot(stored), false);
});

/** A stage in the plain form, which a first validation reads without the YAML library. */
function plainStage(i: number): string {
  const lines = [
    `  plain_${i}:`,
    `    cmd: python src/stage.py --plain ${i}`,
    '    deps:',
    '      - src/stage.py',
    `      - ${i === 0 ? 'data/raw.csv' : `data/p_${i - 1}.csv`}`,
    '    params:',
    '      - train.lr',
    // group.k3 and k4 are not in params.yaml: unknown params on some stages.
    `      - group.k${i % 5}`,
    '    outs:',
    `      - data/p_${i}.csv`,
  ];
  if (i % 4 === 1) lines.push('    metrics:', `      - metrics/p_${i}.json:`, '          cache: false');
  // A dep nothing produces, an out another stage has, and two stages depending on each other.
  if (i % 9 === 4) lines.splice(5, 0, '      - data/missing.csv');
  if (i % 11 === 7) lines.push(`      - data/p_${i - 1}.csv`);
  if (i % 13 === 5) lines.splice(5, 0, `      - data/p_${i + 1}.csv`);
  if (i % 6 === 2) lines.splice(0, 0, '', '  # a plain stage');
  return `${lines.join('\n')}\n`;
}

/** 40 plain stages among stages with `${}`, foreach, an unknown key, with or without the top-level keys. */
function plainProject(topLevel: boolean): { dir: string; path: string } {
  const { dir, path } = project();
  const stages = Array.from({ length: 40 }, (_, i) => plainStage(i));
  stages.splice(10, 0, stage(1), FOREACH);
  stages.splice(25, 0, stage(2).replace('    deps:', '    bogus_key: 1\n    deps:'));
  stages.push(stage(3));
  writeFileSync(path, `${topLevel ? HEADER : ''}stages:\n${stages.join('')}${topLevel ? TRAILER : ''}`);
  return { dir, path };
}

test('incremental dvc.yaml validation: a first validation reads plain stages on their own, with the findings of a whole one', async () => {
  for (const topLevel of [true, false]) {
    clearIncrementalDvc();
    const { path } = plainProject(topLevel);
    const open = new Map<string, string>();
    const files = overlayFileAccess((p) => open.get(p));
    const text = readFileSync(path, 'utf8');
    open.set(path, text);
    const got = await validateFile(path, files);
    assert.equal(lastDvcValidation(path), 'stages', 'the first validation is made by stage');
    assert.deepEqual(got, await whole(path, files));
    // What the checks find is there: every kind of finding the stages were written to have.
    const codes = new Set(got.map((f) => f.code));
    for (const code of ['dvc-unknown-param', 'dvc-dep-missing', 'dvc-duplicate-out', 'dvc-cycle', 'dvc-unknown-key']) {
      assert.ok(codes.has(code), `no ${code} among ${[...codes].join(', ')}`);
    }
    // Edits go on by stage from there.
    open.set(path, text.replace('--plain 20', '--plain 20 --again').replace('  plain_30:\n', '  plain_30:\n    other_bogus: 2\n'));
    assert.deepEqual(await validateFile(path, files), await whole(path, files));
    assert.equal(lastDvcValidation(path), 'stages');
  }
  // A plain stage with the name of another stage: the YAML library reports it, in a whole validation.
  clearIncrementalDvc();
  const { path } = plainProject(true);
  const open = new Map<string, string>();
  const files = overlayFileAccess((p) => open.get(p));
  open.set(path, readFileSync(path, 'utf8').replace('  plain_33:', '  stage_1:'));
  const got = await validateFile(path, files);
  assert.equal(lastDvcValidation(path), 'whole');
  assert.deepEqual(got, await whole(path, files));
  assert.ok(got.some((f) => f.code === 'yaml-duplicate-key'));
});

test('incremental dvc.yaml validation: 300 edited texts, each validated first, give the findings of whole validations', async () => {
  const r = random(13);
  let byStages = 0;
  const steps = 300;
  for (let step = 0; step < steps; step++) {
    const { path } = plainProject(step % 3 !== 0);
    const open = new Map<string, string>();
    const files = overlayFileAccess((p) => open.get(p));
    const lines = readFileSync(path, 'utf8').split('\n');
    for (let edit = 0; edit < 1 + Math.floor(r() * 3); edit++) {
      const first = lines.indexOf('stages:') + 1;
      const at = first + Math.floor(r() * (lines.length - first));
      const edits = r() < 0.2 ? UNDONE : KEPT;
      (edits[Math.floor(r() * edits.length)] as Edit)(lines, at, r);
    }
    const text = lines.join('\n');
    open.set(path, text);
    clearIncrementalDvc();
    const got = await validateFile(path, files);
    if (lastDvcValidation(path) === 'stages') byStages++;
    assert.deepEqual(got, await whole(path, files), `step ${step}: the findings differ from a whole validation of:\n${text}`);
  }
  assert.ok(byStages > steps / 3, `only ${byStages} of ${steps} first validations were made by stage`);
});
