import assert from 'node:assert/strict';
import { promises as fs, readFileSync, writeFileSync, mkdtempSync, symlinkSync, readdirSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { parseParamInput, setParamValues, splitKey, type ParamEdit } from '../../../src/core/params/editParams';
import { editParamsFile, readParamsFile, writeParamsFile } from '../../../src/core/params/paramsFileWrite';
import { repoRoot } from '../../support/tools';

function edited(text: string, edits: ParamEdit[]): string {
  const result = setParamValues(text, edits);
  if ('error' in result) assert.fail(`unexpected refusal: ${result.error}`);
  return result.text;
}

/** The lines that differ, by index; every other line must be byte-identical (line endings included). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split(/(?<=\n)/);
  const b = after.split(/(?<=\n)/);
  if (a.length === b.length) {
    const differ = a.map((_, i) => i).filter((i) => a[i] !== b[i]);
    return { removed: differ.map((i) => a[i]), added: differ.map((i) => b[i]) };
  }
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { removed: a.slice(head, a.length - tail), added: b.slice(head, b.length - tail) };
}

const example = readFileSync(join(repoRoot, 'examples', 'wine-quality', 'params.yaml'), 'utf8');

test('the example params.yaml: only the edited lines change, comments and blank lines stay', () => {
  const after = edited(example, [
    { key: 'models.rf.n_estimators', value: 50 },
    { key: 'split.test_size', value: 0.25 },
  ]);
  const diff = changedLines(example, after);
  assert.deepEqual(diff.removed, ['  test_size: 0.4\n', '    n_estimators: 20\n']);
  assert.deepEqual(diff.added, ['  test_size: 0.25\n', '    n_estimators: 50\n']);
  assert.equal(after.split('\n').length, example.split('\n').length);
  const value = parse(after) as { models: { rf: { n_estimators: number } }; split: { test_size: number } };
  assert.equal(value.models.rf.n_estimators, 50);
  assert.equal(value.split.test_size, 0.25);
  assert.ok(after.startsWith('# Parameters of the wine-quality pipeline.'));
});

test('setting the value a key already has changes no byte', () => {
  assert.equal(edited(example, [{ key: 'models.logreg.C', value: 0.05 }]), example);
});

const adversarial = [
  '# top comment',
  '',
  'base: &base   # anchored mapping',
  '  lr: 0.1     # learning rate',
  '  epochs: 10',
  '',
  'train:',
  '  <<: *base',
  '  "quoted key": \'single\'   # keep quotes',
  '  \'other.key\': "double"',
  '  flow: {a: 1,   b: [1,2]}   # odd spacing kept',
  '  lr_source: &lr_anchor 0.5',
  '  alias_of_lr: *lr_anchor',
  '  long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  '  list:',
  '  - 1',
  '  - two   # comment in a list',
  '  block: |',
  '    line one',
  '    line two',
  '  # comment at the end of train',
  '',
  '# trailing comment',
  '',
].join('\n');

test('adversarial YAML: a quoted scalar keeps its quote style, everything else stays byte-identical', () => {
  const after = edited(adversarial, [
    { key: 'train.quoted key', value: 'changed' },
    { key: 'train.other.key', value: 'x' },
  ]);
  // The second key holds a dot, so its dotted path is ambiguous; quoting the segment reaches it.
  assert.ok('error' in setParamValues(adversarial, [{ key: 'train.other.key', value: 'x' }]) || after.includes("'other.key'"));
  const quoted = edited(adversarial, [
    { key: 'train.quoted key', value: "it's" },
    { key: 'train."other.key"', value: 'x' },
  ]);
  const diff = changedLines(adversarial, quoted);
  assert.deepEqual(diff.removed, ['  "quoted key": \'single\'   # keep quotes\n', '  \'other.key\': "double"\n']);
  assert.deepEqual(diff.added, ["  \"quoted key\": 'it''s'   # keep quotes\n", '  \'other.key\': "x"\n']);
});

test('adversarial YAML: a value inside a flow map is spliced without reflowing the map', () => {
  const after = edited(adversarial, [{ key: 'train.flow.a', value: 2 }]);
  const diff = changedLines(adversarial, after);
  assert.deepEqual(diff.removed, ['  flow: {a: 1,   b: [1,2]}   # odd spacing kept\n']);
  assert.deepEqual(diff.added, ['  flow: {a: 2,   b: [1,2]}   # odd spacing kept\n']);
  const listItem = changedLines(adversarial, edited(adversarial, [{ key: 'train.flow.b.1', value: 3 }]));
  assert.deepEqual(listItem.added, ['  flow: {a: 1,   b: [1,3]}   # odd spacing kept\n']);
});

test('adversarial YAML: an anchored value changes in place and its aliases follow it', () => {
  const after = edited(adversarial, [{ key: 'train.lr_source', value: 0.7 }]);
  assert.deepEqual(changedLines(adversarial, after).added, ['  lr_source: &lr_anchor 0.7\n']);
  const value = parseAllDocuments(after)[0].toJS() as { train: { alias_of_lr: number } };
  assert.equal(value.train.alias_of_lr, 0.7);
});

test('adversarial YAML: a key reached through a merge is added as an override, the anchor stays', () => {
  const after = edited(adversarial, [{ key: 'train.lr', value: 0.01 }]);
  const diff = changedLines(adversarial, after);
  assert.deepEqual(diff.removed, []);
  assert.deepEqual(diff.added, ['  lr: 0.01\n']);
  const value = parseAllDocuments(after)[0].toJS() as { base: { lr: number }; train: { lr: number } };
  assert.equal(value.base.lr, 0.1);
  assert.equal(value.train.lr, 0.01);
});

test('adversarial YAML: list items and block scalars are replaced in place', () => {
  const item = changedLines(adversarial, edited(adversarial, [{ key: 'train.list.1', value: 'three' }]));
  assert.deepEqual(item, { removed: ['  - two   # comment in a list\n'], added: ['  - three   # comment in a list\n'] });
  const block = changedLines(adversarial, edited(adversarial, [{ key: 'train.block', value: 'one line' }]));
  assert.deepEqual(block, { removed: ['  block: |\n', '    line one\n', '    line two\n'], added: ['  block: "one line"\n'] });
});

test('adversarial YAML: a long plain line is never folded and a value into an alias is refused', () => {
  const after = edited(adversarial, [{ key: 'train.long', value: 'b'.repeat(200) }]);
  assert.ok(after.includes(`  long: ${'b'.repeat(200)}\n`));
  const refused = setParamValues('a: &x {b: 1}\nc: *x\n', [{ key: 'c.b', value: 2 }]);
  assert.ok('error' in refused && /alias/.test(refused.error), JSON.stringify(refused));
});

test('CRLF line endings and a byte-order mark survive, and new keys use CRLF', () => {
  const text = '\ufeff# params\r\ntrain:\r\n  lr: 0.1\r\n  epochs: 3\r\n';
  const after = edited(text, [
    { key: 'train.lr', value: 0.2 },
    { key: 'train.momentum', value: 0.9 },
  ]);
  assert.equal(after, '\ufeff# params\r\ntrain:\r\n  lr: 0.2\r\n  epochs: 3\r\n  momentum: 0.9\r\n');
});

test('multi-document files: only the first document is edited, the rest is byte-identical', () => {
  const text = 'a: 1\nb: 2\n---\na: 1\n# second\n...\n';
  assert.equal(edited(text, [{ key: 'a', value: 5 }]), 'a: 5\nb: 2\n---\na: 1\n# second\n...\n');
});

test('a missing nested key is added under its nearest parent with matching indentation', () => {
  const after = edited(example, [{ key: 'models.svm.kernel', value: 'rbf' }]);
  const diff = changedLines(example, after);
  assert.deepEqual(diff.removed, []);
  assert.deepEqual(diff.added, ['  svm:\n', '    kernel: rbf\n']);
  assert.equal((parse(after) as { models: { svm: { kernel: string } } }).models.svm.kernel, 'rbf');
  assert.equal(edited('', [{ key: 'a.b', value: 1 }]), 'a:\n  b: 1\n');
  assert.equal(edited('# only a comment', [{ key: 'a', value: 1 }]), '# only a comment\na: 1\n');
  assert.equal(edited('x: {}\n', [{ key: 'x.z', value: true }]), 'x: {z: true}\n');
  // YAML 1.1 loaders read a plain y as true, so that key is quoted.
  assert.equal(edited('x: {}\n', [{ key: 'x.y', value: 1 }]), 'x: {"y": 1}\n');
  assert.equal(edited('x:\ny: 2\n', [{ key: 'x', value: 1 }]), 'x: 1\ny: 2\n');
});

test('strings that other YAML loaders would read as booleans or numbers are quoted', () => {
  const after = edited('a: x\nb: x\nc: x\nd: x\n', [
    { key: 'a', value: 'yes' },
    { key: 'b', value: '0.5' },
    { key: 'c', value: 'has: colon' },
    { key: 'd', value: 'two\nlines' },
  ]);
  assert.equal(after, 'a: "yes"\nb: "0.5"\nc: "has: colon"\nd: "two\\nlines"\n');
  assert.equal(edited('lr: 0.1\n', [{ key: 'lr', value: 1e-7 }]), 'lr: 1.0e-7\n');
});

test('a broken file, a scalar parent and an out-of-range index are refused with a sentence', () => {
  for (const [text, key] of [
    ['a: [1, 2\n', 'a'],
    ['a: 1\n', 'a.b'],
    ['a: [1]\n', 'a.5'],
    ['a: 1\n', ''],
  ] as const) {
    const result = setParamValues(text, [{ key, value: 1 }]);
    assert.ok('error' in result, `${JSON.stringify(text)} ${key}`);
    assert.match(result.error, /^[A-Z"a-z].*[.)]$/);
    assert.ok(!result.error.includes('\n'));
  }
});

test('typed input keeps YAML types and dotted keys may quote a segment', () => {
  assert.equal(parseParamInput('0.1'), 0.1);
  assert.equal(parseParamInput('true'), true);
  assert.deepEqual(parseParamInput('[1, 2]'), [1, 2]);
  assert.equal(parseParamInput('rbf'), 'rbf');
  assert.equal(parseParamInput('a: [unclosed'), 'a: [unclosed');
  assert.deepEqual(splitKey('a."b.c".d'), ['a', 'b.c', 'd']);
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mlops-params-'));
}

test('editParamsFile writes the new text and leaves no temporary file', async () => {
  const dir = tempDir();
  const file = join(dir, 'params.yaml');
  writeFileSync(file, example);
  await fs.chmod(file, 0o640);
  assert.deepEqual(await editParamsFile(file, [{ key: 'models.rf.max_depth', value: 4 }]), { written: true });
  assert.match(readFileSync(file, 'utf8'), /max_depth: 4\n/);
  assert.deepEqual(readdirSync(dir), ['params.yaml']);
  assert.equal((await fs.stat(file)).mode & 0o777, 0o640, 'the file keeps its permissions');
});

test('a file changed on disk after it was read is not overwritten', async () => {
  const dir = tempDir();
  const file = join(dir, 'params.yaml');
  writeFileSync(file, example);
  const snapshot = await readParamsFile(file);
  writeFileSync(file, example.replace('42', '43'));
  const result = await writeParamsFile(snapshot, 'anything\n');
  assert.ok('error' in result);
  assert.match(result.error, /changed on disk/);
  assert.equal(readFileSync(file, 'utf8'), example.replace('42', '43'));
  assert.deepEqual(readdirSync(dir), ['params.yaml']);
  // Same size and modification time but other bytes: still refused.
  const again = await readParamsFile(file);
  const same = example.replace('42', '44');
  writeFileSync(file, same);
  await fs.utimes(file, again.mtimeMs / 1000, again.mtimeMs / 1000);
  assert.ok('error' in (await writeParamsFile(again, 'x\n')));
});

test('a symbolic link is followed: the target changes and the link stays a link', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'real.yaml'), 'a: 1\n');
  symlinkSync('real.yaml', join(dir, 'params.yaml'));
  assert.deepEqual(await editParamsFile(join(dir, 'params.yaml'), [{ key: 'a', value: 2 }]), { written: true });
  assert.ok(lstatSync(join(dir, 'params.yaml')).isSymbolicLink());
  assert.equal(readFileSync(join(dir, 'real.yaml'), 'utf8'), 'a: 2\n');
});

test('a file deleted after it was read is not recreated', async () => {
  const dir = tempDir();
  const file = join(dir, 'params.yaml');
  writeFileSync(file, example);
  const snapshot = await readParamsFile(file);
  await fs.rm(file);
  const result = await writeParamsFile(snapshot, 'a: 1\n');
  assert.ok('error' in result && /deleted or moved/.test(result.error));
  assert.deepEqual(readdirSync(dir), []);
});

test('a reader polling during many edits only ever sees a whole file', async () => {
  const dir = tempDir();
  const file = join(dir, 'params.yaml');
  writeFileSync(file, example);
  let torn = 0;
  let reads = 0;
  let stop = false;
  const reader = (async () => {
    while (!stop) {
      const text = await fs.readFile(file, 'utf8');
      reads++;
      if (!text.endsWith('primary_metric: accuracy\n')) torn++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  for (let i = 0; i < 100; i++) {
    const result = await editParamsFile(file, [{ key: 'models.rf.n_estimators', value: i * 1000 }]);
    assert.deepEqual(result, { written: true });
  }
  stop = true;
  await reader;
  assert.ok(reads > 0);
  assert.equal(torn, 0);
  assert.match(readFileSync(file, 'utf8'), /n_estimators: 99000\n/);
});
