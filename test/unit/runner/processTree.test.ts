import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { OutputTail, processGroupAlive, processGroupMembers, startProcess } from '../../../src/core/runner/processTree';
import { waitFor } from '../../support/tools';

const temp = mkdtempSync(join(tmpdir(), 'mlops-process-'));
after(() => rmSync(temp, { recursive: true, force: true }));
const posix = process.platform !== 'win32';

describe('startProcess', () => {
  test('streams stdout and stderr and resolves with the exit code', async () => {
    const seen: string[] = [];
    const run = startProcess({
      command: 'echo out; echo err 1>&2; exit 3',
      cwd: temp,
      onOutput: (text, stream) => seen.push(`${stream}:${text.trim()}`),
    });
    const result = await run.done;
    assert.equal(result.exitCode, 3);
    assert.equal(result.stopped, false);
    assert.deepEqual(seen.sort(), ['stderr:err', 'stdout:out']);
  });

  test('runs in the given folder with the given environment', async () => {
    let output = '';
    const result = await startProcess({
      command: 'pwd; echo "$MLOPS_TEST_VALUE"',
      cwd: temp,
      env: { ...process.env, MLOPS_TEST_VALUE: 'from-env' },
      onOutput: (text) => (output += text),
    }).done;
    assert.equal(result.exitCode, 0);
    assert.match(output, /from-env/);
    assert.ok(output.includes(temp.split('/').pop() ?? ''));
  });

  test('keeps only the tail of a large output', async () => {
    let total = 0;
    const result = await startProcess({
      command: 'i=0; while [ $i -lt 2000 ]; do echo "line $i of a long output that goes on"; i=$((i+1)); done; echo LAST',
      cwd: temp,
      tailBytes: 1024,
      onOutput: (text) => (total += text.length),
    }).done;
    assert.ok(total > 50_000);
    assert.ok(result.tail.length <= 1024);
    assert.match(result.tail, /LAST\n$/);
  });

  test('reports a command that cannot start', async () => {
    const result = await startProcess({ command: { file: join(temp, 'no-such-tool'), args: [] }, cwd: temp }).done;
    assert.notEqual(result.exitCode, 0);
    assert.ok(result.spawnError);
  });

  test('stop() kills the whole process group within 2 seconds', { skip: !posix }, async () => {
    const run = startProcess({ command: "trap '' TERM; sleep 30 & sleep 30; wait", cwd: temp });
    const pgid = run.pid;
    assert.ok(pgid);
    // Both sleeps must be running before stopping, or the test proves nothing.
    await waitFor('the stage processes', () => ((processGroupMembers(pgid)?.length ?? 3) >= 3 ? true : undefined));
    const started = Date.now();
    const result = await run.stop();
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `stopping took ${elapsed} ms`);
    assert.equal(result.stopped, true);
    assert.equal(processGroupAlive(pgid), false);
    assert.deepEqual(processGroupMembers(pgid) ?? [], []);
  });

  test('an aborted signal stops the process', { skip: !posix }, async () => {
    const controller = new AbortController();
    const run = startProcess({ command: 'sleep 30 & sleep 30; wait', cwd: temp, signal: controller.signal });
    const pgid = run.pid;
    assert.ok(pgid);
    await waitFor('the stage processes', () => ((processGroupMembers(pgid)?.length ?? 3) >= 3 ? true : undefined));
    controller.abort();
    const result = await run.done;
    assert.equal(result.stopped, true);
    assert.equal(result.signal, 'SIGTERM');
    assert.equal(processGroupAlive(pgid), false);
  });
});

describe('OutputTail', () => {
  test('keeps the last characters across chunks', () => {
    const tail = new OutputTail(5);
    tail.append('abc');
    tail.append('defg');
    assert.equal(tail.toString(), 'cdefg');
    tail.append('0123456789');
    assert.equal(tail.toString(), '56789');
  });
});
