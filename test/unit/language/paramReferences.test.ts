import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineIndex } from '../../../src/core/diagnostic';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { collectUses, paramReferences, paramSymbolAt, renameParam, type ParamSymbol } from '../../../src/core/language/paramReferences';
import type { TextEditOf } from '../../../src/core/language/types';
import { positionOf } from './languageFixture';

const PARAMS = '# training settings\ntrain:\n  lr: 0.1 # learning rate\n  epochs: 3\nother_key: 1\n';
const OTHER = 'eval:\n  "metric": f1\n';
const DVC = [
  'stages:',
  '  fit:',
  '    cmd: python fit.py --lr ${train.lr} --epochs ${ train.epochs }',
  '    params:',
  '      - train.lr # the one we tune',
  '      - other.yaml:',
  '          - eval.metric',
  '    outs:',
  '      - model-${train.lr}.pkl',
  '  report:',
  '    cmd: echo ${train}',
  '    params:',
  '      - train',
  '',
].join('\n');
const SUB = 'stages:\n  sub:\n    wdir: ..\n    cmd: python x.py ${train.lr}\n    params:\n      - train.lr\n';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-rename-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'params.yaml'), PARAMS);
  writeFileSync(join(dir, 'other.yaml'), OTHER);
  writeFileSync(join(dir, 'dvc.yaml'), DVC);
  writeFileSync(join(dir, 'sub', 'dvc.yaml'), SUB);
  return dir;
}

function apply(text: string, edits: TextEditOf[]): string {
  const lines = new LineIndex(text);
  const sorted = [...edits].sort((a, b) => lines.offset(b.range.start) - lines.offset(a.range.start));
  let out = text;
  for (const edit of sorted) out = out.slice(0, lines.offset(edit.range.start)) + edit.newText + out.slice(lines.offset(edit.range.end));
  return out;
}

async function symbolAt(dir: string, file: string, needle: string, at?: number): Promise<ParamSymbol> {
  const uses = await collectUses([join(dir, 'dvc.yaml'), join(dir, 'sub', 'dvc.yaml')], diskFileAccess);
  const text = readFileSync(join(dir, file), 'utf8');
  const symbol = await paramSymbolAt(join(dir, file), text, positionOf(text, needle, at), uses);
  assert.ok(!('error' in symbol), JSON.stringify(symbol));
  return symbol;
}

async function renameAll(dir: string, symbol: ParamSymbol, name: string): Promise<Record<string, string>> {
  const uses = await collectUses([join(dir, 'dvc.yaml'), join(dir, 'sub', 'dvc.yaml')], diskFileAccess);
  const result = await renameParam(symbol, name, uses, diskFileAccess);
  assert.ok('edits' in result, JSON.stringify(result));
  const out: Record<string, string> = {};
  for (const [file, edits] of Object.entries(result.edits)) out[file.slice(dir.length + 1)] = apply(readFileSync(file, 'utf8'), edits);
  return out;
}

test('references of a nested key from params.yaml list the key, the params entries and the ${} uses that read that file', async () => {
  const dir = project();
  const symbol = await symbolAt(dir, 'params.yaml', '  lr', 3);
  assert.deepEqual(symbol.path, ['train', 'lr']);
  assert.deepEqual(symbol.range, { start: { line: 2, character: 2 }, end: { line: 2, character: 4 } });
  const uses = await collectUses([join(dir, 'dvc.yaml'), join(dir, 'sub', 'dvc.yaml')], diskFileAccess);
  const found = (await paramReferences(symbol, uses, diskFileAccess)).map(
    (l) => `${l.file.slice(dir.length + 1)}:${l.range.start.line}:${l.range.start.character}-${l.range.end.character}`,
  );
  // sub/dvc.yaml's params entry reads ../params.yaml (wdir: ..), but its ${train.lr} reads
  // sub/params.yaml, which does not exist: only the entry is a reference.
  assert.deepEqual(found, ['params.yaml:2:2-4', 'dvc.yaml:2:36-38', 'dvc.yaml:4:14-16', 'dvc.yaml:8:22-24', 'sub/dvc.yaml:5:14-16']);
});

test('renaming train.lr from a ${} use edits the last segment everywhere and keeps comments and formatting', async () => {
  const dir = project();
  const symbol = await symbolAt(dir, 'dvc.yaml', '${train.lr}', 9);
  assert.deepEqual(symbol.path, ['train', 'lr']);
  const renamed = await renameAll(dir, symbol, 'rate');
  assert.deepEqual(Object.keys(renamed).sort(), ['dvc.yaml', 'params.yaml', 'sub/dvc.yaml']);
  assert.equal(renamed['params.yaml'], PARAMS.replace('  lr: 0.1', '  rate: 0.1'));
  assert.equal(renamed['dvc.yaml'], DVC.replaceAll('train.lr', 'train.rate'));
  assert.equal(renamed['sub/dvc.yaml'], SUB.replace('- train.lr', '- train.rate'));
});

