import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MlflowRestSource } from '../../../src/core/runs/mlflowRestSource';

describe('MLflow REST source failures', () => {
  let server: Server;
  let base = '';
  const seenAuthorization: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      seenAuthorization.push(req.headers.authorization ?? '');
      const status = Number(/\/status\/(\d+)\//.exec(req.url ?? '')?.[1] ?? 200);
      if (req.url?.includes('/slow/')) return; // never answers
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'X', message: `echo ${req.headers.authorization ?? ''}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const cases: [number, RegExp][] = [
    [401, /did not accept the credentials \(401\); set the user name and password or token again\.$/],
    [403, /does not let this account read experiments \(403\)/],
    [404, /has no MLflow REST API at \/api\/2\.0\/mlflow \(404\); check the tracking URI\.$/],
    [500, /failed with an internal error \(500\); check the server's log, then refresh\.$/],
  ];
  for (const [status, message] of cases) {
    it(`turns HTTP ${status} into one sentence without the secret`, async () => {
      const source = new MlflowRestSource(`${base}/status/${status}/`, {
        credentials: { kind: 'basic', username: 'ann', password: 's3cret-pw' },
      });
      const error = await source.listRuns().then(
        () => assert.fail('expected a failure'),
        (e: Error) => e,
      );
      assert.match(error.message, message);
      assert.match(error.message, /^The MLflow server at http:\/\/127\.0\.0\.1:\d+\/status/);
      assert.doesNotMatch(error.message, /s3cret|YW5uOnMzY3JldC1wdw/);
    });
  }

  it('sends bearer tokens and credentials from the URI, and never shows them', async () => {
    seenAuthorization.length = 0;
    await new MlflowRestSource(`${base}/status/401/`, { credentials: { kind: 'bearer', token: 'tok-123' } })
      .listRuns()
      .catch(() => undefined);
    const fromUri = new MlflowRestSource(`http://ann:pw@127.0.0.1:${new URL(base).port}/status/401/`);
    assert.doesNotMatch(fromUri.label, /ann|pw/);
    await fromUri.listRuns().catch((e: Error) => assert.doesNotMatch(e.message, /ann:pw/));
    assert.deepEqual(seenAuthorization, ['Bearer tok-123', `Basic ${Buffer.from('ann:pw').toString('base64')}`]);
  });

  it('says when the server is unreachable or too slow', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      new MlflowRestSource(`http://127.0.0.1:${port}`).listRuns(),
      /^Error: The MLflow server at http:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\); start it or correct the tracking URI, then refresh\.$/,
    );
    await assert.rejects(
      new MlflowRestSource(`${base}/slow/`, { timeoutMs: 200 }).listRuns(),
      /did not answer within 200 ms; check that it is running and reachable, then refresh\.$/,
    );
  });
});
