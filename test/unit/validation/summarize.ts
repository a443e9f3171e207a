import { join } from 'node:path';
import type { Finding } from '../../../src/core/diagnostic';
import { repoRoot } from '../../support/tools';

export const fixtures = join(repoRoot, 'test', 'fixtures', 'validation');

/** `line:col-line:col severity code message` with 1-based positions, as an editor shows them. */
export function summarize(findings: Finding[]): string[] {
  return findings.map(
    (f) =>
      `${f.range.start.line + 1}:${f.range.start.character + 1}-${f.range.end.line + 1}:${f.range.end.character + 1} ${f.severity} ${f.code} ${f.message}`,
  );
}
