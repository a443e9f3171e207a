import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { copyExampleProject } from '../support/exampleProject';
import { startLanguageServer, type LanguageServerSession } from '../support/languageServerProcess';

// The server keeps the stage-by-stage state of each dvc.yaml in the folder the client names
// (initializationOptions.snapshotFolder), so a server started later validates by stage from its
// first pull on. Whatever it restores, its diagnostics are those of the file as it is.

const start = (dir: string, snapshotFolder: string): Promise<LanguageServerSession> => startLanguageServer(dir, { snapshotFolder });

const summary = (items: Diagnostic[]): string[] =>
  items.map((d) => `${d.range.start.line}:${d.range.start.character} ${String(d.code)} ${d.message}`).sort();

async function openAndPull(session: LanguageServerSession, file: string, text: string): Promise<string[]> {
  const uri = pathToFileURL(file).href;
  await session.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  const report = (await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] };
  return summary(report.items);
}

test('a server started later takes up the stage-by-stage state the last one left, and reports the file as it is now', async () => {
  const dir = copyExampleProject({ git: false });
  const snapshots = mkdtempSync(join(tmpdir(), 'mlops-snapshots-'));
  const file = join(dir, 'dvc.yaml');
  const original = readFileSync(file, 'utf8');
  // Two unknown keys, in the first and the last stage.
  const lines = original.split('\n');
  const firstStage = lines.indexOf('stages:') + 1;
  assert.match(lines[firstStage] ?? '', /^ {2}\w+:$/, 'the example starts its stages on the line after stages:');
  lines.splice(firstStage + 1, 0, '    bogus_first: 1');
  const text = `${lines.join('\n').trimEnd()}\n    bogus_last: 2\n`;
  writeFileSync(file, text);

  const first = await start(dir, snapshots);
  const before = await openAndPull(first, file, text);
  assert.ok(before.some((d) => d.includes('bogus_first')) && before.some((d) => d.includes('bogus_last')), before.join(' | '));
  await first.stop();
  assert.equal(readdirSync(snapshots).filter((n) => n.endsWith('.json')).length, 1, 'one snapshot, written at shutdown');

  // The same text: taken up, the same findings.
  const second = await start(dir, snapshots);
  assert.deepEqual(await openAndPull(second, file, text), before);
  assert.ok(
    second.logs.some((m) => m.includes('continues stage by stage')),
    'the snapshot was taken up',
  );
  await second.stop();

  // Edited while no server ran (a stage fixed): the findings of the file as it is.
  const fixed = text.replace('    bogus_last: 2\n', '');
  const third = await start(dir, snapshots);
  const after = await openAndPull(third, file, fixed);
  assert.ok(after.some((d) => d.includes('bogus_first')) && !after.some((d) => d.includes('bogus_last')), after.join(' | '));
  await third.stop();

  // A snapshot that is not one (cut short, or from another build) is ignored.
  const [name] = readdirSync(snapshots).filter((n) => n.endsWith('.json'));
  writeFileSync(join(snapshots, name as string), '{"build":"another build","snapshot":{}}');
  const fourth = await start(dir, snapshots);
  assert.deepEqual(await openAndPull(fourth, file, fixed), after);
  assert.ok(!fourth.logs.some((m) => m.includes('continues stage by stage')));
  await fourth.stop();
  writeFileSync(join(snapshots, name as string), '{"build":');
  const fifth = await start(dir, snapshots);
  assert.deepEqual(await openAndPull(fifth, file, fixed), after);
  await fifth.stop();
});

test('a snapshot folder that cannot be written to is said once, and validation works without it', async () => {
  const dir = copyExampleProject({ git: false });
  const blocker = join(mkdtempSync(join(tmpdir(), 'mlops-snapshots-')), 'a-file');
  writeFileSync(blocker, '');
  const file = join(dir, 'dvc.yaml');
  const text = `${readFileSync(file, 'utf8').trimEnd()}\n    bogus_last: 2\n`;
  const session = await start(dir, join(blocker, 'validation'));
  const found = await openAndPull(session, file, text);
  assert.ok(
    found.some((d) => d.includes('bogus_last')),
    found.join(' | '),
  );
  const uri = pathToFileURL(file).href;
  await session.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ text: text.replace('bogus_last', 'bogus_again') }],
  });
  const report = (await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] };
  assert.ok(summary(report.items).some((d) => d.includes('bogus_again')));
  await session.stop();
  assert.equal(session.logs.filter((m) => m.includes('cannot be kept')).length, 1, session.logs.join('\n'));
});
