import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { test } from 'node:test';
import { runPipeline } from '../../src/core/runner/pipelineRun';
import { startProcess } from '../../src/core/runner/processTree';
import { SOAK } from '../support/fuzzInputs';
import { waitFor } from '../support/tools';

// What a user notices when a run is stopped or floods its output: nothing it started lives on, and
// the extension host keeps answering while 200 MB of output stream through it.

interface ProcInfo {
  pid: number;
  pgid: number;
  state: string;
  cmdline: string;
}

/** Every process in /proc that is not a zombie (zombies hold nothing and count as gone). */
function liveProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = fields[0] ?? '';
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), pgid: Number(fields[2]), state, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

test('cancelling a run leaves no process of its group alive', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-cancel-'));
  // A marker duration no other process uses, to find the stage's sleeps in the process table.
  const marker = `60.${process.pid}${Date.now() % 1000}`;
  writeFileSync(join(dir, 'dvc.yaml'), `stages:\n  wait:\n    cmd: sh -c 'sleep ${marker} & sleep ${marker} & wait'\n`);
  const controller = new AbortController();
  const running = runPipeline({ pipelineFile: join(dir, 'dvc.yaml'), runner: 'builtin', signal: controller.signal });
  const sleeps = await waitFor('both sleeps of the stage to start', () => {
    const found = liveProcesses().filter((p) => p.cmdline === `sleep ${marker}`);
    return found.length === 2 ? found : undefined;
  });
  const groups = new Set(sleeps.map((p) => p.pgid));
  assert.equal(groups.size, 1, 'the stage runs as one process group');
  const [pgid] = [...groups];
  const ownGroup = liveProcesses().find((p) => p.pid === process.pid)?.pgid;
  assert.notEqual(pgid, ownGroup, "not the test's own group");
  const members = liveProcesses().filter((p) => p.pgid === pgid);
  assert.ok(members.length >= 3, `shell, sh -c and two sleeps: ${JSON.stringify(members)}`);

  const stoppedAt = Date.now();
  controller.abort();
  const result = await running;
  const stopMs = Date.now() - stoppedAt;
  assert.equal(result.status, 'killed');
  assert.ok(result.message && !result.message.includes('\n'), `one sentence: ${result.message}`);
  const left = liveProcesses().filter((p) => p.pgid === pgid || p.cmdline === `sleep ${marker}`);
  console.log(`# cancel: group of ${members.length} processes stopped in ${stopMs} ms, ${left.length} left`);
  assert.deepEqual(left, []);
});

test('a stage printing 200 MB keeps memory bounded and the event loop responsive', { timeout: 180_000 }, async () => {
  const megabytes = SOAK ? 1000 : 200;
  const total = megabytes * 1024 * 1024;
  const line = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3);
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 25);
  let received = 0;
  histogram.enable();
  const started = Date.now();
  const child = startProcess({
    command: { file: 'sh', args: ['-c', `yes ${line} | head -c ${total}`] },
    cwd: tmpdir(),
    onOutput: (text) => {
      received += Buffer.byteLength(text);
    },
  });
  const result = await child.done;
  const seconds = (Date.now() - started) / 1000;
  histogram.disable();
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
  const p99 = histogram.percentile(99) / 1e6;
  const max = histogram.max / 1e6;
  console.log(
    `# output flood: ${megabytes} MB in ${seconds.toFixed(1)} s (${(megabytes / seconds).toFixed(0)} MB/s), RSS ${(rssBefore / 1048576).toFixed(0)} → peak ${(rssPeak / 1048576).toFixed(0)} MB (+${growthMb.toFixed(0)} MB), event-loop delay p50 ${(histogram.percentile(50) / 1e6).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
  );
  assert.equal(result.exitCode, 0);
  assert.equal(received, total, 'every byte reached the output callback');
  assert.ok(result.tail.length <= 16 * 1024, 'the kept tail stays at its limit');
  // Keeping the output would need 200 MB or more; bounded buffers stay far below it.
  assert.ok(growthMb < 120, `RSS grew by ${growthMb.toFixed(0)} MB`);
  // A responsive host answers within a frame or two; a blocked one stalls for seconds.
  assert.ok(p99 < 250, `event-loop delay p99 ${p99.toFixed(1)} ms`);
});

test('a 200 MB stage through runPipeline keeps its recorded log bounded', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-flood-'));
  const total = 200 * 1024 * 1024;
  writeFileSync(join(dir, 'dvc.yaml'), `stages:\n  flood:\n    cmd: yes flood-line-of-output | head -c ${total}\n`);
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 25);
  let received = 0;
  const result = await runPipeline({
    pipelineFile: join(dir, 'dvc.yaml'),
    runner: 'builtin',
    onEvent: (event) => {
      if (event.type === 'output') received += Buffer.byteLength(event.text);
    },
  });
  clearInterval(sampler);
  assert.equal(result.status, 'finished', result.message);
  // The stage's bytes plus the runner's own line announcing the stage.
  assert.ok(received >= total && received < total + 1024, `received ${received} bytes`);
  const logs = readdirSync(join(dir, '.mlops', 'runs'), { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && /log/.test(e.name),
  );
  const sizes = logs.map((e) => readFileSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).length);
  console.log(
    `# runPipeline flood: RSS +${((rssPeak - rssBefore) / 1048576).toFixed(0)} MB, run log ${sizes.map((s) => (s / 1048576).toFixed(1)).join(', ')} MB`,
  );
  assert.ok(sizes.length > 0, 'the run has a log');
  assert.ok(Math.max(...sizes) <= 6 * 1024 * 1024, 'the log is capped');
  assert.ok(rssPeak - rssBefore < 150 * 1024 * 1024);
});
