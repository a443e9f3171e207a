/**
 * How long dvc.yaml validation takes, ours against Red Hat's yaml-language-server given the same
 * JSON schema (schemas/dvc.schema.json), on the same generated dvc.yaml (N stages, each with cmd,
 * 3 deps, 3 params, 1 out and 1 metric; stage N/2 has one unknown key).
 *
 * Measured, per repetition with fresh server processes (so every open is cold):
 * - in-process: `validateFile` on the file (structure, params, graph: every check the editor shows),
 *   with the parse caches emptied first;
 * - our server over stdio: didOpen → the pull-diagnostics answer, then a full-text didChange that
 *   adds a second unknown key → the next answer;
 * - yaml-language-server 1.x over stdio: didOpen → first publishDiagnostics, didChange → next one
 *   (its fixed 200 ms validation debounce included, as an editor sees it);
 * - ours only: the first open in the next session, a fresh server given the snapshot folder the
 *   last one wrote at shutdown (as the extension gives it one), against the peer's open;
 * - typing a new key into the last stage, one keystroke at a time (`typed_key: 1`, 12 changes, each
 *   waiting for its diagnostics): the keystrokes before the colon leave the file without valid YAML;
 *   the median keystroke is reported;
 * - peak RSS (VmHWM) of each server process after the edit.
 *
 *   node scripts/build.mjs
 *   npx esbuild bench/validate.bench.ts --bundle --platform=node --outfile=out/bench/validate.bench.js
 *   node out/bench/validate.bench.js [--stages 100,1000,5000] [--reps 5]
 *
 * yaml-language-server is installed once into a cache folder of the system's temp directory (npm).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { clearPipelineCache } from '../src/core/pipeline/dvcPipeline';
import { clearIncrementalDvc } from '../src/core/validation/dvcIncremental';
import { validateFile } from '../src/core/validation/validateFile';
import { clearParseCache } from '../src/core/yaml/parseYaml';

const repoRoot = resolve(__dirname, '..', existsSync(resolve(__dirname, '..', 'package.json')) ? '' : '..');
const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const SIZES = arg('--stages', '1000')
  .split(',')
  .map((n) => Number(n));
const REPS = Number(arg('--reps', '5'));
const DEADLINE_MS = 180_000;

function generate(stages: number): { dir: string; text: string; edited: string } {
  const dir = mkdtempSync(join(tmpdir(), `mlops-bench-${stages}-`));
  const result = generateIn(dir, stages);
  // A second project with the same files, opened in the same server to time a warm open.
  mkdirSync(join(dir, 'copy'));
  generateIn(join(dir, 'copy'), stages);
  return result;
}

function generateIn(dir: string, stages: number): { dir: string; text: string; edited: string } {
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'src', 'common.py'), '');
  writeFileSync(join(dir, 'src', 'stage.py'), '');
  writeFileSync(join(dir, 'data', 'raw.csv'), 'a\n');
  const groups = Math.ceil(stages / 10);
  const params: string[] = [];
  for (let g = 0; g < groups; g++) {
    params.push(`group_${g}:`);
    for (let k = 0; k < 10; k++) params.push(`  stage_${k}:`, `    lr: 0.0${k + 1}`, `    depth: ${k + 2}`, `    seed: ${g * 10 + k}`);
  }
  writeFileSync(join(dir, 'params.yaml'), `${params.join('\n')}\n`);
  const lines = ['stages:'];
  for (let i = 0; i < stages; i++) {
    const key = `group_${Math.floor(i / 10)}.stage_${i % 10}`;
    lines.push(
      `  stage_${String(i).padStart(5, '0')}:`,
      `    cmd: python src/stage.py --index ${i}`,
      '    deps:',
      '      - src/common.py',
      '      - src/stage.py',
      `      - ${i === 0 ? 'data/raw.csv' : `data/out_${i - 1}.csv`}`,
      '    params:',
      `      - ${key}.lr`,
      `      - ${key}.depth`,
      `      - ${key}.seed`,
      '    outs:',
      `      - data/out_${i}.csv`,
      '    metrics:',
      `      - metrics/stage_${i}.json:`,
      '          cache: false',
    );
    if (i === Math.floor(stages / 2)) lines.push('    bogus_key: 1');
  }
  const text = `${lines.join('\n')}\n`;
  writeFileSync(join(dir, 'dvc.yaml'), text);
  return { dir, text, edited: `${text}    another_bogus: 2\n` };
}

/** The texts of typing `typed_key: 1` into the last stage, one keystroke at a time. */
function typing(base: string): string[] {
  const key = 'typed_key: 1';
  return Array.from({ length: key.length }, (_, i) => `${base}    ${key.slice(0, i + 1)}\n`);
}

