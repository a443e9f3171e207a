import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineConnection, EngineUnreachableError } from '../../src/core/docker/engineConnection';
import { buildImage, EngineStoppedError } from '../../src/core/docker/imageBuild';
import { requireTool, waitFor } from '../support/tools';

// A Docker daemon that dies in the middle of a build, then comes back. The daemon is this test's
// own (its own socket, data root, exec root and pidfile), never the machine's shared engine.

/** One sentence for a person: no stack, no newline, ends with a full stop. */
function assertOneSentence(message: string): void {
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  assert.ok(!/\bat .*\.(js|ts):\d+/.test(message), `no stack: ${message}`);
  assert.match(message, /\.$/, `a full sentence: ${message}`);
}

class OwnDaemon {
  child: ChildProcess | undefined;
  log = '';
  constructor(readonly root: string) {}

  get socket(): string {
    return join(this.root, 'docker.sock');
  }

  start(): void {
    const args = [
      '-H',
      `unix://${this.socket}`,
      '--data-root',
      join(this.root, 'data'),
      '--exec-root',
      join(this.root, 'exec'),
      '--pidfile',
      join(this.root, 'docker.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
    ];
    this.child = spawn('dockerd', args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const collect = (data: Buffer): void => {
      this.log = (this.log + data.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
  }

  /** Kills dockerd with SIGKILL (a crash, not a shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Its containerd goes with it (parent-death signal); a restart before that finds a dying one.
    // The build container's shim outlives both, as after a real crash: the restarted daemon
    // cleans it up. The orphaned containerd is reaped by init, which on some machines (minimal
    // container inits) never happens: its zombie keeps the pid in containerd.pid "alive" for the
    // restarted daemon, which would wait for it forever. A service manager reaps it; here the test does.
    const containerdPidFile = join(this.root, 'exec', 'containerd', 'containerd.pid');
    const state = (): string | undefined => {
      if (!existsSync(containerdPidFile)) return '';
      const pid = readFileSync(containerdPidFile, 'utf8').trim();
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] ?? '';
      } catch {
        return '';
      }
    };
    await waitFor("the killed daemon's containerd to exit", () => (state() === '' || state() === 'Z' ? true : undefined), 30_000);
    rmSync(containerdPidFile, { force: true });
  }

  /** A clean shutdown (SIGTERM: the daemon stops its containers and unmounts). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** Processes started for this daemon that outlived it (containerd, shims, the build's sleep). */
  leftovers(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const cmdline = readFileSync(join('/proc', entry, 'cmdline'), 'utf8');
        if (cmdline.includes(this.root)) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  }
}

test('the Docker daemon killed mid-build: the build ends with one sentence, and after a restart the same connection builds', async (t) => {
  if (!requireTool(t, 'dockerd', 'apt-get install -y docker.io')) return;
  if (!existsSync('/bin/busybox')) {
    if (process.env.CI === 'true') throw new Error('/bin/busybox is missing (apt-get install -y busybox-static)');
    t.skip('/bin/busybox is missing: apt-get install -y busybox-static');
    return;
  }
  // Short: a unix socket path is limited to 108 bytes.
  const root = mkdtempSync('/tmp/mlops-dr-');
  const daemon = new OwnDaemon(root);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  // The connection object the extension keeps for the window's lifetime (and the CLI for its run).
  const connection = new EngineConnection(() => ({ env: {}, home: root, host: `unix://${daemon.socket}` }));
  try {
    const context = join(root, 'context');
    mkdirSync(context);
    copyFileSync('/bin/busybox', join(context, 'busybox'));
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "30"]\n');

    daemon.start();
    const first = await waitFor('the test daemon to answer', () => connection.connect().catch(() => undefined), 60_000, 200);
    let running = false;
    const log: string[] = [];
    const build = buildImage(
      first.docker,
      first.where,
      { context, dockerfile: join(context, 'Dockerfile'), tags: ['mlops-restart:interrupted'] },
      { log: (text) => log.push(text), step: (s) => (running = s.step === 3) },
    );
    let settledAt = 0;
    const outcome = build.then(
      (result) => ((settledAt = Date.now()), { result, error: undefined }),
      (error: unknown) => ((settledAt = Date.now()), { result: undefined, error }),
    );
    await waitFor('the RUN step to start its container', () => (running && log.join('').includes('Running in') ? true : undefined), 60_000);
    const killedAt = Date.now();
    await daemon.kill();

    // The build settles (a hang would time out here) with an error, not an image.
    const settled = await waitFor('the interrupted build to settle', () => Promise.race([outcome, Promise.resolve(undefined)]), 30_000);
    t.diagnostic(`the build settled ${settledAt - killedAt} ms after the daemon was sent SIGKILL`);
    assert.equal(settled.result, undefined, 'an interrupted build is not reported as built');
    const error = settled.error as Error;
    assert.ok(error instanceof EngineStoppedError, `the engine-stopped error, got ${String(error)}`);
    assertOneSentence(error.message);
    assert.equal(
      error.message,
      `The Docker Engine at unix://${daemon.socket} stopped answering during the build at step 3/3 (RUN ["/bin/busybox", "sleep", "30"]), so no image was made: check that it is running (start it again if it stopped), then build again.`,
    );

    // While the daemon is down the same connection says so in its one sentence.
    await assert.rejects(connection.connect(), (e: unknown) => e instanceof EngineUnreachableError && /not reachable/.test(e.message));

    daemon.start();
    const again = await waitFor('the restarted daemon to answer', () => connection.connect().catch(() => undefined), 60_000, 200);
    assert.equal(again.docker, first.docker, 'the client kept from before the crash is the one that answers');
    // No partial state claimed as success: the interrupted tag does not exist.
    await assert.rejects(again.docker.getImage('mlops-restart:interrupted').inspect(), (e: unknown) => {
      assert.equal((e as { statusCode?: number }).statusCode, 404);
      return true;
    });
    // The interrupted build's container does not live on in the restarted engine.
    await waitFor('no container left running', async () => ((await again.docker.listContainers()).length === 0 ? true : undefined), 30_000);
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "true"]\n');
    const rebuildStarted = Date.now();
    const built = await buildImage(again.docker, again.where, {
      context,
      dockerfile: join(context, 'Dockerfile'),
      tags: ['mlops-restart:after'],
    });
    t.diagnostic(`the build after the restart took ${Date.now() - rebuildStarted} ms`);
    const image = await again.docker.getImage('mlops-restart:after').inspect();
    assert.equal(image.Id, built.imageId.startsWith('sha256:') ? built.imageId : `sha256:${built.imageId}`);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  } catch (error) {
    throw new Error(`${String(error)}\nthe test daemon said:\n${daemon.log.slice(-3000)}`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await daemon.stop();
    for (const pid of daemon.leftovers()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // A killed daemon leaves its mounts (the data root's bind mount, the build layer's overlay).
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((path) => path.startsWith(root))
      .sort((a, b) => b.length - a.length);
    for (const path of mounts) {
      try {
        execFileSync('umount', ['-l', path], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    try {
      rmSync(root, { recursive: true, force: true });
    } catch (error) {
      t.diagnostic(`could not remove ${root}: ${String(error)}`);
    }
  }
});
