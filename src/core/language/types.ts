import type { Range } from '../diagnostic';

/** What a completion item is, mapped to the editor's icon by the server. */
export type CompletionKind = 'property' | 'value' | 'variable' | 'keyword' | 'file' | 'module';

/** A completion item as the core offers it; the server maps it onto LSP's `CompletionItem`. */
export interface Completion {
  label: string;
  kind: CompletionKind;
  /** Short text beside the label (a param's value, a dtype's family). */
  detail?: string;
  /** Markdown shown in the details pane. */
  documentation?: string;
  /** The text that replaces `range`. */
  insertText: string;
  range: Range;
  sortText?: string;
}

/** A place in a file, for go-to-definition and hover links. */
export interface FileLocation {
  file: string;
  range: Range;
}

export interface HoverInfo {
  /** Markdown. */
  contents: string;
  range: Range;
}

export interface TextEditOf {
  range: Range;
  newText: string;
}

/** A quick fix: edits per absolute file path. */
export interface QuickFix {
  title: string;
  edits: Record<string, TextEditOf[]>;
  isPreferred?: boolean;
}

/** The diagnostic a quick fix is asked for (the fields of a Finding the editor sends back). */
export interface DiagnosticRef {
  code?: string | number;
  range: Range;
  message: string;
  data?: unknown;
}