interface Server {
  process: ChildProcessWithoutNullStreams;
  connection: ProtocolConnection;
}

function start(command: string[], onRequest: (connection: ProtocolConnection) => void): Server {
  const child = spawn(process.execPath, command, { stdio: 'pipe' });
  child.stderr.resume();
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  onRequest(connection);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  return { process: child, connection };
}

async function stop(server: Server): Promise<void> {
  try {
    await Promise.race([server.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
    await server.connection.sendNotification('exit');
  } catch {
    // Killed below either way.
  }
  server.connection.dispose();
  server.process.kill();
}

function peakRssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
}

async function waitUntil(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const initializeParams = (dir: string): object => ({
  processId: process.pid,
  rootUri: pathToFileURL(dir).href,
  workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
  capabilities: {
    workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, diagnostics: { refreshSupport: true } },
    textDocument: { publishDiagnostics: {}, diagnostic: {} },
  },
});

interface Timing {
  open: number;
  edit: number;
  /** A second document with the same text, opened in the same (warm) server. */
  warm: number;
  /** Median of the keystrokes typing a new key, each didChange → its diagnostics. */
  typing: number;
  /** Ours: the first open in the next session (a fresh server with the snapshot the last one left). */
  reopen?: number;
  /** What the open reported (one unknown key: ideally one diagnostic). */
  reported: string[];
  rss: number;
}

/** Our server as the extension starts it: with a folder for the snapshots it keeps between sessions. */
async function startOurs(dir: string, snapshotFolder: string): Promise<Server> {
  const server = start([join(repoRoot, 'dist', 'server.js'), '--stdio'], (c) => {
    c.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => ({})));
    c.onRequest('client/registerCapability', () => null);
    c.onRequest('workspace/diagnostic/refresh', () => null);
  });
  await server.connection.sendRequest('initialize', { ...initializeParams(dir), initializationOptions: { snapshotFolder } });
  await server.connection.sendNotification('initialized', {});
  return server;
}

