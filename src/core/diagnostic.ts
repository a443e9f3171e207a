/**
 * The one diagnostic shape every check in the core produces. Positions are 0-based (LSP style);
 * the CLI converts to 1-based when it prints.
 */
export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Finding {
  /** Absolute path of the file the finding is in. */
  file: string;
  range: Range;
  severity: Severity;
  /** Stable identifier, e.g. `yaml-syntax`, `dvc-unknown-param`. */
  code: string;
  message: string;
  /** Which checker produced it; shown as the diagnostic's source. */
  source: string;
  /** Data for quick fixes (e.g. the suggested replacement). */
  data?: Record<string, unknown>;
}

export const SOURCE = 'mlops';

/** Maps character offsets in a text to line/character positions. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: clamped - (this.starts[lo] ?? 0) };
  }

  offset(position: Position): number {
    const start = this.starts[Math.max(0, Math.min(position.line, this.starts.length - 1))] ?? 0;
    return Math.min(start + position.character, this.text.length);
  }

  range(startOffset: number, endOffset: number): Range {
    return { start: this.position(startOffset), end: this.position(endOffset) };
  }
}

const order: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export function compareFindings(a: Finding, b: Finding): number {
  // Equal strings compare as 0 either way; skipping localeCompare for them spares the collator
  // (slow on its first use in a process) in the common case of findings of one file.
  return (
    (a.file === b.file ? 0 : a.file.localeCompare(b.file)) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    order[a.severity] - order[b.severity] ||
    (a.code === b.code ? 0 : a.code.localeCompare(b.code))
  );
}
