import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, test } from 'node:test';
import { connectEngine } from '../../src/core/docker/engineConnection';
import { pushImage } from '../../src/core/docker/imagePush';
import { listRepositories, listTags } from '../../src/core/docker/registryCatalog';
import { MlflowRestSource } from '../../src/core/runs/mlflowRestSource';

// Credentials given to the core go to servers that refuse them (401), fail (500), or even echo the
// request back. Whatever happens, the secret must not show up in an error message, a thrown error
// (its stack, its properties), a progress line or anything printed while the call runs.

const PASSWORD = 'pa55-Secret-Sentinel-7f3a9c';
const TOKEN = 'tok-Bearer-Sentinel-1b2d4e';
const USER = 'alice';
const secrets = [PASSWORD, TOKEN, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), Buffer.from(PASSWORD).toString('base64')];

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler, socketPath?: string): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => (socketPath ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve)));
  if (socketPath) return socketPath;
  const address = server.address();
  return typeof address === 'object' && address ? `127.0.0.1:${address.port}` : '';
}

/**
 * Everything the call could leak through: its result or error in full, and what it logs. (The test
 * runner reports over stdout, so console is captured rather than the raw streams.)
 */
async function captured(run: () => Promise<unknown>): Promise<string> {
  const out: string[] = [];
  const originals = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
  for (const name of Object.keys(originals) as Array<keyof typeof originals>)
    console[name] = (...args: unknown[]) => out.push(args.map((a) => inspect(a)).join(' '));
  try {
    const result = await run();
    out.push(inspect(result, { depth: 10 }));
  } catch (error) {
    out.push(String(error), (error as Error)?.stack ?? '', inspect(error, { depth: 10, showHidden: true }), JSON.stringify(error) ?? '');
  } finally {
    Object.assign(console, originals);
  }
  return out.join('\n');
}

function assertNoSecret(what: string, text: string): void {
  for (const secret of secrets)
    assert.ok(
      !text.includes(secret),
      `${what} leaked a secret: ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50)}`,
    );
}

/** Tells back what it was sent, the way a misconfigured proxy's error page does. */
const echo: Handler = (req, res, body) => {
  res.writeHead(500, { 'content-type': 'text/plain' });
  res.end(`upstream error for ${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
};

test('the MLflow REST source never shows the password or token of a server that refuses, fails or echoes', async () => {
  const cases: Array<[string, Handler]> = [
    [
      '401',
      (_req, res) => (res.writeHead(401, { 'www-authenticate': 'Basic realm="mlflow"' }), res.end('{"error_code":"UNAUTHENTICATED"}')),
    ],
    ['500', (_req, res) => (res.writeHead(500), res.end('{"error_code":"INTERNAL_ERROR","message":"boom"}'))],
    ['echo', echo],
    [
      'not json',
      (req, res) => (res.writeHead(200, { 'content-type': 'text/html' }), res.end(`<html>${JSON.stringify(req.headers)}</html>`)),
    ],
  ];
  let checked = 0;
  for (const [name, handler] of cases) {
    const host = await serve(handler);
    const sources = [
      new MlflowRestSource(`http://${host}`, { credentials: { kind: 'basic', username: USER, password: PASSWORD } }),
      new MlflowRestSource(`http://${host}`, { credentials: { kind: 'bearer', token: TOKEN } }),
      new MlflowRestSource(`http://${USER}:${PASSWORD}@${host}`),
    ];
    for (const source of sources) {
      assertNoSecret(`label (${name})`, source.label);
      const text = await captured(() => source.listRuns());
      assert.match(text, /MLflow server|server at/, `${name}: the error names the server`);
      assertNoSecret(`listRuns against ${name}`, text);
      assertNoSecret(`metricHistory against ${name}`, await captured(() => source.metricHistory('mlflow:abc', 'acc')));
      checked++;
    }
  }
  console.log(`# secrets: MLflow REST source, ${checked} source/server pairs (401, 500, echo, not JSON), no secret in any output`);
});

test('registry browsing never shows the password of a registry that refuses, fails or echoes', async () => {
  const tokenServer = await serve((_req, res) => (res.writeHead(500), res.end('token service down')));
  const cases: Array<[string, Handler]> = [
    [
      '401 basic',
      (_req, res) => (
        res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }),
        res.end('{"errors":[{"code":"UNAUTHORIZED"}]}')
      ),
    ],
    [
      '401 bearer, token service 500',
      (_req, res) => (
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokenServer}/token",service="r",scope="registry:catalog:*"` }),
        res.end()
      ),
    ],
    ['500', (_req, res) => (res.writeHead(500), res.end('internal'))],
    ['echo', echo],
  ];
  for (const [name, handler] of cases) {
    const registry = await serve(handler);
    const credentials = { username: USER, password: PASSWORD, from: 'test' };
    const listed = await captured(() => listRepositories(registry, credentials));
    assert.match(listed, /registry/, `${name}: a sentence about the registry`);
    assertNoSecret(`listRepositories against ${name}`, listed);
    assertNoSecret(`listTags against ${name}`, await captured(() => listTags(registry, 'mlops/x', credentials)));
  }
});

test('an image push through an engine that reports 401 or 500 never shows the registry password', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'mlops-engine-')), 'engine.sock');
  let answer: 'stream-401' | 'http-500' | 'stream-500' = 'stream-401';
  let sawAuth = false;
  await serve((req, res) => {
    if (!req.url?.includes('/push')) return void (res.writeHead(404), res.end('{"message":"page not found"}'));
    sawAuth =
      sawAuth ||
      (req.headers['x-registry-auth'] !== undefined &&
        Buffer.from(String(req.headers['x-registry-auth']), 'base64').toString().includes(PASSWORD));
    if (answer === 'http-500') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ message: 'Get "https://127.0.0.1:5999/v2/": http: server gave HTTP response to HTTPS client' }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify({ status: 'The push refers to repository [127.0.0.1:5999/mlops/secret-test]' })}\n`);
    res.write(`${JSON.stringify({ id: '0123456789ab', status: 'Preparing' })}\n`);
    const message =
      answer === 'stream-401' ? 'unauthorized: authentication required' : 'received unexpected HTTP status: 500 Internal Server Error';
    res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
  }, socket);
  const docker = connectEngine({ options: { socketPath: socket }, where: socket });
  for (const kind of ['stream-401', 'http-500', 'stream-500'] as const) {
    answer = kind;
    const logs: string[] = [];
    const text = await captured(() =>
      pushImage(
        docker,
        socket,
        '127.0.0.1:5999/mlops/secret-test:v1',
        { username: USER, password: PASSWORD, from: 'test' },
        { log: (line) => logs.push(line) },
      ),
    );
    assert.match(text, /registry|push/i, `${kind}: a sentence about the push`);
    assertNoSecret(`push (${kind})`, `${text}\n${logs.join('')}`);
  }
  assert.ok(sawAuth, 'the engine was given the credentials, so there was something to leak');
});

test('an engine whose error echoes the X-Registry-Auth header does not get the password into the push error', async () => {
  const socket = join(mkdtempSync(join(tmpdir(), 'mlops-engine-')), 'engine.sock');
  await serve((req, res) => {
    const sent = Buffer.from(String(req.headers['x-registry-auth'] ?? ''), 'base64').toString();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `login failed with ${sent}` }));
  }, socket);
  const docker = connectEngine({ options: { socketPath: socket }, where: socket });
  const text = await captured(() =>
    pushImage(docker, socket, '127.0.0.1:5999/mlops/echo:v1', { username: USER, password: PASSWORD, from: 'test' }),
  );
  assertNoSecret('push through an echoing engine', text);
});