async function ours(dir: string, text: string, edited: string): Promise<Timing> {
  // A new folder each repetition: the first open has no snapshot of an earlier session.
  const snapshotFolder = mkdtempSync(join(tmpdir(), 'mlops-bench-snapshots-'));
  const server = await startOurs(dir, snapshotFolder);
  const uri = pathToFileURL(join(dir, 'dvc.yaml')).href;
  const pull = async (): Promise<Diagnostic[]> =>
    ((await server.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;
  let started = performance.now();
  await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  let items = await pull();
  const open = performance.now() - started;
  const reported = items.map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  if (!items.some((d) => d.message.includes('bogus_key')))
    throw new Error(`our server missed bogus_key: ${JSON.stringify(items.slice(0, 3))}`);
  started = performance.now();
  await server.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: edited }],
  });
  items = await pull();
  const edit = performance.now() - started;
  if (!items.some((d) => d.message.includes('another_bogus'))) throw new Error('our server missed another_bogus');
  const second = pathToFileURL(join(dir, 'copy', 'dvc.yaml')).href;
  started = performance.now();
  await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: second, languageId: 'yaml', version: 1, text } });
  items = ((await server.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: second } })) as { items: Diagnostic[] })
    .items;
  const warm = performance.now() - started;
  if (items.length !== 1) throw new Error(`our server: ${items.length} findings on the warm open`);
  const keystrokes: number[] = [];
  for (const [index, text] of typing(edited).entries()) {
    started = performance.now();
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 + index },
      contentChanges: [{ text }],
    });
    items = await pull();
    keystrokes.push(performance.now() - started);
  }
  if (!items.some((d) => d.message.includes('typed_key'))) throw new Error('our server missed typed_key');
  const rss = peakRssMb(server.process.pid);
  await stop(server);
  // The next session: a fresh server opens the file as the last one left it.
  const expected = JSON.stringify(items);
  const next = await startOurs(dir, snapshotFolder);
  const last = typing(edited).at(-1) ?? edited;
  started = performance.now();
  await next.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: last } });
  items = ((await next.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items;
  const reopen = performance.now() - started;
  if (JSON.stringify(items) !== expected) throw new Error('our server reported otherwise after a restart');
  await stop(next);
  return { open, edit, warm, typing: median(keystrokes), reopen, rss, reported };
}

function yamlLanguageServer(): string {
  const cache = join(tmpdir(), 'mlops-bench-yaml-language-server');
  const bin = join(cache, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
  if (!existsSync(bin)) {
    mkdirSync(cache, { recursive: true });
    if (!existsSync(join(cache, 'package.json'))) writeFileSync(join(cache, 'package.json'), '{"private": true}\n');
    console.log('installing yaml-language-server@1 for the comparison…');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', 'yaml-language-server@1'], { cwd: cache, stdio: 'inherit' });
  }
  return bin;
}

async function peer(bin: string, dir: string, text: string, edited: string): Promise<Timing> {
  const schema = pathToFileURL(join(repoRoot, 'schemas', 'dvc.schema.json')).href;
  const yaml = { validate: true, schemas: { [schema]: ['dvc.yaml', '**/dvc.yaml'] }, schemaStore: { enable: false } };
  let yamlPulls = 0;
  const published: Diagnostic[][] = [];
  const forUri: { uri: string; diagnostics: Diagnostic[] }[] = [];
  const server = start([bin, '--stdio'], (c) => {
    c.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((item) => {
        if (item.section === 'yaml') {
          yamlPulls++;
          return yaml;
        }
        return {};
      }),
    );
    c.onRequest('client/registerCapability', () => null);
    c.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      published.push(p.diagnostics);
      forUri.push(p);
    });
  });
  const uri = pathToFileURL(join(dir, 'dvc.yaml')).href;
  await server.connection.sendRequest('initialize', initializeParams(dir));
  await server.connection.sendNotification('initialized', {});
  await server.connection.sendNotification('workspace/didChangeConfiguration', { settings: { yaml } });
  await waitUntil('yaml-language-server to pull its settings', () => yamlPulls >= 2);
  await new Promise((r) => setTimeout(r, 300));
  published.length = 0;
  let started = performance.now();
  await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  await waitUntil('diagnostics after open', () => published.length > 0);
  const open = performance.now() - started;
  const reported = (published[0] ?? []).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  if (!published[0]?.some((d) => d.message.includes('bogus_key')))
    throw new Error(`yaml-language-server missed bogus_key: ${JSON.stringify(published[0]?.slice(0, 3))}`);
  published.length = 0;
  started = performance.now();
  await server.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: edited }],
  });
  await waitUntil('diagnostics after edit', () => published.length > 0);
  const edit = performance.now() - started;
  if (!published[0]?.some((d) => d.message.includes('another_bogus'))) throw new Error('yaml-language-server missed another_bogus');
  published.length = 0;
  const second = pathToFileURL(join(dir, 'copy', 'dvc.yaml')).href;
  started = performance.now();
  await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: second, languageId: 'yaml', version: 1, text } });
  await waitUntil('diagnostics after the warm open', () => published.length > 0);
  const warm = performance.now() - started;
  const keystrokes: number[] = [];
  let last: Diagnostic[] = [];
  for (const [index, text] of typing(edited).entries()) {
    forUri.length = 0;
    started = performance.now();
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 + index },
      contentChanges: [{ text }],
    });
    await waitUntil('diagnostics after a keystroke', () => forUri.some((p) => p.uri === uri));
    keystrokes.push(performance.now() - started);
    last = forUri.find((p) => p.uri === uri)?.diagnostics ?? [];
  }
  if (!last.some((d) => d.message.includes('typed_key'))) throw new Error('yaml-language-server missed typed_key');
  const rss = peakRssMb(server.process.pid);
  await stop(server);
  return { open, edit, warm, typing: median(keystrokes), rss, reported };
}

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  return `${median.toFixed(1)} [${(sorted[0] ?? NaN).toFixed(1)}–${(sorted[sorted.length - 1] ?? NaN).toFixed(1)}]`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  if (!existsSync(join(repoRoot, 'dist', 'server.js')))
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'inherit' });
  const bin = yamlLanguageServer();
  console.log(`node ${process.version}, ${REPS} repetitions, median [min–max] in ms; peak RSS in MB`);
  for (const size of SIZES) {
    const { dir, text, edited } = generate(size);
    const file = join(dir, 'dvc.yaml');
    const inProcess: number[] = [];
    const ourRuns: Timing[] = [];
    const peerRuns: Timing[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      // Without the parses kept from the repetition before: a validation of a text not seen yet.
      clearParseCache();
      clearPipelineCache();
      clearIncrementalDvc();
      const started = performance.now();
      const findings = await validateFile(file);
      inProcess.push(performance.now() - started);
      if (findings.length !== 1)
        throw new Error(
          `expected one finding, got ${findings.length}: ${findings
            .slice(0, 3)
            .map((f) => f.message)
            .join(' | ')}`,
        );
      ourRuns.push(await ours(dir, text, edited));
      peerRuns.push(await peer(bin, dir, text, edited));
    }
    const ourOpen = median(ourRuns.map((r) => r.open));
    const peerOpen = median(peerRuns.map((r) => r.open));
    const ourEdit = median(ourRuns.map((r) => r.edit));
    const peerEdit = median(peerRuns.map((r) => r.edit));
    const ourWarm = median(ourRuns.map((r) => r.warm));
    const peerWarm = median(peerRuns.map((r) => r.warm));
    console.log(`\ndvc.yaml with ${size} stages (${(text.length / 1024).toFixed(0)} kB)`);
    console.log(`  ours, in-process validateFile       ${stats(inProcess)}`);
    console.log(`  ours, server: open → diagnostics    ${stats(ourRuns.map((r) => r.open))}`);
    console.log(`  ours, server: edit → diagnostics    ${stats(ourRuns.map((r) => r.edit))}`);
    console.log(`  ours, server: warm open (2nd file)  ${stats(ourRuns.map((r) => r.warm))}`);
    console.log(`  ours, server: typing, per keystroke ${stats(ourRuns.map((r) => r.typing))}`);
    console.log(`  ours, next session: first open     ${stats(ourRuns.map((r) => r.reopen ?? NaN))}`);
    console.log(`  ours, server peak RSS               ${stats(ourRuns.map((r) => r.rss))}`);
    console.log(`  yaml-language-server: open          ${stats(peerRuns.map((r) => r.open))}`);
    console.log(`  yaml-language-server: edit          ${stats(peerRuns.map((r) => r.edit))}`);
    console.log(`  yaml-language-server: warm open     ${stats(peerRuns.map((r) => r.warm))}`);
    console.log(`  yaml-language-server: per keystroke ${stats(peerRuns.map((r) => r.typing))}`);
    console.log(`  diagnostics for the one unknown key, ours: ${JSON.stringify(ourRuns[0]?.reported)}`);
    console.log(`  diagnostics for the one unknown key, yaml-language-server: ${JSON.stringify(peerRuns[0]?.reported)}`);
    console.log(`  yaml-language-server peak RSS       ${stats(peerRuns.map((r) => r.rss))}`);
    console.log(
      `  ratio ours / yaml-language-server: open ${(ourOpen / peerOpen).toFixed(2)}, edit ${(ourEdit / peerEdit).toFixed(2)}, warm open ${(ourWarm / peerWarm).toFixed(2)}, keystroke ${(median(ourRuns.map((r) => r.typing)) / median(peerRuns.map((r) => r.typing))).toFixed(2)}, next session's open ${(median(ourRuns.map((r) => r.reopen ?? NaN)) / peerOpen).toFixed(2)}` +
        ` (without its 200 ms debounce: open ${(ourOpen / Math.max(1, peerOpen - 200)).toFixed(2)}, edit ${(ourEdit / Math.max(1, peerEdit - 200)).toFixed(2)})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
