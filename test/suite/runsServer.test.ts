import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

interface TreeLike {
  getRoots(): Promise<unknown[]>;
  getChildren(node?: unknown): Promise<unknown[]>;
  getTreeItem(node: unknown): vscode.TreeItem;
}

const repoRoot = resolve(__dirname, '..', '..', '..');

async function flatten(tree: TreeLike): Promise<{ item: vscode.TreeItem; depth: number; under: string }[]> {
  const rows: { item: vscode.TreeItem; depth: number; under: string }[] = [];
  const visit = async (node: unknown, depth: number, under: string): Promise<void> => {
    const item = tree.getTreeItem(node);
    rows.push({ item, depth, under });
    for (const child of await tree.getChildren(node)) await visit(child, depth + 1, depth === 0 ? String(item.label) : under);
  };
  for (const root of await tree.getRoots()) await visit(root, 0, '');
  return rows;
}

/**
 * The tracking server the setting points at: one loopback address whose behaviour the test
 * switches — accept and never answer, answer 500, or pass every request to a real `mlflow server`.
 */
class SwitchableServer {
  mode: 'hang' | 'fail' | 'real' = 'hang';
  upstream = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => this.answer(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    if (this.mode === 'hang') return; // the request is read, nothing is ever sent back
    if (this.mode === 'fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
      return;
    }
    const forwarded = request(
      {
        host: '127.0.0.1',
        port: this.upstream,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: `127.0.0.1:${this.upstream}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

describe('Runs view with a tracking server that does not answer', () => {
  let front: SwitchableServer | undefined;
  let mlflow: ChildProcess | undefined;
  let dir: string | undefined;
  after(async () => {
    const config = vscode.workspace.getConfiguration('mlops');
    await config.update('mlflow.trackingUri', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('mlflow.requestTimeout', undefined, vscode.ConfigurationTarget.Workspace);
    front?.close();
    if (mlflow?.pid && mlflow.exitCode === null) {
      const exited = new Promise((resolve) => mlflow?.once('exit', resolve));
      process.kill(-mlflow.pid, 'SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the hanging and the failing server on its own node within the timeout, the other sources list their runs, and a refresh lists the server runs once it answers', async function () {
    this.timeout(240_000);
    const mlflowBin = join(repoRoot, '.venv', 'bin', 'mlflow');
    assert.ok(existsSync(mlflowBin), 'MLflow is installed in .venv (npm run setup:python)');
    // The real server takes a while to start: it boots while the failure cases are checked.
    dir = mkdtempSync(join(tmpdir(), 'mlops-suite-mlflow-'));
    copyFileSync(join(repoRoot, 'test', 'fixtures', 'runs', 'mlflow.db'), join(dir, 'mlflow.db'));
    front = new SwitchableServer();
    const base = await front.listen();
    const upstreamServer = new SwitchableServer();
    const upstreamBase = await upstreamServer.listen();
    upstreamServer.close(); // only to pick a free port for mlflow
    front.upstream = Number(new URL(upstreamBase).port);
    mlflow = spawn(
      mlflowBin,
      [
        'server',
        '--host',
        '127.0.0.1',
        '--port',
        String(front.upstream),
        '--backend-store-uri',
        `sqlite:///${join(dir, 'mlflow.db')}`,
        '--default-artifact-root',
        join(dir, 'artifacts'),
        '--workers',
        '1',
      ],
      { cwd: dir, stdio: 'ignore', detached: true, env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' } },
    );

    const { runs } = await activateExtension<{ runs: TreeLike }>();
    // Another source of the example: a run record, as the runner writes it.
    const root = workspaceRoot().fsPath;
    mkdirSync(join(root, '.mlops', 'runs'), { recursive: true });
    writeFileSync(
      join(root, '.mlops', 'runs', '20261201T000000000Z-srv001.json'),
      JSON.stringify({
        id: '20261201T000000000Z-srv001',
        stages: ['train@server-test'],
        startTime: '2026-12-01T00:00:00.000Z',
        endTime: '2026-12-01T00:01:00.000Z',
        status: 'finished',
        exitCode: 0,
        params: {},
        metrics: { accuracy: 0.9 },
      }),
    );
    const config = vscode.workspace.getConfiguration('mlops');
    await config.update('mlflow.requestTimeout', 5, vscode.ConfigurationTarget.Workspace);
    await config.update('mlflow.trackingUri', base, vscode.ConfigurationTarget.Workspace);

    const serverNode = async (expect: (description: string) => boolean, refresh = true) => {
      if (refresh) await vscode.commands.executeCommand('mlops.refreshRuns');
      let said = '';
      try {
        return await waitFor(
          `the server node of ${base}`,
          async () => {
            const rows = await flatten(runs);
            const node = rows.find((r) => r.depth === 0 && r.item.label === base);
            said = String(node?.item.description);
            return node && expect(said) ? rows : undefined;
          },
          60_000,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; the node said: ${said}`);
      }
    };

    const started = Date.now();
    // While the server hangs, the other sources are already listed and the server's node waits.
    await vscode.commands.executeCommand('mlops.refreshRuns');
    const meanwhile = await waitFor('the run records listed while the server has not answered', async () => {
      const rows = await flatten(runs);
      const node = rows.find((r) => r.depth === 0 && r.item.label === base);
      return node?.item.description === 'waiting for the server…' && rows.some((r) => r.item.label === 'train@server-test')
        ? rows
        : undefined;
    });
    assert.equal((meanwhile.find((r) => r.depth === 0 && r.item.label === base)?.item.iconPath as vscode.ThemeIcon).id, 'loading~spin');
    // The same read, not a new refresh: the node turns into the sentence when the timeout ends it.
    const hanging = await serverNode((d) => /did not answer/.test(d), false);
    const waited = Date.now() - started;
    const hangNode = hanging.find((r) => r.depth === 0 && r.item.label === base);
    assert.equal(
      hangNode?.item.description,
      `The MLflow server at ${base} did not answer within 5 s; check that it is running and reachable, then refresh.`,
    );
    assert.equal(hangNode?.item.collapsibleState, vscode.TreeItemCollapsibleState.None, 'the failed source has no children');
    assert.ok(
      hanging.some((r) => r.item.label === 'train@server-test' && r.item.contextValue === 'run.workbench'),
      'the run records still list their run while the server hangs',
    );
    console.log(`runs server test: the hanging server's node said so ${waited} ms after the refresh (timeout 5 s)`);

    front.mode = 'fail';
    const failing = await serverNode((d) => /internal error/.test(d));
    assert.equal(
      failing.find((r) => r.depth === 0 && r.item.label === base)?.item.description,
      `The MLflow server at ${base} failed with an internal error (500); check the server's log, then refresh.`,
    );
    assert.ok(failing.some((r) => r.item.label === 'train@server-test'));

    await waitFor(
      'the real mlflow server to answer /health',
      async () => {
        if (mlflow?.exitCode !== null) throw new Error(`mlflow server exited with ${String(mlflow?.exitCode)}`);
        return (
          (await fetch(`http://127.0.0.1:${front?.upstream}/health`)
            .then((r) => r.ok)
            .catch(() => false)) || undefined
        );
      },
      180_000,
    );
    front.mode = 'real';
    // On a loaded machine a server that has just started can still be slower than the timeout for
    // its first answers: then the node says so again, and the next refresh is the one to look at.
    const answering = await waitFor(
      'a refresh that lists the server runs',
      () =>
        serverNode((d) => /^\d+ runs?$|did not answer/.test(d)).then((rows) =>
          /^\d+ runs?$/.test(String(rows.find((r) => r.depth === 0 && r.item.label === base)?.item.description)) ? rows : undefined,
        ),
      120_000,
    );
    const serverRuns = answering
      .filter((r) => r.under === base && r.item.contextValue?.startsWith('run.'))
      .map((r) => String(r.item.label))
      .sort();
    assert.deepEqual(serverRuns, ['crashed', 'train@logreg', 'train@rf']);
    assert.equal(answering.find((r) => r.depth === 0 && r.item.label === base)?.item.description, '3 runs');
    assert.ok(
      answering.some((r) => r.item.label === 'train@server-test'),
      'the other sources are still listed',
    );
  });
});
