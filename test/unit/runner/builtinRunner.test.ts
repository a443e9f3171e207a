import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { builtinStateFile, runBuiltin, type BuiltinRunOptions } from '../../../src/core/runner/builtinRunner';
import { processGroupAlive, processGroupMembers } from '../../../src/core/runner/processTree';
import type { RunEvent } from '../../../src/core/runner/runEvents';
import { waitFor } from '../../support/tools';

const temp = mkdtempSync(join(tmpdir(), 'mlops-builtin-'));
after(() => rmSync(temp, { recursive: true, force: true }));
let count = 0;

/** A folder with a dvc.yaml and params.yaml; each stage appends its name to ran.log when it runs. */
function project(dvcYaml: string, params = 'lr: 0.1\nepochs: 2\n'): string {
  const dir = join(temp, `p${count++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dvc.yaml'), dvcYaml);
  writeFileSync(join(dir, 'params.yaml'), params);
  writeFileSync(join(dir, 'raw.txt'), 'raw\n');
  return dir;
}

const CHAIN = `stages:
  prepare:
    cmd: echo prepare >> ran.log && cat raw.txt > prepared.txt
    deps: [raw.txt]
    outs: [prepared.txt]
  train:
    cmd: echo train >> ran.log && echo "model \${lr}" > model.txt
    deps: [prepared.txt]
    params: [lr]
    outs: [model.txt]
  evaluate:
    cmd:
      - echo evaluate >> ran.log
      - >-
        echo '{"acc": 0.9}' > metrics.json
    deps: [model.txt]
    metrics:
      - metrics.json:
          cache: false
  other:
    cmd: echo other >> ran.log && echo x > other.txt
    outs: [other.txt]
`;

async function run(dir: string, options: Partial<BuiltinRunOptions> = {}) {
  const events: RunEvent[] = [];
  const before = existsSync(join(dir, 'ran.log')) ? readFileSync(join(dir, 'ran.log'), 'utf8') : '';
  const outcome = await runBuiltin({ pipelineFile: join(dir, 'dvc.yaml'), onEvent: (e) => events.push(e), ...options });
  const log = existsSync(join(dir, 'ran.log')) ? readFileSync(join(dir, 'ran.log'), 'utf8') : '';
  const ranNow = log.slice(before.length).split('\n').filter(Boolean);
  const output = events.map((e) => (e.type === 'output' ? e.text : '')).join('');
  return { outcome, events, ranNow, output };
}

describe('runBuiltin', () => {
  test('runs a stage after what it needs, in order, and not unrelated stages', async () => {
    const dir = project(CHAIN);
    const { outcome, ranNow, events } = await run(dir, { stage: 'evaluate' });
    assert.equal(outcome.exitCode, 0, outcome.message);
    assert.deepEqual(ranNow, ['prepare', 'train', 'evaluate']);
    assert.deepEqual(outcome.ran, ['prepare', 'train', 'evaluate']);
    assert.equal(readFileSync(join(dir, 'model.txt'), 'utf8'), 'model 0.1\n');
    assert.deepEqual(
      events.filter((e) => e.type !== 'output').map((e) => `${e.type}:${e.stage}`),
      ['stage-start:prepare', 'stage-end:prepare', 'stage-start:train', 'stage-end:train', 'stage-start:evaluate', 'stage-end:evaluate'],
    );
    assert.equal(existsSync(join(dir, 'dvc.lock')), false, 'the built-in runner must not write dvc.lock');
    assert.ok(existsSync(builtinStateFile(join(dir, 'dvc.yaml'))));
  });

  test('a second run skips every unchanged stage', async () => {
    const dir = project(CHAIN);
    await run(dir, { stage: 'evaluate' });
    const second = await run(dir, { stage: 'evaluate' });
    assert.equal(second.outcome.exitCode, 0);
    assert.deepEqual(second.ranNow, []);
    assert.deepEqual(second.outcome.skipped, ['prepare', 'train', 'evaluate']);
    assert.match(second.output, /Stage 'train' didn't change, skipping/);
  });

  test('a changed param reruns its stage and what depends on it, not what is upstream', async () => {
    const dir = project(CHAIN);
    await run(dir, { stage: 'evaluate' });
    writeFileSync(join(dir, 'params.yaml'), 'lr: 0.2\nepochs: 2\n');
    const second = await run(dir, { stage: 'evaluate' });
    assert.deepEqual(second.ranNow, ['train', 'evaluate']);
    assert.equal(readFileSync(join(dir, 'model.txt'), 'utf8'), 'model 0.2\n');
    // A param the stage does not use changes nothing.
    writeFileSync(join(dir, 'params.yaml'), 'lr: 0.2\nepochs: 5\n');
    assert.deepEqual((await run(dir, { stage: 'evaluate' })).ranNow, []);
  });

  test('a changed dep or command reruns the stage', async () => {
    const dir = project(CHAIN);
    await run(dir, { stage: 'train' });
    writeFileSync(join(dir, 'raw.txt'), 'new raw\n');
    assert.deepEqual((await run(dir, { stage: 'train' })).ranNow, ['prepare', 'train']);
    writeFileSync(join(dir, 'dvc.yaml'), CHAIN.replace('echo "model ${lr}"', 'echo "model v2 ${lr}"'));
    assert.deepEqual((await run(dir, { stage: 'train' })).ranNow, ['train']);
  });

  test('a deleted out reruns its stage', async () => {
    const dir = project(CHAIN);
    await run(dir, { stage: 'train' });
    rmSync(join(dir, 'model.txt'));
    assert.deepEqual((await run(dir, { stage: 'train' })).ranNow, ['train']);
  });

  test('force runs every stage again; single runs only the stage', async () => {
    const dir = project(CHAIN);
    await run(dir, { stage: 'evaluate' });
    assert.deepEqual((await run(dir, { stage: 'evaluate', force: true })).ranNow, ['prepare', 'train', 'evaluate']);
    assert.deepEqual((await run(dir, { stage: 'evaluate', force: true, single: true })).ranNow, ['evaluate']);
    writeFileSync(join(dir, 'raw.txt'), 'changed\n');
    // Single ignores the changed upstream stage.
    assert.deepEqual((await run(dir, { stage: 'train', single: true })).ranNow, []);
  });

  test('the whole pipeline runs when no stage is given', async () => {
    const dir = project(CHAIN);
    const { ranNow } = await run(dir);
    assert.deepEqual(ranNow.sort(), ['evaluate', 'other', 'prepare', 'train']);
  });

  test('a foreach template name runs all its generated stages', async () => {
    const dir = project(`stages:
  train:
    foreach: [a, b]
    do:
      cmd: echo train-\${item} >> ran.log && echo \${item} > model-\${item}.txt
      outs:
        - model-\${item}.txt
`);
    const all = await run(dir, { stage: 'train' });
    assert.equal(all.outcome.exitCode, 0, all.outcome.message);
    assert.deepEqual(all.ranNow, ['train-a', 'train-b']);
    assert.deepEqual((await run(dir, { stage: 'train@b', force: true })).ranNow, ['train-b']);
  });

  test('refuses a cyclic pipeline naming the cycle, running nothing', async () => {
    const dir = project(`stages:
  a:
    cmd: echo a >> ran.log && touch a.txt
    deps: [b.txt]
    outs: [a.txt]
  b:
    cmd: echo b >> ran.log && touch b.txt
    deps: [a.txt]
    outs: [b.txt]
`);
    const { outcome, ranNow } = await run(dir, { stage: 'a' });
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.message, 'dvc.yaml has a cycle: a → b → a; no stage was run.');
    assert.deepEqual(ranNow, []);
  });

  test('a longer cycle is named in the order its stages feed each other', async () => {
    const dir = project(`stages:
  a:
    cmd: touch a.txt
    deps: [c.txt]
    outs: [a.txt]
  b:
    cmd: touch b.txt
    deps: [a.txt]
    outs: [b.txt]
  c:
    cmd: touch c.txt
    deps: [b.txt]
    outs: [c.txt]
  free:
    cmd: echo free >> ran.log
`);
    const { outcome, ranNow } = await run(dir, { stage: 'free' });
    assert.deepEqual(ranNow, []);
    const match = /^dvc\.yaml has a cycle: (\w) → (\w) → (\w) → (\w); no stage was run\.$/.exec(outcome.message ?? '');
    assert.ok(match, outcome.message);
    const [, first, second, third, last] = match;
    assert.equal(last, first);
    // Each stage in the sentence feeds the next one: a → b → c → a, from wherever it starts.
    const feeds: Record<string, string> = { a: 'b', b: 'c', c: 'a' };
    assert.equal(feeds[first ?? ''], second);
    assert.equal(feeds[second ?? ''], third);
    assert.equal(feeds[third ?? ''], last);
  });

  test('a failing stage stops the run with its exit code', async () => {
    const dir = project(`stages:
  first:
    cmd: echo first >> ran.log && echo oops 1>&2 && exit 7
    outs: [first.txt]
  second:
    cmd: echo second >> ran.log
    deps: [first.txt]
`);
    const { outcome, ranNow, events } = await run(dir, { stage: 'second' });
    assert.equal(outcome.exitCode, 7);
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.failedStage, 'first');
    assert.match(outcome.message ?? '', /Stage 'first' failed with exit code 7/);
    assert.deepEqual(ranNow, ['first']);
    assert.ok(events.some((e) => e.type === 'output' && e.stream === 'stderr' && e.text.includes('oops')));
    // A failed stage is not remembered as done.
    assert.deepEqual((await run(dir, { stage: 'first' })).ranNow, ['first']);
  });

  test('a stage that does not write its outs fails naming them', async () => {
    const dir = project(`stages:
  lazy:
    cmd: echo lazy >> ran.log
    outs: [model.pkl, report.txt]
`);
    const { outcome } = await run(dir, { stage: 'lazy' });
    assert.equal(outcome.exitCode, 1);
    assert.match(outcome.message ?? '', /did not write model\.pkl, report\.txt/);
  });

  test('commands run in the stage wdir', async () => {
    const dir = project(`stages:
  sub:
    wdir: sub
    cmd: pwd > where.txt
    deps: [input.txt]
    outs: [where.txt]
`);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'input.txt'), 'x');
    const { outcome } = await run(dir, { stage: 'sub' });
    assert.equal(outcome.exitCode, 0, outcome.message);
    assert.match(readFileSync(join(dir, 'sub', 'where.txt'), 'utf8'), /\/sub\n$/);
  });

  test('an unknown stage and a missing dep are explained', async () => {
    const dir = project(CHAIN);
    const unknown = await run(dir, { stage: 'trian' });
    assert.equal(unknown.outcome.exitCode, 1);
    assert.match(unknown.outcome.message ?? '', /no stage named 'trian'; its stages are prepare, train, evaluate, other/);
    rmSync(join(dir, 'raw.txt'));
    const missing = await run(dir, { stage: 'prepare' });
    assert.equal(missing.outcome.exitCode, 1);
    assert.match(missing.outcome.message ?? '', /needs raw\.txt, which does not exist/);
  });

  test('stopping a run kills every process of the stage within 2 seconds', { skip: process.platform === 'win32' }, async () => {
    const dir = project(`stages:
  slow:
    cmd: echo $$ > pgid.txt; sleep 30 & sleep 30; wait
`);
    const controller = new AbortController();
    const pending = runBuiltin({ pipelineFile: join(dir, 'dvc.yaml'), stage: 'slow', signal: controller.signal });
    // The shell leads the stage's process group; wait until both sleeps run in it.
    const pgid = await waitFor('the stage to start', () => {
      const text = existsSync(join(dir, 'pgid.txt')) ? readFileSync(join(dir, 'pgid.txt'), 'utf8').trim() : '';
      const id = Number(text);
      return id > 0 && (processGroupMembers(id)?.length ?? 3) >= 3 ? id : undefined;
    });
    const stoppedAt = Date.now();
    controller.abort();
    const outcome = await pending;
    const elapsed = Date.now() - stoppedAt;
    assert.equal(outcome.status, 'killed');
    assert.equal(outcome.failedStage, 'slow');
    assert.ok(elapsed < 2000, `stopping took ${elapsed} ms`);
    assert.deepEqual(processGroupMembers(pgid) ?? [], []);
    assert.equal(processGroupAlive(pgid), false);
  });
});
