import { promises as fs } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Finding } from '../core/diagnostic';
import { fileKindOf, IGNORED_DIRECTORIES } from '../core/fileKinds';
import { validateFile } from '../core/validation/validateFile';
import { oneOf, parseArgs } from './args';

const FORMATS = ['text', 'json', 'github', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

export const validateUsage = 'mlops validate [PATH...] [--format text|json|github|sarif]';

/** `mlops validate`: the language server's checks, for CI. Exit 1 when any finding is an error. */
export async function validateCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const args = parseArgs(argv, { options: ['format'], flags: ['json'] });
  const format: Format = args.flags.has('json') ? 'json' : oneOf(args.options.get('format')?.at(-1), FORMATS, 'format', 'text');
  const cwd = process.cwd();
  const targets = args.positionals.length > 0 ? args.positionals : ['.'];
  const files: string[] = [];
  for (const target of targets) files.push(...(await collectFiles(resolve(cwd, target))));
  const findings: Finding[] = [];
  for (const file of [...new Set(files)].sort()) findings.push(...(await validateFile(file)));
  out(render(findings, format, cwd, files.length));
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

async function collectFiles(path: string): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(path);
  } catch {
    throw new Error(`${path} does not exist`);
  }
  if (stat.isFile()) return [path];
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRECTORIES.has(entry.name)) await walk(full);
      } else if (entry.isFile() && fileKindOf(full) !== undefined && fileKindOf(full) !== 'dockerfile') {
        found.push(full);
      }
    }
  };
  await walk(path);
  return found;
}

export function render(findings: Finding[], format: Format, cwd: string, fileCount: number): string {
  const rel = (file: string): string => relative(cwd, file) || file;
  switch (format) {
    case 'json':
      return JSON.stringify({
        diagnostics: findings.map((f) => ({
          file: rel(f.file),
          line: f.range.start.line + 1,
          column: f.range.start.character + 1,
          endLine: f.range.end.line + 1,
          endColumn: f.range.end.character + 1,
          severity: f.severity,
          code: f.code,
          message: f.message,
          source: f.source,
        })),
      });
    case 'github':
      return findings
        .map((f) => {
          const level = f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'notice';
          const props = `file=${rel(f.file)},line=${f.range.start.line + 1},col=${f.range.start.character + 1},endLine=${f.range.end.line + 1},endColumn=${f.range.end.character + 1},title=${f.code}`;
          return `::${level} ${props}::${f.message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`;
        })
        .join('\n');
    case 'sarif':
      return JSON.stringify(toSarif(findings, rel), null, 2);
    case 'text': {
      const lines = findings.map(
        (f) => `${rel(f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} ${f.message} [${f.code}]`,
      );
      const errors = findings.filter((f) => f.severity === 'error').length;
      lines.push(
        findings.length === 0
          ? `${fileCount} file${fileCount === 1 ? '' : 's'} checked, no problems`
          : `${fileCount} files checked, ${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} other finding${findings.length - errors === 1 ? '' : 's'}`,
      );
      return lines.join('\n');
    }
  }
}

function toSarif(findings: Finding[], rel: (file: string) => string): unknown {
  const rules = [...new Set(findings.map((f) => f.code))].sort();
  const level = (s: Finding['severity']): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mlops',
            informationUri: 'https://github.com/mlops-workbench/mlops-workbench',
            rules: rules.map((id) => ({ id })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.code,
          level: level(f.severity),
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: rel(f.file).split('\\').join('/') },
                region: {
                  startLine: f.range.start.line + 1,
                  startColumn: f.range.start.character + 1,
                  endLine: f.range.end.line + 1,
                  endColumn: f.range.end.character + 1,
                },
              },
            },
          ],
        })),
      },
    ],
  };
}
