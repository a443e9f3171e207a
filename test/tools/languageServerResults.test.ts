import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { copyExampleProject } from '../support/exampleProject';
import { startLanguageServer, type LanguageServerSession } from '../support/languageServerProcess';

// Diagnostics carry a result id; a pull that finds the same diagnostics for a client holding that
// result is answered "unchanged" (nothing is sent again), and any change gives a full report.

type Report = { kind: 'full'; resultId?: string; items: Diagnostic[] } | { kind: 'unchanged'; resultId: string };

let session: LanguageServerSession;
let connection: ProtocolConnection;
let dir: string;

const uri = (name: string): string => pathToFileURL(join(dir, name)).href;

before(async () => {
  dir = copyExampleProject({ git: false });
  session = await startLanguageServer(dir);
  connection = session.connection;
});

after(() => session.stop());

const pull = (name: string, previousResultId?: string): Promise<Report> =>
  connection.sendRequest('textDocument/diagnostic', {
    textDocument: { uri: uri(name) },
    ...(previousResultId !== undefined ? { previousResultId } : {}),
  }) as Promise<Report>;

const codes = (report: Report): string[] => (report.kind === 'full' ? report.items.map((d) => String(d.code)) : []);

test('an unchanged document pull is answered "unchanged", an edit that changes the findings gets them in full', async () => {
  const original = readFileSync(join(dir, 'dvc.yaml'), 'utf8');
  const text = original.replace('- split.test_size', '- split.tset_size');
  await connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uri('dvc.yaml'), languageId: 'yaml', version: 1, text },
  });
  const first = await pull('dvc.yaml');
  assert.equal(first.kind, 'full');
  assert.deepEqual(codes(first), ['dvc-unknown-param']);
  assert.ok(first.resultId, 'a full report has a result id');

  // Without the id the client holds nothing: the findings come in full again.
  const again = await pull('dvc.yaml');
  assert.equal(again.kind, 'full');
  assert.deepEqual(codes(again), ['dvc-unknown-param']);
  const unchanged = await pull('dvc.yaml', again.resultId);
  assert.deepEqual(unchanged, { kind: 'unchanged', resultId: again.resultId });
  // An older id than the last one sent is not the result the server would repeat.
  assert.equal((await pull('dvc.yaml', first.resultId)).kind, 'full');

  // An edit that keeps the findings (a comment) stays unchanged; one that fixes the param does not.
  const latest = await pull('dvc.yaml');
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('dvc.yaml'), version: 2 },
    contentChanges: [{ text: `# a comment\n${text}` }],
  });
  const commented = await pull('dvc.yaml', latest.resultId);
  assert.equal(commented.kind, 'full', 'the finding moved a line down, so the report is new');
  assert.deepEqual(codes(commented), ['dvc-unknown-param']);
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('dvc.yaml'), version: 3 },
    contentChanges: [{ text: `# a comment\n${text}\n` }],
  });
  assert.deepEqual(await pull('dvc.yaml', commented.resultId), { kind: 'unchanged', resultId: commented.resultId });
  await connection.sendNotification('textDocument/didChange', {
    textDocument: { uri: uri('dvc.yaml'), version: 4 },
    contentChanges: [{ text: original }],
  });
  const fixed = await pull('dvc.yaml', commented.resultId);
  assert.equal(fixed.kind, 'full');
  assert.deepEqual(codes(fixed), []);
  assert.notEqual(fixed.resultId, commented.resultId);

  // Closed and opened again, the client holds nothing of it: full.
  await connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri('dvc.yaml') } });
  await connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri: uri('dvc.yaml'), languageId: 'yaml', version: 1, text },
  });
  const reopened = await pull('dvc.yaml', fixed.resultId);
  assert.equal(reopened.kind, 'full');
  assert.deepEqual(codes(reopened), ['dvc-unknown-param']);
  await connection.sendNotification('textDocument/didClose', { textDocument: { uri: uri('dvc.yaml') } });
});

test('a workspace pull answers "unchanged" for closed files whose findings the client holds, in full for one that changed', async () => {
  type WorkspaceReport = { items: (Report & { uri: string })[] };
  const first = (await connection.sendRequest('workspace/diagnostic', { previousResultIds: [] })) as WorkspaceReport;
  const dvc = first.items.find((r) => r.uri === uri('dvc.yaml'));
  assert.ok(dvc && dvc.kind === 'full' && dvc.resultId, JSON.stringify(first.items.map((r) => r.uri)));
  assert.deepEqual(codes(dvc), []);
  const previousResultIds = first.items.flatMap((r) => (r.resultId ? [{ uri: r.uri, value: r.resultId }] : []));

  // A change on disk the server is told about wakes the pending pull.
  const path = join(dir, 'dvc.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace('- split.test_size', '- split.tset_size'));
  const pending = connection.sendRequest('workspace/diagnostic', { previousResultIds }) as Promise<WorkspaceReport>;
  await connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('dvc.yaml'), type: 2 }] });
  const second = await pending;
  const changed = second.items.find((r) => r.uri === uri('dvc.yaml'));
  assert.ok(changed && changed.kind === 'full');
  assert.deepEqual(codes(changed), ['dvc-unknown-param']);
  const others = second.items.filter((r) => r.uri !== uri('dvc.yaml'));
  assert.ok(others.length > 0, 'the example has other validated files');
  for (const other of others) assert.equal(other.kind, 'unchanged', other.uri);
});
