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
  ErrorCodes,
  ResponseError,
  type WorkspaceEdit,
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
import { diskFileAccess, overlayFileAccess } from '../core/fileAccess';
import { fileKindOf } from '../core/fileKinds';
import { quickFixesFor } from '../core/language/codeActions';
import { completionsAt } from '../core/language/completion';
import { definitionAt } from '../core/language/definition';
import { hoverAt } from '../core/language/hover';
import type { CompletionKind } from '../core/language/types';
import { validateFile, validationInputs, type ValidationOptions } from '../core/validation/validateFile';
import { findValidatableFiles } from '../core/validation/workspaceFiles';
import { outlineOf, type OutlineSymbol } from '../core/language/outline';
import { withoutRedHatSyntax, YAML_SYNTAX_OWNER_NOTIFICATION } from '../core/language/redHatYaml';
import { ValidationSnapshots } from './validationSnapshots';
import { collectUses, paramReferences, paramSymbolAt, renameParam, type ParamUse } from '../core/language/paramReferences';

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
 * Typing in a file others read (params.yaml, config.yaml, a CSV) re-validates its dependants once
 * the keystrokes pause this long, so a burst of edits gives one re-validation of closed files.
 */
const TYPING_DELAY_MS = 200;

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
   * Closed file → the files its findings depend on, so typing in a params.yaml re-validates the
   * closed dvc.yaml files that read it. Built when first needed (the first typing pause), not by
   * the workspace pull, which would parse every dvc.yaml twice; rebuilt after anything changed on
   * disk, in the settings or in the set of open files.
   */
  private closedInputs: Promise<Map<string, Set<string>>> | undefined;
  /** Open files edited since the last dependants check, and the timer that checks them. */
  private readonly typedPaths = new Set<string>();
  /** Stage-by-stage validation states kept between sessions, when the client names a folder for them. */
  private snapshots: ValidationSnapshots | undefined;
  /** Document pulls being answered (background checks of dependants wait for them). */
  private pulling = 0;
  /** Documents whose open event came, before the content event that follows it. */
  private readonly justOpened = new Set<string>();
  private typingTimer: NodeJS.Timeout | undefined;
  /**
   * The last diagnostics sent for each document, by result id: when a pull finds the same ones and
   * the client says it holds that result, the answer is "unchanged" instead of the whole list again.
   */
  private readonly reported = new Map<string, { resultId: string; items: string }>();
  private lastResultId = 0;
  private refreshTimer: NodeJS.Timeout | undefined;
  /** Red Hat YAML reports YAML syntax in open YAML files (the client says so): ours are left out there. */
  private syntaxByRedHat = false;
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
          this.closedInputs = undefined;
          this.scheduleRefresh();
        });
      }
    });
    // Snapshots still waiting are written before the server goes.
    connection.onShutdown(() => this.snapshots?.flush());
    connection.onNotification(YAML_SYNTAX_OWNER_NOTIFICATION, (params: { redHat?: unknown }) => {
      const redHat = params?.redHat === true;
      if (redHat === this.syntaxByRedHat) return;
      this.syntaxByRedHat = redHat;
      this.scheduleRefresh();
    });
    connection.languages.diagnostics.on(async (params) => {
      const path = pathOf(params.textDocument.uri);
      let all: Finding[] = [];
      if (path) {
        this.pulling++;
        try {
          all = await this.safeValidate(path, params.textDocument.uri);
        } finally {
          this.pulling--;
        }
      }
      // Closed files are not Red Hat's: their syntax errors (workspace pull) stay ours.
      const findings = path && this.syntaxByRedHat && this.openByPath.has(path) ? withoutRedHatSyntax(path, all) : all;
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
      const closed = new Set<string>();
      for (const folder of this.workspaceFolders) {
        if (!(await this.validatesWorkspace(folder))) continue;
        for (const path of await findValidatableFiles(folder)) {
          if (token.isCancellationRequested) return { items: [] };
          if (this.openByPath.has(path)) continue;
          const uri = pathToFileURL(path).toString();
          const findings = await this.safeValidate(path, uri);
          items.push({ ...this.report(uri, findings.map(toLspDiagnostic), previous.get(uri)), uri, version: null });
          closed.add(path);
        }
      }
      // A file created or deleted without a watcher event (another tool, a network drive): the
      // index of what closed files read is built again when next needed.
      const index = this.closedInputs;
      if (index) {
        const known = await index;
        if (known.size !== closed.size || [...closed].some((p) => !known.has(p)))
          if (this.closedInputs === index) this.closedInputs = undefined;
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
        const dvcFiles = fileKindOf(at.path) === 'dvc' ? await this.dvcFiles() : [];
        const items = await completionsAt(at.path, at.text, params.position, this.files, { dvcFiles });
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
    connection.onReferences((params) =>
      this.guard('references', [] as Location[], async () => {
        const at = this.openText(params.textDocument.uri);
        if (!at) return [];
        const uses = await this.paramUses();
        const symbol = await paramSymbolAt(at.path, at.text, params.position, uses);
        if ('error' in symbol) return [];
        const locations = await paramReferences(symbol, uses, this.files);
        const wanted = params.context.includeDeclaration ? locations : locations.filter((l) => l.file !== symbol.paramsFile);
        return wanted.map((l) => ({ uri: uriOf(l.file), range: l.range }));
      }),
    );
    connection.onPrepareRename(async (params) => {
      const at = this.openText(params.textDocument.uri);
      if (!at) return null;
      try {
        const symbol = await paramSymbolAt(at.path, at.text, params.position, await this.paramUses());
        if ('error' in symbol) return new ResponseError(ErrorCodes.InvalidRequest, symbol.error);
        return { range: symbol.range, placeholder: symbol.path[symbol.path.length - 1] ?? '' };
      } catch (error) {
        this.connection.console.error(`prepare rename failed: ${String((error as Error)?.stack ?? error)}`);
        return new ResponseError(ErrorCodes.InternalError, 'Rename could not read the params files; see the MLOps Workbench output.');
      }
    });
    connection.onRenameRequest(async (params) => {
      const at = this.openText(params.textDocument.uri);
      if (!at) return null;
      try {
        const uses = await this.paramUses();
        const symbol = await paramSymbolAt(at.path, at.text, params.position, uses);
        if ('error' in symbol) return new ResponseError(ErrorCodes.InvalidRequest, symbol.error);
        const result = await renameParam(symbol, params.newName, uses, this.files);
        if ('error' in result) return new ResponseError(ErrorCodes.InvalidRequest, result.error);
        const changes: Record<string, TextEdit[]> = {};
        for (const [file, edits] of Object.entries(result.edits)) changes[uriOf(file)] = edits;
        return { changes } satisfies WorkspaceEdit;
      } catch (error) {
        this.connection.console.error(`rename failed: ${String((error as Error)?.stack ?? error)}`);
        return new ResponseError(ErrorCodes.InternalError, 'Rename could not read the params files; see the MLOps Workbench output.');
      }
    });
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
    this.documents.onDidOpen((event) => {
      this.track(event.document);
      this.justOpened.add(event.document.uri);
    });
    this.documents.onDidChangeContent((event) => {
      this.track(event.document);
      const path = pathOf(event.document.uri);
      if (!path) return;
      // Opening a file changes nothing for its dependants unless the buffer differs from the disk
      // (unsaved changes restored), so a large dvc.yaml opened at start-up is not read twice.
      if (this.justOpened.delete(event.document.uri)) void this.typedIfUnlikeDisk(path, event.document);
      else this.typed(path);
    });
    this.documents.onDidClose((event) => {
      this.reported.delete(event.document.uri);
      const path = pathOf(event.document.uri);
      if (!path) return;
      this.openByPath.delete(path);
      this.inputsByPath.delete(path);
      this.typedPaths.delete(path);
      // Closed without saving: its dependants are validated against the disk again, and the file
      // itself is now reported by the workspace pull.
      this.closedInputs = undefined;
      if (fileKindOf(path) !== undefined) this.scheduleRefresh();
      else void this.refreshIfDependedOn([path]);
    });
    connection.onDidChangeConfiguration(() => {
      this.settingsByUri.clear();
      this.inputsByPath.clear();
      this.closedInputs = undefined;
      this.scheduleRefresh();
    });
    connection.onDidChangeWatchedFiles((params) => {
      // A pipeline file, or a file an open document depends on (params.yaml for dvc.yaml, the CSV
      // for schema.yaml), changed on disk: every open document is pulled again.
      const paths = params.changes.map((change) => pathOf(change.uri)).filter((p): p is string => p !== undefined);
      if (paths.some((p) => fileKindOf(p) !== undefined)) this.closedInputs = undefined;
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
    const snapshotFolder = (params.initializationOptions as { snapshotFolder?: unknown } | undefined)?.snapshotFolder;
    if (typeof snapshotFolder === 'string' && snapshotFolder !== '')
      this.snapshots = new ValidationSnapshots(snapshotFolder, __filename, (message) => this.connection.console.info(message));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: true },
        completionProvider: { triggerCharacters: ['{', '.', ' ', '-', ':'] },
        hoverProvider: true,
        documentSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
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
      const snapshots = fileKindOf(path) === 'dvc' ? this.snapshots : undefined;
      await snapshots?.restore(path);
      const findings = await validateFile(path, this.files, options);
      snapshots?.saveSoon(path);
      return findings;
    } catch (error) {
      this.connection.console.error(`validation of ${path} failed: ${String((error as Error)?.stack ?? error)}`);
      return [];
    }
  }

  /** The workspace's dvc.yaml files, and open ones outside it. */
  private async dvcFiles(): Promise<string[]> {
    const dvcFiles = new Set<string>();
    for (const folder of this.workspaceFolders)
      for (const path of await findValidatableFiles(folder)) if (fileKindOf(path) === 'dvc') dvcFiles.add(path);
    for (const path of this.openByPath.keys()) if (fileKindOf(path) === 'dvc') dvcFiles.add(path);
    return [...dvcFiles];
  }

  /** Every param use in those dvc.yaml files (open buffers as typed). */
  private async paramUses(): Promise<ParamUse[]> {
    return collectUses(await this.dvcFiles(), this.files);
  }

  /** An open document's buffer changed: its dependants are checked once typing pauses. */
  private typed(path: string): void {
    this.typedPaths.add(path);
    if (this.typingTimer) clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.checkTyped(), TYPING_DELAY_MS);
  }

  /** Once typing paused: the dependants of what was typed in, after the document pulls in flight. */
  private checkTyped(): void {
    this.typingTimer = undefined;
    if (this.pulling > 0) {
      // Parsing dependants now would slow down the diagnostics the editor is waiting for.
      this.typingTimer = setTimeout(() => this.checkTyped(), TYPING_DELAY_MS);
      return;
    }
    const changed = [...this.typedPaths];
    this.typedPaths.clear();
    void this.refreshIfDependedOn(changed);
  }

  /** A document just opened counts as typed when its buffer is not what the disk holds. */
  private async typedIfUnlikeDisk(path: string, document: TextDocument): Promise<void> {
    const onDisk = await diskFileAccess.readText(path);
    if (onDisk !== document.getText() && this.openByPath.get(path) === document) this.typed(path);
  }

  /** Closed validatable file → what it reads, for the folders validated whether open or not. */
  private closedInputsIndex(): Promise<Map<string, Set<string>>> {
    this.closedInputs ??= (async () => {
      const index = new Map<string, Set<string>>();
      for (const folder of this.workspaceFolders) {
        if (!(await this.validatesWorkspace(folder))) continue;
        for (const path of await findValidatableFiles(folder)) {
          if (this.openByPath.has(path)) continue;
          const options = await this.settings(pathToFileURL(path).toString(), path);
          index.set(path, new Set(await validationInputs(path, this.files, options)));
        }
      }
      return index;
    })();
    return this.closedInputs;
  }

  /** Whether a closed file of the workspace reads one of `changed`. */
  private async closedDependOn(changed: string[]): Promise<boolean> {
    for (const [path, inputs] of await this.closedInputsIndex()) {
      if (this.openByPath.has(path)) continue;
      if (changed.some((c) => inputs.has(c))) return true;
    }
    return false;
  }

  /**
   * Pulls diagnostics again when a document reads one of `changed`: an open one, or a closed one
   * of the workspace.
   */
  private async refreshIfDependedOn(changed: string[]): Promise<void> {
    try {
      // A changed document is checked too: changes batched by the typing pause may hold both a
      // dvc.yaml and the params.yaml it reads (a file is never its own input).
      for (const document of this.documents.all()) {
        const path = pathOf(document.uri);
        if (path === undefined) continue;
        // A file is never its own input: typing in a large dvc.yaml does not parse it again here.
        if (changed.every((c) => c === path)) continue;
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
      // Open documents first (their inputs are cached per version); then the closed files.
      if (await this.closedDependOn(changed)) this.scheduleRefresh();
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
