import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { copyExampleProject } from '../../support/exampleProject';
import { fixtureSeeds, fuzzCount, mutatedInputs, prng, type Seed } from '../../support/fuzzInputs';
import { repoRoot } from '../../support/tools';

// The built language server, over stdio exactly as an editor drives it, fed broken documents
// through didOpen/didChange; every request must be answered within its deadline, the diagnostics
// must lie inside the document, and the process must stay alive to the end.

const REQUEST_DEADLINE_MS = 5_000;

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

/** A minimal LSP client: Content-Length framing, requests with deadlines, server requests answered with null. */
class StdioClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (m: Message) => void>();
  readonly stderr: string[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    child.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8')) as Message;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      if (message.method !== undefined && message.id !== undefined) this.send({ id: message.id, result: null });
      else if (message.id !== undefined) this.pending.get(message.id)?.(message);
    }
  }

  private send(message: object): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Resolves with the answer and how long it took; rejects when no answer comes within the deadline. */
  request<T>(method: string, params: unknown, deadlineMs = REQUEST_DEADLINE_MS): Promise<{ result: T; ms: number }> {
    const id = this.nextId++;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} was not answered within ${deadlineMs} ms`));
      }, deadlineMs);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (m.error) reject(new Error(`${method} failed: ${m.error.message}`));
        else resolve({ result: m.result as T, ms: performance.now() - started });
      });
      this.send({ id, method, params });
    });
  }
}

interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  message: string;
}

function outsideDocument(text: string, diagnostics: Diagnostic[]): string[] {
  const lines = text.split('\n');
  const bad: string[] = [];
  for (const d of diagnostics) {
    for (const p of [d.range.start, d.range.end]) {
      if (p.line < 0 || p.line >= lines.length || p.character < 0 || p.character > (lines[p.line] ?? '').length) {
        bad.push(`${d.message} at ${p.line}:${p.character}`);
      }
    }
  }
  return bad;
}

test('the built language server answers every request on 200 broken documents and stays alive', { timeout: 120_000 }, async () => {
  const server = join(repoRoot, 'dist', 'server.js');
  if (!existsSync(server)) {
    const built = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
    assert.equal(built.status, 0, 'the build of dist/server.js failed');
  }
  const workspace = copyExampleProject({ git: false });
  const child = spawn(process.execPath, [server, '--stdio'], { cwd: workspace, stdio: ['pipe', 'pipe', 'pipe'] });
  const client = new StdioClient(child);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  try {
    await client.request('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).href,
      workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'wine-quality' }],
      capabilities: { textDocument: { diagnostic: {} } },
    });
    client.notify('initialized', {});

    const kinds: Array<[file: string, languageId: string, pattern: RegExp]> = [
      ['dvc.yaml', 'yaml', /dvc\.yaml$/],
      ['params.yaml', 'yaml', /params\.yaml$/],
      ['schema.yaml', 'yaml', /schema\.yaml$/],
      ['MLproject', 'mlproject', /MLproject$/],
    ];
    const seeds = fixtureSeeds();
    const total = fuzzCount(200);
    const random = prng(99);
    let requests = 0;
    let slowest = 0;
    const problems: string[] = [];
    for (let n = 0; n < total; n++) {
      const [file, languageId, pattern] = kinds[n % kinds.length] as (typeof kinds)[number];
      const own: Seed[] = seeds.filter((s) => pattern.test(s.name));
      const [first, second] = mutatedInputs(own.length > 0 ? own : seeds, 2, 500 + n);
      const uri = pathToFileURL(join(workspace, file)).href;
      const texts = [first?.text ?? '', second?.text ?? ''];
      client.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text: texts[0] } });
      for (let version = 1; version <= 2; version++) {
        const text = texts[version - 1] as string;
        if (version === 2) client.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
        const lines = text.split('\n');
        const line = Math.floor(random() * lines.length);
        const position = { line, character: Math.floor(random() * ((lines[line] ?? '').length + 1)) };
        const answers = await Promise.allSettled([
          client.request<{ items: Diagnostic[] }>('textDocument/diagnostic', { textDocument: { uri } }),
          client.request('textDocument/hover', { textDocument: { uri }, position }),
          client.request('textDocument/completion', { textDocument: { uri }, position }),
          client.request('textDocument/references', { textDocument: { uri }, position, context: { includeDeclaration: true } }),
          client.request('textDocument/prepareRename', { textDocument: { uri }, position }),
          client.request('textDocument/rename', { textDocument: { uri }, position, newName: 'renamed' }),
        ]);
        for (const answer of answers) {
          requests++;
          // Rename on something that is not a param key is refused with a sentence: an answer.
          const refusal =
            answer.status === 'rejected' &&
            /Rename and references work on params keys|cannot be a param key|already has/.test(String(answer.reason));
          if (answer.status === 'rejected' && !refusal) problems.push(`${file} #${n}: ${String(answer.reason)}`);
          else if (answer.status === 'fulfilled') slowest = Math.max(slowest, answer.value.ms);
        }
        const diagnostics = answers[0]?.status === 'fulfilled' ? (answers[0].value.result as { items: Diagnostic[] }).items : [];
        for (const bad of outsideDocument(text, diagnostics)) problems.push(`${file} #${n}: diagnostic outside the document: ${bad}`);
      }
      client.notify('textDocument/didClose', { textDocument: { uri } });
      if (exited !== undefined) break;
    }
    console.log(`# fuzz language server: ${total} documents, ${requests} requests, slowest answer ${Math.round(slowest)} ms`);
    assert.equal(exited, undefined, `the server exited: ${client.stderr.join('')}`);
    assert.deepEqual(problems.slice(0, 10), []);
    await client.request('shutdown', null);
    client.notify('exit', null);
    const deadline = Date.now() + 5_000;
    while (exited === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(exited, 0, 'the server exits cleanly after shutdown');
  } finally {
    if (exited === undefined) child.kill();
  }
});
