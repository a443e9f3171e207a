import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type CompletionItem,
  type Diagnostic,
  type Hover,
  type Location,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { copyExampleProject } from '../support/exampleProject';
import { repoRoot, waitFor } from '../support/tools';

const serverJs = join(repoRoot, 'dist', 'server.js');

/** Newest modification time under a folder, to tell whether dist/server.js is older than its sources. */
function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

let server: ChildProcessWithoutNullStreams;
let connection: ProtocolConnection;
let dir: string;
let stderr = '';
let refreshes = 0;
let settings: Record<string, unknown> = {};
const configurationScopes: string[] = [];

const uri = (name: string): string => pathToFileURL(join(dir, name)).href;

before(async () => {
  if (
    !existsSync(serverJs) ||
    statSync(serverJs).mtimeMs < Math.max(newest(join(repoRoot, 'src', 'server')), newest(join(repoRoot, 'src', 'core')))
  ) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'pipe' });
  }
  dir = copyExampleProject({ git: false });
  server = spawn(process.execPath, [serverJs, '--stdio'], { stdio: 'pipe' });
  server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.onRequest('workspace/configuration', (params: { items: { scopeUri?: string; section?: string }[] }) =>
    params.items.map((item) => {
      configurationScopes.push(item.scopeUri ?? '');
      return item.section === 'mlops' ? settings : null;
    }),
  );
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('workspace/diagnostic/refresh', () => {
    refreshes++;
    return null;
  });
  connection.onNotification('window/logMessage', (m: { message: string }) => {
    if (process.env.MLOPS_TEST_SERVER_LOG) console.error('server:', m.message);
  });
  connection.listen();
  const result = (await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'wine-quality' }],
    capabilities: {
      workspace: {
        configuration: true,
        workspaceFolders: true,
        diagnostics: { refreshSupport: true },
        didChangeConfiguration: { dynamicRegistration: true },
      },
      textDocument: { diagnostic: { dynamicRegistration: false }, completion: {}, hover: {}, definition: {}, codeAction: {} },
    },
  })) as { capabilities: Record<string, unknown> };
  assert.ok(result.capabilities.completionProvider);
  assert.equal(result.capabilities.hoverProvider, true);
  assert.equal(result.capabilities.definitionProvider, true);
  await connection.sendNotification('initialized', {});
});

after(async () => {
  try {
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
  } catch {
    // The server may already be gone; it is killed below either way.
  }
  connection.dispose();
  server.kill();
});

function open(name: string, text: string, languageId = 'yaml'): Promise<void> {
  return connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(name), languageId, version: 1, text } });
}

async function diagnostics(name: string): Promise<Diagnostic[]> {
  const report = (await connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: uri(name) } })) as { items: Diagnostic[] };
  return report.items;
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length - 1;
}

test('an editor session on dvc.yaml: diagnostics, completion, hover, definition and quick fixes', async () => {
  const text = readFileSync(join(dir, 'dvc.yaml'), 'utf8').replace('- split.test_size', '- split.tset_size');
  await open('dvc.yaml', text);
  const line = lineOf(text, 'split.tset_size');
  const items = await diagnostics('dvc.yaml');
  const unknown = items.find((d) => d.code === 'dvc-unknown-param');
  assert.ok(unknown, JSON.stringify(items));
  assert.deepEqual(unknown.range, { start: { line, character: 8 }, end: { line, character: 23 } });
  assert.equal(unknown.source, 'mlops');
  assert.equal(items.length, 1, 'one precise diagnostic for one mistake');
  assert.ok(configurationScopes.includes(uri('dvc.yaml')), 'settings pulled for the document');

  const completion = (await connection.sendRequest('textDocument/completion', {
    textDocument: { uri: uri('dvc.yaml') },
    position: { line, character: 14 },
  })) as CompletionItem[];
  const testSize = completion.find((c) => c.label === 'split.test_size');
  assert.equal(testSize?.detail, '0.4');
  assert.deepEqual(testSize?.textEdit, {
    range: { start: { line, character: 8 }, end: { line, character: 23 } },
    newText: 'split.test_size',
  });

  const randomLine = lineOf(text, 'split.random_state');
  const hover = (await connection.sendRequest('textDocument/hover', {
    textDocument: { uri: uri('dvc.yaml') },
    position: { line: randomLine, character: 12 },
  })) as Hover;
  assert.deepEqual(hover.contents, { kind: 'markdown', value: '`split.random_state` = `42` — params.yaml:4\n\nUsed by `ingest`.' });

  const definition = (await connection.sendRequest('textDocument/definition', {
    textDocument: { uri: uri('dvc.yaml') },
    position: { line: randomLine, character: 12 },
  })) as Location[];
  assert.deepEqual(definition, [{ uri: uri('params.yaml'), range: { start: { line: 3, character: 2 }, end: { line: 3, character: 14 } } }]);

  const actions = (await connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri: uri('dvc.yaml') },
    range: unknown.range,
    context: { diagnostics: [unknown] },
  })) as CodeAction[];
  assert.deepEqual(
    actions.map((a) => a.title),
    ['Change to "split.test_size"', 'Add "split.tset_size" to params.yaml'],
  );
  assert.deepEqual(actions[0]?.edit?.changes?.[uri('dvc.yaml')], [{ range: unknown.range, newText: 'split.test_size' }]);
  assert.equal(actions[1]?.edit?.changes?.[uri('params.yaml')]?.[0]?.newText, '  tset_size: null\n');
});

