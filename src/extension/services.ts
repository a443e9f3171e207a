import type * as vscode from 'vscode';
import type { LanguageClientHost } from './languageClient';

/** What every feature's `register` receives: the extension's shared parts. */
export interface Services {
  context: vscode.ExtensionContext;
  languageClient: LanguageClientHost;
}
