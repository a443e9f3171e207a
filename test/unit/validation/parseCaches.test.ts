import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { overlayFileAccess } from '../../../src/core/fileAccess';
import { readDvcPipeline } from '../../../src/core/pipeline/dvcPipeline';
import { loadPipelineOverview } from '../../../src/core/pipelineView/overview';
import { validateFile } from '../../../src/core/validation/validateFile';
import { ContentCache } from '../../../src/core/yaml/contentCache';
import { isParseCached } from '../../../src/core/yaml/parseYaml';

// The parses of dvc.yaml, params.yaml and vars files are kept while their text is the same
// (src/core/yaml/contentCache.ts); these tests change one file at a time and expect the findings,
// the stages and the param values of the new text, never those of the cached one.

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-caches-'));
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

const summary = (findings: { range: { start: { line: number } }; code: string; message: string }[]): string[] =>
  findings.map((f) => `${f.range.start.line + 1} ${f.code} ${f.message}`);

const DVC = 'stages:\n  train:\n    cmd: python train.py\n    params:\n      - train.lr\n';

test('caches: a key added to params.yaml on disk clears the unknown-param finding at the next validation', async () => {
  const dir = project({ 'dvc.yaml': DVC, 'params.yaml': 'train:\n  epochs: 3\n' });
  const file = join(dir, 'dvc.yaml');
  const missing = [
    '5 dvc-unknown-param Param "train.lr" of stage "train" is not in params.yaml. Add it to the params file or fix the name.',
  ];
  assert.deepEqual(summary(await validateFile(file)), missing);
  assert.ok(isParseCached(file, DVC), 'the dvc.yaml parse is kept for the next request');
  writeFileSync(join(dir, 'params.yaml'), 'train:\n  epochs: 3\n  lr: 0.1\n');
  assert.deepEqual(summary(await validateFile(file)), []);
  writeFileSync(join(dir, 'params.yaml'), 'train:\n  epochs: 3\n');
  assert.deepEqual(summary(await validateFile(file)), missing);
});

test('caches: an edit of the open dvc.yaml is validated as edited, and undoing it gives the first findings again', async () => {
  const dir = project({ 'dvc.yaml': DVC, 'params.yaml': 'train:\n  lr: 0.1\n' });
  const file = join(dir, 'dvc.yaml');
  let buffer = DVC;
  const files = overlayFileAccess((path) => (path === file ? buffer : undefined));
  assert.deepEqual(summary(await validateFile(file, files)), []);
  buffer = `${DVC}    bogus: 1\n`;
  assert.deepEqual(summary(await validateFile(file, files)), [
    '6 dvc-unknown-key DVC does not know the key "bogus" in stage "train". Known keys: cmd, wdir, deps, params, outs, metrics, plots, frozen, always_changed, vars, desc, meta, foreach, do, matrix.',
  ]);
  buffer = DVC.replace('train.lr', 'train.rate');
  assert.deepEqual(summary(await validateFile(file, files)), [
    '5 dvc-unknown-param Param "train.rate" of stage "train" is not in params.yaml. Add it to the params file or fix the name.',
  ]);
  buffer = DVC;
  assert.deepEqual(summary(await validateFile(file, files)), []);
});

test('caches: a vars file that changes changes the interpolated stages, with the same dvc.yaml text', async () => {
  const dvc = 'vars:\n  - config.yaml\nstages:\n  prep:\n    foreach: ${sets}\n    do:\n      cmd: echo ${item}\n';
  const dir = project({ 'dvc.yaml': dvc, 'config.yaml': 'sets: [a, b]\n' });
  const file = join(dir, 'dvc.yaml');
  const names = async (): Promise<string[]> =>
    (
      await readDvcPipeline(
        file,
        overlayFileAccess(() => undefined),
      )
    )?.pipeline.stages.map((s) => s.name) ?? [];
  assert.deepEqual(await names(), ['prep@a', 'prep@b']);
  writeFileSync(join(dir, 'config.yaml'), 'sets: [a, b, c]\n');
  assert.deepEqual(await names(), ['prep@a', 'prep@b', 'prep@c']);
  writeFileSync(join(dir, 'config.yaml'), 'other: 1\n');
  assert.deepEqual(summary(await validateFile(file)), [
    "5 dvc-unresolved-interpolation '${sets}' does not resolve: 'sets' is not in params.yaml, vars or the foreach/matrix item.",
  ]);
});

test('caches: the Pipelines tree shows a param value changed in params.yaml since the last load', async () => {
  const dir = project({ 'dvc.yaml': DVC, 'params.yaml': 'train:\n  lr: 0.1\n' });
  const file = join(dir, 'dvc.yaml');
  const values = async (): Promise<unknown[]> =>
    (
      await loadPipelineOverview(
        file,
        overlayFileAccess(() => undefined),
        undefined,
        { status: false },
      )
    ).stages.flatMap((s) => s.params.map((p) => p.value));
  assert.deepEqual(await values(), [0.1]);
  writeFileSync(join(dir, 'params.yaml'), 'train:\n  lr: 0.5\n');
  assert.deepEqual(await values(), [0.5]);
});

test('ContentCache: hands out the kept value for the same text, computes again for another, evicts the least recently used', () => {
  const cache = new ContentCache<string>(2);
  let computed = 0;
  const get = (key: string, text: string): string =>
    cache.get(key, text, () => {
      computed++;
      return `${key}=${text}`;
    });
  assert.equal(get('a', '1'), 'a=1');
  assert.equal(get('a', '1'), 'a=1');
  assert.equal(computed, 1);
  assert.equal(get('a', '2'), 'a=2');
  assert.equal(computed, 2);
  assert.equal(cache.has('a', '1'), false);
  get('b', '1');
  get('a', '2');
  get('c', '1');
  assert.deepEqual([cache.has('a', '2'), cache.has('b', '1'), cache.has('c', '1')], [true, false, true]);
});
