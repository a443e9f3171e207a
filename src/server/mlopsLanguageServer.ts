import {
  CodeActionKind,
  CompletionItemKind,
  SymbolKind,
  DiagnosticSeverity,
  DidChangeConfigurationNotification,
  DocumentDiagnosticReportKind,
  MarkupKind,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type DocumentSymbol,
  type FullDocumentDiagnosticReport,
  type UnchangedDocumentDiagnosticReport,
  type CodeAction,
  type CompletionItem,
  type Connection,
  type Diagnostic,
  type InitializeParams,
  type InitializeResult,
  type Location,
  type TextEdit,
  type WorkspaceDocumentDiagnosticReport,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SOURCE, type Finding, type Severity } from '../core/diagnostic';
import { overlayFileAccess } from '../core/fileAccess';
import { fileKindOf } from '../core/fileKinds';
import { quickFixesFor } from '../core/language/codeActions';
import { completionsAt } from '../core/language/completion';
import { definitionAt } from '../core/language/definition';
import { hoverAt } from '../core/language/hover';
import type { CompletionKind } from '../core/language/types';
import { validateFile, validationInputs, type ValidationOptions } from '../core/validation/validateFile';
import { findValidatableFiles } from '../core/validation/workspaceFiles';
import { outlineOf, type OutlineSymbol } from '../core/language/outline';

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  property: CompletionItemKind.Property,
  value: CompletionItemKind.Value,
  variable: CompletionItemKind.Variable,
  keyword: CompletionItemKind.Keyword,
  file: CompletionItemKind.File,
  module: CompletionItemKind.Module,
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
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

function uriOf(path: string): string {
  return pathToFileURL(path).href;
}

/** The `mlops` settings the checks read, as the editor sends them (nested sections or dotted keys). */
export function validationOptionsFrom(settings: unknown, root: string | undefined): ValidationOptions {
  const s = (settings ?? {}) as Record<string, unknown>;
  const section = (name: string): Record<string, unknown> => {
    const value = s[name];
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  const pick = (group: string, key: string): unknown => section(group)[key] ?? s[`${group}.${key}`];
  const stringMap = (value: unknown): Record<string, string> | undefined => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  };
  const options: ValidationOptions = { reportUnusedParams: pick('params', 'reportUnused') === true };
  const paramsSchemas = stringMap(pick('params', 'schemas'));
  const dataFiles = stringMap(pick('schema', 'dataFiles'));
  if (paramsSchemas) options.paramsSchemas = paramsSchemas;
  if (dataFiles) options.dataFiles = dataFiles;
  if (root !== undefined) options.root = root;
  return options;
}

/** How long a workspace diagnostics request waits for a change before answering again. */
const WORKSPACE_POLL_MS = 60_000;

/** Re-validation after a change waits this long, so a burst of events gives one refresh. */
const REFRESH_DELAY_MS = 50;

/**
 * The language server over a connection; `server.ts` only wires the transport, so tests can drive
 * this class in-process or over stdio exactly as an editor does.
 */