test('editing params.yaml on disk asks the editor to pull diagnostics again, and the finding goes away', async () => {
  const before = refreshes;
  const paramsFile = join(dir, 'params.yaml');
  writeFileSync(paramsFile, readFileSync(paramsFile, 'utf8').replace('  random_state: 42\n', '  random_state: 42\n  tset_size: 0.3\n'));
  await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('params.yaml'), type: 2 }] });
  await waitFor('a diagnostic refresh', () => (refreshes > before ? true : undefined), 5000);
  assert.deepEqual(
    (await diagnostics('dvc.yaml')).map((d) => d.code),
    [],
  );
});

test('typing in an open params.yaml (unsaved) re-validates dvc.yaml against the buffer', async () => {
  const paramsText = readFileSync(join(dir, 'params.yaml'), 'utf8');
  await open('params.yaml', paramsText);
  const before = refreshes;
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('params.yaml'), version: 2 },
    contentChanges: [{ text: paramsText.replace('  random_state: 42\n', '') }],
  });
  await waitFor('a diagnostic refresh', () => (refreshes > before ? true : undefined), 5000);
  const items = await diagnostics('dvc.yaml');
  assert.deepEqual(
    items.map((d) => [d.code, d.range.start.line]),
    [['dvc-unknown-param', lineOf(readFileSync(join(dir, 'dvc.yaml'), 'utf8'), 'split.random_state')]],
  );
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('params.yaml'), version: 3 },
    contentChanges: [{ text: paramsText }],
  });
});

/** The workspace pull's findings for one file (waits, as an editor's pull does, until something changed). */
async function workspaceFindings(name: string): Promise<Diagnostic[] | undefined> {
  const report = (await connection.sendRequest('workspace/diagnostic', { previousResultIds: [] })) as {
    items: { uri: string; items: Diagnostic[] }[];
  };
  return report.items.find((item) => item.uri === uri(name))?.items;
}

test('typing in params.yaml re-validates a closed dvc.yaml that reads it; undo or closing unsaved clears it again', async () => {
  mkdirSync(join(dir, 'closed'), { recursive: true });
  const paramsText = 'train:\n  lr: 0.1\n  epochs: 3\n';
  const dvcText = 'stages:\n  fit:\n    cmd: python fit.py ${train.epochs}\n    params:\n      - train.lr\n';
  writeFileSync(join(dir, 'closed', 'params.yaml'), paramsText);
  writeFileSync(join(dir, 'closed', 'dvc.yaml'), dvcText);
  const codes = async (): Promise<string[] | undefined> => (await workspaceFindings('closed/dvc.yaml'))?.map((d) => d.code as string);
  assert.deepEqual(await waitFor('the closed dvc.yaml in the workspace pull', codes, 20_000), []);

  await open('closed/params.yaml', paramsText);
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('closed/params.yaml'), version: 2 },
    contentChanges: [{ text: paramsText.replace('lr:', 'rate:') }],
  });
  const missing = await waitFor(
    'the closed dvc.yaml reporting the renamed param',
    async () => {
      const items = await workspaceFindings('closed/dvc.yaml');
      return items && items.length > 0 ? items : undefined;
    },
    20_000,
  );
  assert.deepEqual(
    missing.map((d) => [d.code, d.range.start.line, d.range.start.character]),
    [['dvc-unknown-param', 4, 8]],
  );
  assert.ok(readFileSync(join(dir, 'closed', 'params.yaml'), 'utf8').includes('lr:'), 'nothing was saved');

  // Undo in the buffer: the finding goes away.
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('closed/params.yaml'), version: 3 },
    contentChanges: [{ text: paramsText }],
  });
  assert.deepEqual(await waitFor('the finding gone after undo', async () => ((await codes())?.length === 0 ? [] : undefined), 20_000), []);

  // Change again, then close without saving: the disk content counts again.
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('closed/params.yaml'), version: 4 },
    contentChanges: [{ text: paramsText.replace('lr:', 'rate:') }],
  });
  await waitFor('the finding back', async () => ((await codes())?.length === 1 ? true : undefined), 20_000);
  await connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri('closed/params.yaml') } });
  assert.deepEqual(
    await waitFor('the finding gone after closing unsaved', async () => ((await codes())?.length === 0 ? [] : undefined), 20_000),
    [],
  );
});

