import { SOURCE, type Finding, type Range, type Severity } from '../diagnostic';
import type { ParsedYaml } from '../yaml/parseYaml';

/** Anything the yaml library gives a source range to. */
export interface Ranged {
  range?: [number, number, number] | null;
}

/** The range of a node's value (without trailing comments), or of the file's first character. */
export function rangeOfNode(parsed: ParsedYaml, node: Ranged | null | undefined): Range {
  const r = node?.range;
  if (!r) return parsed.lines.range(0, Math.min(parsed.text.length, 1));
  return parsed.lines.range(r[0], Math.max(r[1], r[0]));
}

export function findingAt(
  parsed: ParsedYaml,
  node: Ranged | null | undefined,
  severity: Severity,
  code: string,
  message: string,
  data?: Record<string, unknown>,
): Finding {
  const finding: Finding = { file: parsed.file, range: rangeOfNode(parsed, node), severity, code, message, source: SOURCE };
  if (data !== undefined) finding.data = data;
  return finding;
}

/** The finding a checker that crashed leaves instead of its results. */
export function checkerFailed(file: string, checker: string, error: unknown): Finding {
  const detail = error instanceof Error ? error.message : String(error);
  return {
    file,
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: 'error',
    code: 'internal-error',
    message: `The ${checker} check could not finish (${detail}); please report this with the file.`,
    source: SOURCE,
  };
}

/** Drops findings with the same code, range and message (a template expanded into many stages). */
export function dedupeFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.file}|${f.code}|${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
