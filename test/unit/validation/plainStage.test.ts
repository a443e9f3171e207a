import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FileAccess } from '../../../src/core/fileAccess';
import { pipelineBudgets } from '../../../src/core/pipeline/dvcPipeline';
import { checkDvcLocal } from '../../../src/core/validation/dvcChecks';
import { layoutOf } from '../../../src/core/validation/dvcIncremental';
import { readPlainStage } from '../../../src/core/validation/plainStage';
import { parseYaml } from '../../../src/core/yaml/parseYaml';
import { seededRandom, yamlFixtureFiles } from '../../support/fuzzInputs';

// A stage block in the plain form is read without the YAML library (src/core/validation/plainStage.ts).
// Whatever it accepts must be exactly what the library, the schema and the pipeline parser make of
// the same lines: no finding of its own, the same stage with the same spans, the same budget.

const FILE = join('/work', 'project', 'dvc.yaml');
const PARAM_CODES = /^dvc-(unknown-param|params-)/;
/** No file exists here: the params check is not what is compared (the stage's own findings are). */
const NO_FILES: FileAccess = { readText: async () => undefined, exists: async () => false };

/** What the library path makes of a block: the stage's own findings, its stages and its budget. */
async function byLibrary(block: string): Promise<{ findings: string[]; stages: unknown[]; resolveSteps: number | undefined }> {
  const parsed = parseYaml(FILE, `stages:\n${block}`);
  const local = await checkDvcLocal(parsed, NO_FILES, true);
  const findings = [...parsed.findings, ...local.findings].filter((f) => !PARAM_CODES.test(f.code)).map((f) => `${f.code} ${f.message}`);
  const budgets = local.parse === undefined ? undefined : pipelineBudgets(local.parse);
  return { findings, stages: local.pipeline?.stages ?? [], resolveSteps: budgets?.resolveSteps };
}

/** Reads a block both ways; true when the plain reader took it (and then it must agree). */
async function agrees(block: string, label: string): Promise<boolean> {
  const read = readPlainStage(FILE, block, 1);
  if (read === undefined) return false;
  const library = await byLibrary(block);
  assert.deepEqual(library.findings, [], `${label}: the plain reader took a stage with findings:\n${block}`);
  assert.deepStrictEqual([read.stage], library.stages, `${label}: another stage than the library's:\n${block}`);
  assert.equal(read.resolveSteps, library.resolveSteps, `${label}: another budget:\n${block}`);
  assert.equal(read.name, read.stage.name);
  return true;
}

const PLAIN = `  train:
    cmd: python src/train.py --epochs 3
    deps:
      - data/features.csv
      - src/train.py
    params:
      - train.lr
      - train.epochs
    outs:
      - models/model.pkl
    metrics:
      - metrics/scores.json:
          cache: false
          persist: true
    plots:
      - plots/roc.csv:
          cache: false
    desc: Trains the model
    frozen: false
    always_changed: true
`;

const SHAPES = [
  '  prep:\n    cmd: python prep.py\n',
  '  # a comment above the stage\n\n  prep:\n    cmd: python prep.py\n\n',
  '  prep:\n    cmd:\n      - python a.py\n      - python b.py\n    deps:\n      - a.py\n',
  '  prep:   \n    cmd:   python prep.py --url=http://x   \n    outs:\n      -   out/a b.csv  \n',
  '    deep_indent:\n        cmd: make all\n        deps:\n            - Makefile\n',
  '  prep-2.x:\n    cmd: ./run.sh a:b \'quoted\' "too" [x] {y} 50%\n',
  '  with_blank_lines:\n    cmd: x\n\n    deps:\n\n      - a\n',
  '  unicode:\n    cmd: echo héllo → wörld\n',
];

test('plain stage: the usual shapes are read, and as the library reads them', async () => {
  for (const [index, block] of [PLAIN, ...SHAPES].entries())
    assert.ok(await agrees(block, `shape ${index}`), `shape ${index} was not read:\n${block}`);
  const read = readPlainStage(FILE, PLAIN, 10);
  assert.ok(read);
  assert.equal(read.stage.span?.range.start.line, 10);
  assert.deepEqual(
    read.stage.metrics.map((m) => [m.path, m.flags, m.span?.range]),
    [['metrics/scores.json', { cache: false, persist: true }, { start: { line: 21, character: 8 }, end: { line: 21, character: 27 } }]],
  );
});

