import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { repoRoot } from './tools';

/** The built language server over stdio, as an editor talks to it. */
export interface LanguageServerSession {
  process: ChildProcessWithoutNullStreams;
  connection: ProtocolConnection;
  /** What the server logged (window/logMessage). */
  logs: string[];
  stop: () => Promise<void>;
}

/**
 * Starts `dist/server.js --stdio` for a workspace folder and initializes it as a client that pulls
 * diagnostics and answers every configuration request with nothing (the settings' defaults).
 */
export async function startLanguageServer(workspace: string, initializationOptions?: object): Promise<LanguageServerSession> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'server.js'), '--stdio'], { stdio: 'pipe' });
  child.stderr.resume();
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const logs: string[] = [];
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => null));
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('workspace/diagnostic/refresh', () => null);
  connection.onNotification('window/logMessage', (params: { message: string }) => logs.push(params.message));
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(workspace).href,
    workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: 'wine-quality' }],
    capabilities: { workspace: { configuration: true, diagnostics: { refreshSupport: true } }, textDocument: { diagnostic: {} } },
    ...(initializationOptions !== undefined ? { initializationOptions } : {}),
  });
  await connection.sendNotification('initialized', {});
  return {
    process: child,
    connection,
    logs,
    stop: async () => {
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      connection.dispose();
      child.kill();
    },
  };
}
