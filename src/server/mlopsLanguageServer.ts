import {
  DiagnosticSeverity,
  DocumentDiagnosticReportKind,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath } from 'node:url';
import type { Finding, Severity } from '../core/diagnostic';
import { overlayFileAccess } from '../core/fileAccess';
import { validateFile } from '../core/validation/validateFile';

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(finding: Finding): Diagnostic {
  return {
    range: finding.range,
    severity: severities[finding.severity],
    code: finding.code,
    source: finding.source,
    message: finding.message,
    ...(finding.data ? { data: finding.data } : {}),
  };
}

function pathOf(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}

/**
 * The language server over a connection; `server.ts` only wires the transport, so tests can drive
 * this class in-process or over stdio exactly as an editor does.
 */
export class MlopsLanguageServer {
  readonly documents = new TextDocuments(TextDocument);
  private readonly openByPath = new Map<string, TextDocument>();
  private readonly files = overlayFileAccess((path) => this.openByPath.get(path)?.getText());

  constructor(private readonly connection: Connection) {
    connection.onInitialize(() => this.initialize());
    connection.languages.diagnostics.on(async (params) => {
      const path = pathOf(params.textDocument.uri);
      const findings = path ? await this.safeValidate(path) : [];
      return { kind: DocumentDiagnosticReportKind.Full, items: findings.map(toLspDiagnostic) };
    });
    this.documents.onDidOpen((event) => this.track(event.document));
    this.documents.onDidChangeContent((event) => this.track(event.document));
    this.documents.onDidClose((event) => {
      const path = pathOf(event.document.uri);
      if (path) this.openByPath.delete(path);
    });
    connection.onDidChangeWatchedFiles(() => connection.languages.diagnostics.refresh());
    this.documents.listen(connection);
  }

  listen(): void {
    this.connection.listen();
  }

  private initialize(): InitializeResult {
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false },
      },
      serverInfo: { name: 'MLOps Workbench language server' },
    };
  }

  private track(document: TextDocument): void {
    const path = pathOf(document.uri);
    if (path) this.openByPath.set(path, document);
  }

  private async safeValidate(path: string): Promise<Finding[]> {
    try {
      return await validateFile(path, this.files);
    } catch (error) {
      this.connection.console.error(`validation of ${path} failed: ${String((error as Error)?.stack ?? error)}`);
      return [];
    }
  }
}