test('typing in config/config.yaml re-validates a closed schema.yaml against the data file it now names', async () => {
  mkdirSync(join(dir, 'contract', 'config'), { recursive: true });
  writeFileSync(join(dir, 'contract', 'schema.yaml'), 'COLUMNS:\n  a: int64\n  b: float64\nTARGET_COLUMN:\n  name: b\n');
  writeFileSync(join(dir, 'contract', 'good.csv'), 'a,b\n1,2\n');
  writeFileSync(join(dir, 'contract', 'other.csv'), 'a,c\n1,2\n');
  const configText = 'data_ingestion:\n  local_data_file: good.csv\n';
  writeFileSync(join(dir, 'contract', 'config', 'config.yaml'), configText);
  // Something changed on disk: the workspace pull answers again.
  await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('contract/schema.yaml'), type: 1 }] });
  const codes = async (): Promise<string[] | undefined> =>
    (await workspaceFindings('contract/schema.yaml'))?.map((d) => d.code as string).sort();
  assert.deepEqual(await waitFor('the closed schema.yaml in the workspace pull', codes, 20_000), []);
  await open('contract/config/config.yaml', configText);
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('contract/config/config.yaml'), version: 2 },
    contentChanges: [{ text: configText.replace('good.csv', 'other.csv') }],
  });
  assert.deepEqual(
    await waitFor(
      'the contract compared with other.csv',
      async () => {
        const found = await codes();
        return found && found.length > 0 ? found : undefined;
      },
      20_000,
    ),
    ['schema-column-not-in-contract', 'schema-column-not-in-data'],
  );
  await connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri('contract/config/config.yaml') } });
  assert.deepEqual(await waitFor('back to good.csv on disk', async () => ((await codes())?.length === 0 ? [] : undefined), 20_000), []);
});

test('references and rename of a param key from params.yaml reach the closed dvc.yaml; prepareRename refuses on a non-param', async () => {
  const paramsText = readFileSync(join(dir, 'closed', 'params.yaml'), 'utf8');
  await open('closed/params.yaml', paramsText);
  const position = { line: 1, character: 3 };
  const prepared = await connection.sendRequest('textDocument/prepareRename', {
    textDocument: { uri: uri('closed/params.yaml') },
    position,
  });
  assert.deepEqual(prepared, { range: { start: { line: 1, character: 2 }, end: { line: 1, character: 4 } }, placeholder: 'lr' });
  const references = (await connection.sendRequest('textDocument/references', {
    textDocument: { uri: uri('closed/params.yaml') },
    position,
    context: { includeDeclaration: true },
  })) as Location[];
  assert.deepEqual(references, [
    { uri: uri('closed/params.yaml'), range: { start: { line: 1, character: 2 }, end: { line: 1, character: 4 } } },
    { uri: uri('closed/dvc.yaml'), range: { start: { line: 4, character: 14 }, end: { line: 4, character: 16 } } },
  ]);
  const edit = (await connection.sendRequest('textDocument/rename', {
    textDocument: { uri: uri('closed/params.yaml') },
    position,
    newName: 'rate',
  })) as { changes: Record<string, { range: unknown; newText: string }[]> };
  assert.deepEqual(edit.changes, {
    [uri('closed/params.yaml')]: [{ range: { start: { line: 1, character: 2 }, end: { line: 1, character: 4 } }, newText: 'rate' }],
    [uri('closed/dvc.yaml')]: [{ range: { start: { line: 4, character: 14 }, end: { line: 4, character: 16 } }, newText: 'rate' }],
  });
  await assert.rejects(
    connection.sendRequest('textDocument/prepareRename', { textDocument: { uri: uri('dvc.yaml') }, position: { line: 2, character: 5 } }),
    /Rename and references work on params keys/,
  );
  await connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri('closed/params.yaml') } });
});

