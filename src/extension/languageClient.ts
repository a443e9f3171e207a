import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { output } from './output';

/** The files the language server validates. */
export const DOCUMENT_SELECTOR: LanguageClientOptions['documentSelector'] = [
  { scheme: 'file', pattern: '**/dvc.yaml' },
  { scheme: 'file', pattern: '**/dvc.lock' },
  { scheme: 'file', pattern: '**/params.{yaml,yml}' },
  { scheme: 'file', pattern: '**/schema.{yaml,yml}' },
  { scheme: 'file', pattern: '**/config/config.yaml' },
  { scheme: 'file', pattern: '**/MLproject' },
];

// Params and vars files may have any name, and a data contract's CSV any folder: the server keeps
// the files each validated file reads and ignores the rest.
const WATCHED = '**/{*.yaml,*.yml,*.json,*.csv,MLproject}';

/** Starts the language client once, on the first relevant document or view. */
export class LanguageClientHost implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  /** Called with the client once it runs (and at once if it already does). */
  private readonly startedListeners: Array<(client: LanguageClient) => void> = [];

  onStarted(listener: (client: LanguageClient) => void): void {
    this.startedListeners.push(listener);
    if (this.client) listener(this.client);
  }

  constructor(private readonly context: vscode.ExtensionContext) {}

  get running(): LanguageClient | undefined {
    return this.client;
  }

  start(): Promise<LanguageClient> {
    this.starting ??= this.create();
    return this.starting;
  }

  private async create(): Promise<LanguageClient> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const watcher = vscode.workspace.createFileSystemWatcher(WATCHED);
    this.context.subscriptions.push(watcher);
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      synchronize: { fileEvents: watcher },
      outputChannel: output.get(),
      diagnosticPullOptions: { onChange: true, onSave: true, onTabs: true },
      // Where the server keeps what it validated by stage between sessions (see validationSnapshots.ts).
      initializationOptions: { snapshotFolder: vscode.Uri.joinPath(this.context.globalStorageUri, 'validation').fsPath },
    };
    const client = new LanguageClient('mlops', 'MLOps Workbench', serverOptions, clientOptions);
    await client.start();
    this.client = client;
    output.info('language server started');
    for (const listener of this.startedListeners) listener(client);
    return client;
  }

  async dispose(): Promise<void> {
    await this.client?.stop();
    this.client = undefined;
  }
}

/** True when the document is one the language server handles. */
export function isRelevantDocument(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' && vscode.languages.match(DOCUMENT_SELECTOR ?? [], document) > 0;
}
