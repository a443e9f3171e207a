import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { overlayFileAccess } from '../../../src/core/fileAccess';
import { loadPipelineOverview } from '../../../src/core/pipelineView/overview';

// The overview looks a stage's param values up when something first reads them (a stage expanded
// in the tree), not while the first paint lists the stages. These tests read them only after
// params.yaml changed and expect the values of the text each overview was loaded from.

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-overview-'));
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  return dir;
}

const DVC = [
  'stages:',
  '  prepare:',
  '    cmd: python prepare.py',
  '    params:',
  '      - prepare.split',
  '    outs:',
  '      - data/prepared',
  '  train:',
  '    cmd: python train.py',
  '    deps:',
  '      - data/prepared',
  '    params:',
  '      - train.lr',
  '      - train.missing',
  '      - extra.yaml:',
  '',
].join('\n');

const values = (overview: Awaited<ReturnType<typeof loadPipelineOverview>>): string[] =>
  overview.stages.flatMap((s) =>
    s.params.map((p) => `${s.stage.name} ${p.key ?? '(file)'}=${JSON.stringify(p.value)} missing=${p.missing}`),
  );

test('overview: param values read after params.yaml changed are those of the text the overview was loaded from', async () => {
  const dir = project({ 'dvc.yaml': DVC, 'params.yaml': 'prepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n', 'extra.yaml': 'seed: 1\n' });
  const file = join(dir, 'dvc.yaml');
  const files = overlayFileAccess(() => undefined);
  const before = await loadPipelineOverview(file, files, undefined, { status: false });
  writeFileSync(join(dir, 'params.yaml'), 'prepare:\n  split: 0.3\ntrain:\n  lr: 0.5\n  missing: 7\n');
  writeFileSync(join(dir, 'extra.yaml'), 'seed: 2\n');
  const after = await loadPipelineOverview(file, files, undefined, { status: false });
  // The later overview is read first: nothing of the earlier load leaks into it, and the other way round.
  assert.deepEqual(values(after), [
    'prepare prepare.split=0.3 missing=false',
    'train train.lr=0.5 missing=false',
    'train train.missing=7 missing=false',
    'train (file)={"seed":2} missing=false',
  ]);
  assert.deepEqual(values(before), [
    'prepare prepare.split=0.2 missing=false',
    'train train.lr=0.1 missing=false',
    'train train.missing=undefined missing=true',
    'train (file)={"seed":1} missing=false',
  ]);
  // Read twice, the same entries.
  assert.equal(before.stages[1]?.params, before.stages[1]?.params);
  assert.deepEqual(
    after.stages.map((s) => s.stage.name),
    ['prepare', 'train'],
  );
});

test('overview: a stage whose param changed since dvc.lock marks that param changed when its entries are read', async () => {
  const dir = project({
    'dvc.yaml': 'stages:\n  train:\n    cmd: python train.py\n    params:\n      - train.lr\n      - train.epochs\n',
    'params.yaml': 'train:\n  lr: 0.5\n  epochs: 3\n',
    'dvc.lock':
      'schema: "2.0"\nstages:\n  train:\n    cmd: python train.py\n    params:\n      params.yaml:\n        train.lr: 0.1\n        train.epochs: 3\n',
  });
  const overview = await loadPipelineOverview(
    join(dir, 'dvc.yaml'),
    overlayFileAccess(() => undefined),
  );
  const train = overview.stages[0];
  assert.equal(train?.status.state, 'changed');
  assert.deepEqual(
    train?.params.map((p) => `${p.key} changed=${p.changed}`),
    ['train.lr changed=true', 'train.epochs changed=false'],
  );
});

test('overview: stages on a cycle come after the ordered ones, in file order, and the cycle is named', async () => {
  const dir = project({
    'dvc.yaml': [
      'stages:',
      '  a:',
      '    cmd: a',
      '    deps: [y]',
      '    outs: [x]',
      '  b:',
      '    cmd: b',
      '    deps: [x]',
      '    outs: [y]',
      '  c:',
      '    cmd: c',
      '    outs: [z]',
      '',
    ].join('\n'),
  });
  const overview = await loadPipelineOverview(
    join(dir, 'dvc.yaml'),
    overlayFileAccess(() => undefined),
    undefined,
    { status: false },
  );
  assert.deepEqual(
    overview.stages.map((s) => s.stage.name),
    ['c', 'a', 'b'],
  );
  assert.deepEqual(overview.cycles, [['a', 'b']]);
});