test('a settings change is pulled per resource and applied: the contract is compared with the configured CSV', async () => {
  const schemaText = readFileSync(join(dir, 'schema.yaml'), 'utf8');
  writeFileSync(join(dir, 'wine.csv'), 'alcohol,vintage\n1,2\n');
  await open('schema.yaml', schemaText);
  assert.deepEqual(await diagnostics('schema.yaml'), []);
  settings = { schema: { dataFiles: { 'schema.yaml': 'wine.csv' } } };
  const before = refreshes;
  await connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
  await waitFor('a diagnostic refresh', () => (refreshes > before ? true : undefined), 5000);
  const items = await diagnostics('schema.yaml');
  assert.ok(
    items.some((d) => d.code === 'schema-column-not-in-contract' && d.message.includes('"vintage"')),
    JSON.stringify(items),
  );
  assert.ok(items.some((d) => d.code === 'schema-column-not-in-data' && d.message.includes('"proline"')));

  // The CSV is an input of schema.yaml: changing it on disk re-validates the contract.
  writeFileSync(join(dir, 'wine.csv'), 'alcohol,proline\n1,2\n');
  const beforeCsv = refreshes;
  await waitFor(
    'a diagnostic refresh after the CSV changed',
    async () => {
      await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('wine.csv'), type: 2 }] });
      return refreshes > beforeCsv ? true : undefined;
    },
    10_000,
    200,
  );
  const afterCsv = await diagnostics('schema.yaml');
  assert.ok(!afterCsv.some((d) => d.message.includes('"vintage"')), JSON.stringify(afterCsv));
  assert.ok(!afterCsv.some((d) => d.message.includes('"proline"')));
  settings = {};
  await connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
});

test('when the client says Red Hat YAML reports syntax, open YAML files drop our syntax findings and keep the structure ones', async () => {
  await open('redhat/dvc.yaml', 'stages:\n  fit:\n    cmd: x\n    outz: [a]\n    cmd: y\n');
  await open('redhat2/dvc.yaml', 'stages:\n  fit:\n    cmd: x\n    outz: [a]\n');
  const codes = async (name: string): Promise<string[]> => (await diagnostics(name)).map((d) => d.code as string);
  assert.deepEqual(await codes('redhat/dvc.yaml'), ['yaml-duplicate-key']);
  const structure = await codes('redhat2/dvc.yaml');
  assert.ok(structure.length > 0 && structure.every((c) => c.startsWith('dvc-')), structure.join(','));
  const before = refreshes;
  await connection.sendNotification('mlops/yamlSyntaxOwner', { redHat: true });
  await waitFor('a diagnostic refresh', () => (refreshes > before ? true : undefined), 5000);
  assert.deepEqual(await codes('redhat/dvc.yaml'), []);
  assert.deepEqual(await codes('redhat2/dvc.yaml'), structure);
  await connection.sendNotification('mlops/yamlSyntaxOwner', { redHat: false });
  await waitFor('syntax findings back', async () => ((await codes('redhat/dvc.yaml')).length === 1 ? true : undefined), 5000);
});

test('malformed documents get a diagnostic or nothing, every request is answered, and the server keeps working', async () => {
  const bad: Record<string, string> = {
    'bad/dvc.yaml': '\u0000\u0001\u00ff: [\n{{{ !!binary\n\t- - :\n',
    'bomb/dvc.yaml': [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `l${i}: &l${i} [${Array(10)
            .fill(i === 0 ? '*a' : `*l${i - 1}`)
            .join(', ')}]`,
      ),
    ].join('\n'),
    'list/params.yaml': '- a\n- b\n',
    'empty/schema.yaml': '',
    'deep/MLproject': `${'['.repeat(2000)}${']'.repeat(2000)}\n`,
  };
  for (const [name, text] of Object.entries(bad)) {
    await open(name, text);
    const started = Date.now();
    const items = await diagnostics(name);
    assert.ok(Array.isArray(items), name);
    assert.ok(Date.now() - started < 5000, `${name} answered in ${Date.now() - started} ms`);
    for (const position of [
      { line: 0, character: 0 },
      { line: 1, character: 3 },
      { line: 99, character: 99 },
    ]) {
      await connection.sendRequest('textDocument/completion', { textDocument: { uri: uri(name) }, position });
      await connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(name) }, position });
      await connection.sendRequest('textDocument/definition', { textDocument: { uri: uri(name) }, position });
    }
  }
  await connection.sendRequest('textDocument/hover', {
    textDocument: { uri: uri('never-opened/dvc.yaml') },
    position: { line: 0, character: 0 },
  });
  assert.ok(Array.isArray(await diagnostics('dvc.yaml')), 'the good document is still served');
  assert.equal(server.exitCode, null, 'the server is alive');
  assert.doesNotMatch(stderr, /Unhandled|TypeError|RangeError/);
});