export class MlopsLanguageServer {
  readonly documents = new TextDocuments(TextDocument);
  private readonly openByPath = new Map<string, TextDocument>();
  private readonly files = overlayFileAccess((path) => this.openByPath.get(path)?.getText());
  private workspaceFolders: string[] = [];
  private canPullConfiguration = false;
  private canRefreshDiagnostics = false;
  private hasWorkspaceFolders = false;
  private readonly settingsByUri = new Map<string, Promise<ValidationOptions>>();
  /**
   * Open document → the files its findings depend on (`validationInputs`), for the version they were
   * found for. Found only when a file changes, never while validating: it parses the document again.
   */
  private readonly inputsByPath = new Map<string, { version: number; inputs: Set<string> }>();
  /**
   * The last diagnostics sent for each document, by result id: when a pull finds the same ones and
   * the client says it holds that result, the answer is "unchanged" instead of the whole list again.
   */
  private readonly reported = new Map<string, { resultId: string; items: string }>();
  private lastResultId = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Bumped on every change that may change diagnostics; the workspace pull answers when it moves. */
  private generation = 0;
  private reportedGeneration = -1;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly connection: Connection) {
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => {
      if (this.canPullConfiguration)
        void connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
      if (this.hasWorkspaceFolders) {
        connection.workspace.onDidChangeWorkspaceFolders((event) => {
          const removed = new Set(event.removed.map((f) => pathOf(f.uri)));
          const added = event.added.map((f) => pathOf(f.uri)).filter((f): f is string => f !== undefined);
          this.workspaceFolders = [...this.workspaceFolders.filter((f) => !removed.has(f)), ...added];
          this.settingsByUri.clear();
          this.scheduleRefresh();
        });
      }
    });
    connection.languages.diagnostics.on(async (params) => {
      const path = pathOf(params.textDocument.uri);
      const findings = path ? await this.safeValidate(path, params.textDocument.uri) : [];
      return this.report(params.textDocument.uri, findings.map(toLspDiagnostic), params.previousResultId);
    });
    // Closed files too: the Problems panel shows a broken pipeline before anyone opens it. The
    // client asks again after each answer, so an answer waits until something changed.
    connection.languages.diagnostics.onWorkspace(async (params, token) => {
      if (this.reportedGeneration === this.generation) await this.changeOrCancel(token, WORKSPACE_POLL_MS);
      if (token.isCancellationRequested) return { items: [] };
      this.reportedGeneration = this.generation;
      const previous = new Map(params.previousResultIds.map((p) => [p.uri, p.value]));
      const items: WorkspaceDocumentDiagnosticReport[] = [];
      for (const folder of this.workspaceFolders) {
        if (!(await this.validatesWorkspace(folder))) continue;
        for (const path of await findValidatableFiles(folder)) {
          if (token.isCancellationRequested) return { items: [] };
          if (this.openByPath.has(path)) continue;
          const uri = pathToFileURL(path).toString();
          const findings = await this.safeValidate(path, uri);
          items.push({ ...this.report(uri, findings.map(toLspDiagnostic), previous.get(uri)), uri, version: null });
        }
      }
      return { items };
    });
    connection.onDocumentSymbol((params) =>
      this.guard('outline', [] as DocumentSymbol[], async () => {
        const at = this.openText(params.textDocument.uri);
        return at ? outlineOf(at.path, at.text).map(toDocumentSymbol) : [];
      }),
    );
    connection.onCompletion((params) =>
      this.guard('completion', [] as CompletionItem[], async () => {
        const at = this.openText(params.textDocument.uri);
        if (!at) return [];
        const items = await completionsAt(at.path, at.text, params.position, this.files);
        return items.map((item): CompletionItem => ({
          label: item.label,
          kind: completionKinds[item.kind],
          ...(item.detail !== undefined ? { detail: item.detail } : {}),
          ...(item.documentation ? { documentation: { kind: MarkupKind.Markdown, value: item.documentation } } : {}),
          ...(item.sortText !== undefined ? { sortText: item.sortText } : {}),
          textEdit: { range: item.range, newText: item.insertText },
        }));
      }),
    );
    connection.onHover((params) =>
      this.guard('hover', null, async () => {
        const at = this.openText(params.textDocument.uri);
        const hover = at ? await hoverAt(at.path, at.text, params.position, this.files) : undefined;
        return hover ? { contents: { kind: MarkupKind.Markdown, value: hover.contents }, range: hover.range } : null;
      }),
    );
    connection.onDefinition((params) =>
      this.guard('definition', [] as Location[], async () => {
        const at = this.openText(params.textDocument.uri);
        const locations = at ? await definitionAt(at.path, at.text, params.position, this.files) : [];
        return locations.map((l) => ({ uri: uriOf(l.file), range: l.range }));
      }),
    );
    connection.onCodeAction((params) =>
      this.guard('code actions', [] as CodeAction[], async () => {
        const path = pathOf(params.textDocument.uri);
        if (!path) return [];
        const actions: CodeAction[] = [];
        for (const diagnostic of params.context.diagnostics) {
          if (diagnostic.source !== SOURCE) continue;
          for (const fix of await quickFixesFor(path, diagnostic, this.files)) {
            const changes: Record<string, TextEdit[]> = {};
            for (const [file, edits] of Object.entries(fix.edits)) changes[uriOf(file)] = edits;
            actions.push({
              title: fix.title,
              kind: CodeActionKind.QuickFix,
              diagnostics: [diagnostic],
              edit: { changes },
              ...(fix.isPreferred ? { isPreferred: true } : {}),
            });
          }
        }
        return actions;
      }),
    );
    this.documents.onDidOpen((event) => this.track(event.document));
    this.documents.onDidChangeContent((event) => {
      this.track(event.document);
      const path = pathOf(event.document.uri);
      if (path) void this.refreshIfDependedOn([path]);
    });
    this.documents.onDidClose((event) => {
      this.reported.delete(event.document.uri);
      const path = pathOf(event.document.uri);
      if (path) this.openByPath.delete(path);
      if (path) this.inputsByPath.delete(path);
    });
    connection.onDidChangeConfiguration(() => {
      this.settingsByUri.clear();
      this.inputsByPath.clear();
      this.scheduleRefresh();
    });
    connection.onDidChangeWatchedFiles((params) => {
      // A pipeline file, or a file an open document depends on (params.yaml for dvc.yaml, the CSV
      // for schema.yaml), changed on disk: every open document is pulled again.
      const paths = params.changes.map((change) => pathOf(change.uri)).filter((p): p is string => p !== undefined);
      if (paths.some((p) => fileKindOf(p) !== undefined)) this.scheduleRefresh();
      else void this.refreshIfDependedOn(paths);
    });
    this.documents.listen(connection);
  }

  listen(): void {
    this.connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const folders = params.workspaceFolders?.map((f) => pathOf(f.uri)) ?? [params.rootUri ? pathOf(params.rootUri) : undefined];
    this.workspaceFolders = folders.filter((f): f is string => f !== undefined);
    this.canPullConfiguration = params.capabilities.workspace?.configuration === true;
    this.canRefreshDiagnostics = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
    this.hasWorkspaceFolders = params.capabilities.workspace?.workspaceFolders === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: true },
        completionProvider: { triggerCharacters: ['{', '.', ' ', '-', ':'] },
        hoverProvider: true,
        documentSymbolProvider: true,
        definitionProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        ...(this.hasWorkspaceFolders ? { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } } : {}),
      },
      serverInfo: { name: 'MLOps Workbench language server' },
    };
  }

  private track(document: TextDocument): void {
    const path = pathOf(document.uri);
    if (path) this.openByPath.set(path, document);
  }

  private openText(uri: string): { path: string; text: string } | undefined {
    const path = pathOf(uri);
    const document = this.documents.get(uri);
    return path && document ? { path, text: document.getText() } : undefined;
  }

  /** The workspace folder holding a file (the deepest one), which relative setting globs start from. */
  private rootOf(path: string): string | undefined {
    return this.workspaceFolders
      .filter((f) => path === f || path.startsWith(f.endsWith(sep) ? f : f + sep))
      .sort((a, b) => b.length - a.length)[0];
  }

  private settings(uri: string, path: string): Promise<ValidationOptions> {
    let cached = this.settingsByUri.get(uri);
    if (cached === undefined) {
      const root = this.rootOf(path);
      cached = this.canPullConfiguration
        ? this.connection.workspace.getConfiguration({ scopeUri: uri, section: 'mlops' }).then(
            (settings: unknown) => validationOptionsFrom(settings, root),
            () => validationOptionsFrom({}, root),
          )
        : Promise.resolve(validationOptionsFrom({}, root));
      this.settingsByUri.set(uri, cached);
    }
    return cached;
  }

  private scheduleRefresh(): void {
    this.generation++;
    for (const wake of this.waiters.splice(0)) wake();
    if (!this.canRefreshDiagnostics) return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.connection.languages.diagnostics.refresh();
    }, REFRESH_DELAY_MS);
  }

  /** Resolves when something changed, the request was cancelled, or after `ms`. */
  private changeOrCancel(token: CancellationToken, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
      token.onCancellationRequested(done);
    });
  }

  /** A full report with a new result id, or "unchanged" when the client already holds these diagnostics. */
  private report(
    uri: string,
    diagnostics: Diagnostic[],
    previousResultId: string | undefined,
  ): FullDocumentDiagnosticReport | UnchangedDocumentDiagnosticReport {
    const items = JSON.stringify(diagnostics);
    const last = this.reported.get(uri);
    if (last !== undefined && last.items === items && previousResultId === last.resultId) {
      return { kind: DocumentDiagnosticReportKind.Unchanged, resultId: last.resultId };
    }
    const resultId = String(++this.lastResultId);
    this.reported.set(uri, { resultId, items });
    return { kind: DocumentDiagnosticReportKind.Full, resultId, items: diagnostics };
  }

  /** The `mlops.validation.scope` of a workspace folder: `workspace` (default) validates closed files. */
  private async validatesWorkspace(folder: string): Promise<boolean> {
    if (!this.canPullConfiguration) return true;
    try {
      const scope: unknown = await this.connection.workspace.getConfiguration({
        scopeUri: pathToFileURL(folder).toString(),
        section: 'mlops.validation.scope',
      });
      return scope !== 'openFiles';
    } catch {
      return true;
    }
  }

  private async safeValidate(path: string, uri: string): Promise<Finding[]> {
    try {
      const options = await this.settings(uri, path);
      const findings = await validateFile(path, this.files, options);
      return findings;
    } catch (error) {
      this.connection.console.error(`validation of ${path} failed: ${String((error as Error)?.stack ?? error)}`);
      return [];
    }
  }

  /** Pulls diagnostics again when an open document (other than the changed ones) reads one of `changed`. */
  private async refreshIfDependedOn(changed: string[]): Promise<void> {
    try {
      const set = new Set(changed);
      for (const document of this.documents.all()) {
        const path = pathOf(document.uri);
        if (path === undefined || set.has(path)) continue;
        let entry = this.inputsByPath.get(path);
        if (entry === undefined || entry.version !== document.version) {
          const options = await this.settings(document.uri, path);
          entry = { version: document.version, inputs: new Set(await validationInputs(path, this.files, options)) };
          this.inputsByPath.set(path, entry);
        }
        if (changed.some((c) => entry?.inputs.has(c))) {
          this.scheduleRefresh();
          return;
        }
      }
    } catch (error) {
      this.connection.console.error(`finding the files to validate again failed: ${String(error)}`);
    }
  }

  /** Runs a request handler; a failure is logged and answered with an empty result, never left unanswered. */
  private async guard<T>(name: string, empty: T, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      this.connection.console.error(`${name} failed: ${String((error as Error)?.stack ?? error)}`);
      return empty;
    }
  }
}

const outlineKinds: Record<OutlineSymbol['kind'], SymbolKind> = {
  stage: SymbolKind.Function,
  entryPoint: SymbolKind.Function,
  section: SymbolKind.Namespace,
  column: SymbolKind.Field,
  key: SymbolKind.Property,
};

function toDocumentSymbol(symbol: OutlineSymbol): DocumentSymbol {
  return {
    name: symbol.name,
    kind: outlineKinds[symbol.kind],
    range: symbol.range,
    selectionRange: symbol.selectionRange,
    ...(symbol.detail !== undefined ? { detail: symbol.detail } : {}),
    children: symbol.children.map(toDocumentSymbol),
  };
}