test('plain stage: what it does not read exactly is left to the library', () => {
  const declined: [string, string][] = [
    ['interpolation', PLAIN.replace('--epochs 3', '--epochs ${train.epochs}')],
    ['wdir', PLAIN.replace('    desc:', '    wdir: src\n    desc:')],
    ['vars', PLAIN.replace('    desc:', '    vars:\n      - a.yaml\n    desc:')],
    ['a comment inside', PLAIN.replace('    deps:\n', '    # inputs\n    deps:\n')],
    ['a trailing comment', PLAIN.replace('--epochs 3', '--epochs 3  # three')],
    ['a quoted value', PLAIN.replace('python src/train.py --epochs 3', '"python src/train.py"')],
    [
      'a list flush with its key',
      PLAIN.replace('      - data/features.csv\n      - src/train.py', '    - data/features.csv\n    - src/train.py'),
    ],
    ['a dep listed twice', PLAIN.replace('      - src/train.py', '      - data/features.csv')],
    ['an empty list', PLAIN.replace('    deps:\n      - data/features.csv\n      - src/train.py\n', '    deps:\n')],
    ['no cmd', PLAIN.replace('    cmd: python src/train.py --epochs 3\n', '')],
    ['an unknown key', PLAIN.replace('    desc:', '    bogus: 1\n    desc:')],
    ['a number as a dep', PLAIN.replace('      - src/train.py', '      - 42')],
    ['a boolean as cmd', PLAIN.replace('python src/train.py --epochs 3', 'true')],
    ['a key twice', PLAIN.replace('    desc:', '    cmd: again\n    desc:')],
    ['a continued line', PLAIN.replace('--epochs 3\n', '--epochs 3\n      --more\n')],
    ['a flag that is not a boolean', PLAIN.replace('persist: true', 'persist: yes')],
    ['an unknown flag', PLAIN.replace('persist: true', 'colour: true')],
    ['flags on a dep', PLAIN.replace('      - src/train.py', '      - src/train.py:\n          cache: false')],
    ['a params file list', PLAIN.replace('      - train.epochs', '      - other.yaml:\n          - k')],
    ['a tab', PLAIN.replace('    desc:', '\tdesc:')],
    ['CR line ends', PLAIN.replace(/\n/g, '\r\n')],
    ['foreach', '  sweep:\n    foreach:\n      - a\n    do:\n      cmd: x\n'],
    ['a name that is a number', '  2024:\n    cmd: x\n'],
    ['a name with a value', '  prep: x\n'],
    ['uneven keys', '  prep:\n    cmd: x\n     deps:\n      - a\n'],
    ['a key without a colon', '  prep:\n    cmd: x\n    half\n'],
    ['a nested mapping in a value', PLAIN.replace('--epochs 3', 'a: b')],
    // What the fast reader leaves to the library: a file of plain stages must be one it reads.
    ['the merge key as a name', PLAIN.replace('  train:', '  <<:')],
    ['a name of 1,000 characters', PLAIN.replace('  train:', `  ${'n'.repeat(1000)}:`)],
    ['a flagged path of 1,000 characters', PLAIN.replace('metrics/scores.json:', `${'m'.repeat(1000)}:`)],
    ['a byte order mark', PLAIN.replace('models/model.pkl', 'models/model\uFEFF.pkl')],
  ];
  for (const [what, block] of declined) assert.equal(readPlainStage(FILE, block, 1), undefined, `${what} was read:\n${block}`);
});

test('plain stage: 3,000 edited blocks are read as the library reads them, or left to it', async () => {
  const rnd = seededRandom(5);
  // Plain stages, and the stage blocks of the fixtures (most of which are not plain).
  const plain = [PLAIN, ...SHAPES];
  const fixtures: string[] = [];
  for (const fixture of yamlFixtureFiles().filter((f) => f.endsWith('dvc.yaml'))) {
    for (const block of layoutOf(readFileSync(fixture, 'utf8'))?.blocks ?? []) fixtures.push(block.text);
  }
  assert.ok(fixtures.length > 10, `${fixtures.length} fixture stages`);
  const typed = [' ', ':', '-', '#', '"', "'", '[', '{', '|', '>', '&', '*', '!', '$', '{', '1', 'x', '.', '\t', '~', '@'];
  const lineEdits = [
    (lines: string[], at: number): void => void lines.splice(at, 1),
    (lines: string[], at: number): void => void lines.splice(at, 0, lines[at] ?? ''),
    (lines: string[], at: number): void => void (lines[at] = ` ${lines[at] ?? ''}`),
    (lines: string[], at: number): void => void (lines[at] = (lines[at] ?? '').replace(/^ {2}/, '')),
    (lines: string[], at: number): void => void (lines[at] = `${lines[at] ?? ''}  `),
    (lines: string[], at: number): void => void (lines[at] = (lines[at] ?? '').replace(/: .*/, ': true')),
    (lines: string[], at: number): void => void (lines[at] = (lines[at] ?? '').replace(/- .*/, '- 0.5')),
  ];
  let read = 0;
  let declined = 0;
  for (let round = 0; round < 3000; round++) {
    const starts = rnd(3) === 0 ? fixtures : plain;
    const lines = (starts[rnd(starts.length)] as string).split('\n');
    const at = rnd(Math.max(1, lines.length - 1));
    if (rnd(2) === 0) {
      const line = lines[at] ?? '';
      const column = rnd(line.length + 1);
      lines[at] = line.slice(0, column) + (typed[rnd(typed.length)] as string) + line.slice(column);
    } else (lineEdits[rnd(lineEdits.length)] as (lines: string[], at: number) => void)(lines, at);
    if (await agrees(lines.join('\n'), `round ${round}`)) read++;
    else declined++;
  }
  // Both sides of the line were walked: many edited stages are still plain, many are not.
  assert.ok(read > 600, `only ${read} edited blocks were read`);
  assert.ok(declined > 600, `only ${declined} edited blocks were declined`);
});