test('renaming the group `train` from inside ${ train.epochs } renames the first segment of every use, `- train` too', async () => {
  const dir = project();
  const symbol = await symbolAt(dir, 'dvc.yaml', '${ train.epochs', 4);
  assert.deepEqual(symbol.path, ['train']);
  const renamed = await renameAll(dir, symbol, 'training');
  assert.equal(renamed['params.yaml'], PARAMS.replace('\ntrain:', '\ntraining:'));
  assert.equal(
    renamed['dvc.yaml'],
    DVC.replaceAll('${train', '${training')
      .replace('${ train.', '${ training.')
      .replace('- train', '- training')
      .replace('- train\n', '- training\n'),
  );
  assert.equal(renamed['sub/dvc.yaml'], SUB.replace('- train.lr', '- training.lr'));
});

test('a key of another params file a stage names ({other.yaml: [keys]}) is renamed inside its quotes, from that file', async () => {
  const dir = project();
  const symbol = await symbolAt(dir, 'other.yaml', 'metric', 2);
  assert.deepEqual(symbol.path, ['eval', 'metric']);
  const renamed = await renameAll(dir, symbol, 'score');
  assert.equal(renamed['other.yaml'], 'eval:\n  "score": f1\n');
  assert.equal(renamed['dvc.yaml'], DVC.replace('eval.metric', 'eval.score'));
  assert.deepEqual(Object.keys(renamed).sort(), ['dvc.yaml', 'other.yaml']);
});

test('rename refuses with a sentence: not a param, a dotted or taken new name', async () => {
  const dir = project();
  const uses = await collectUses([join(dir, 'dvc.yaml')], diskFileAccess);
  const cmd = await paramSymbolAt(join(dir, 'dvc.yaml'), DVC, positionOf(DVC, 'cmd', 1), uses);
  assert.ok('error' in cmd);
  assert.match(cmd.error, /^Rename and references work on params keys: /);
  const value = await paramSymbolAt(join(dir, 'params.yaml'), PARAMS, positionOf(PARAMS, '0.1', 1), uses);
  assert.ok('error' in value, 'a value is not a key');
  const symbol = await symbolAt(dir, 'params.yaml', '  lr', 3);
  assert.deepEqual(await renameParam(symbol, 'a.b', uses, diskFileAccess), {
    error: '"a.b" cannot be a param key: use letters, digits, "_" or "-" (a dot would make it a nested key).',
  });
  assert.deepEqual(await renameParam(symbol, 'epochs', uses, diskFileAccess), {
    error: 'params.yaml already has "train.epochs"; choose another name.',
  });
});

test('a ${} reads the context source that defines its top key: a vars file, inline vars or params.yaml', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-rename-vars-'));
  writeFileSync(join(dir, 'params.yaml'), 'lr: 0.1\n');
  writeFileSync(join(dir, 'paths.yaml'), 'data:\n  root: data\n');
  const dvc = [
    'vars:',
    '  - paths.yaml',
    '  - tag: v1',
    'stages:',
    '  fit:',
    '    cmd: python fit.py ${lr} ${data.root} ${tag}',
    '    params:',
    '      - lr',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'dvc.yaml'), dvc);
  const uses = await collectUses([join(dir, 'dvc.yaml')], diskFileAccess);
  assert.deepEqual(
    uses.map((u) => [u.kind, u.paramsFile.slice(dir.length + 1), u.segments.map((s) => s.text).join('.')]),
    [
      ['params', 'params.yaml', 'lr'],
      ['interpolation', 'params.yaml', 'lr'],
      ['interpolation', 'paths.yaml', 'data.root'],
    ],
    '${tag} is inline vars: not a param',
  );
  // From the vars file itself (a stage reads it through ${}): rename reaches the use.
  const text = readFileSync(join(dir, 'paths.yaml'), 'utf8');
  const symbol = await paramSymbolAt(join(dir, 'paths.yaml'), text, positionOf(text, 'root', 1), uses);
  assert.ok(!('error' in symbol));
  const result = await renameParam(symbol, 'base', uses, diskFileAccess);
  assert.ok('edits' in result);
  assert.equal(apply(dvc, result.edits[join(dir, 'dvc.yaml')] ?? []), dvc.replace('${data.root}', '${data.base}'));
});
