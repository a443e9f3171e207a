import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../src/core/diagnostic';
import type { FileAccess } from '../../src/core/fileAccess';
import { parseDvcLock } from '../../src/core/pipeline/dvcLock';
import { parseDvcPipeline } from '../../src/core/pipeline/dvcPipeline';
import { parseMlproject } from '../../src/core/pipeline/mlproject';
import { parseMetricLines } from '../../src/core/runs/mlflowFileStore';
import { validateFile } from '../../src/core/validation/validateFile';
import { parseYaml } from '../../src/core/yaml/parseYaml';
import { repoRoot } from './tools';

/** Where fuzzed documents live: a folder that does not exist on disk, so only memory is read. */
export const FUZZ_ROOT = '/fuzz-workspace';

const EXAMPLE_FILES = ['params.yaml', 'dvc.yaml', 'schema.yaml', 'config/config.yaml', 'MLproject', 'python_env.yaml'];

/** The example project in memory, with one file replaced by the fuzzed text. */
function memoryFiles(path: string, text: string): FileAccess {
  const files = new Map<string, string>();
  for (const name of EXAMPLE_FILES) {
    files.set(join(FUZZ_ROOT, name), readFileSync(join(repoRoot, 'examples', 'wine-quality', name), 'utf8'));
  }
  files.set(join(FUZZ_ROOT, 'data', 'winequality-red.csv'), 'fixed acidity,volatile acidity,quality\n7.4,0.7,5\n');
  files.set(path, text);
  return {
    readText: (p) => Promise.resolve(files.get(p)),
    exists: (p) => Promise.resolve(files.has(p) || [...files.keys()].some((k) => k.startsWith(`${p}/`))),
  };
}

/** Problems with what a target returned: a finding outside the document, a malformed finding. */
export function rangeProblems(text: string, file: string, findings: readonly Finding[]): string[] {
  const lines = text.split('\n');
  const problems: string[] = [];
  for (const f of findings) {
    if (typeof f.message !== 'string' || f.message.length === 0) problems.push(`finding ${f.code} has no message`);
    if (f.file !== file) continue;
    for (const [name, p] of [
      ['start', f.range.start],
      ['end', f.range.end],
    ] as const) {
      const ok =
        Number.isInteger(p.line) &&
        Number.isInteger(p.character) &&
        p.line >= 0 &&
        p.character >= 0 &&
        p.line < lines.length &&
        p.character <= (lines[p.line] ?? '').length;
      if (!ok) problems.push(`finding ${f.code} ${name} ${p.line}:${p.character} is outside the document (${lines.length} lines)`);
    }
    const { start, end } = f.range;
    if (end.line < start.line || (end.line === start.line && end.character < start.character)) {
      problems.push(`finding ${f.code} ends before it starts`);
    }
  }
  return problems;
}

/** A fuzz target: runs the code under test on one text and returns what is wrong with the result. */
export type FuzzTarget = (text: string) => Promise<string[]> | string[];

export const FUZZ_TARGETS: Record<string, FuzzTarget> = {
  parseYaml: (text) => {
    const file = join(FUZZ_ROOT, 'params.yaml');
    return rangeProblems(text, file, parseYaml(file, text).findings);
  },
  parseDvcPipeline: async (text) => {
    const file = join(FUZZ_ROOT, 'dvc.yaml');
    const parsed = await parseDvcPipeline(file, text, memoryFiles(file, text));
    return rangeProblems(text, file, [...parsed.yamlFindings, ...parsed.problems]);
  },
  parseMlproject: (text) => {
    const file = join(FUZZ_ROOT, 'MLproject');
    return rangeProblems(text, file, parseMlproject(file, text).problems);
  },
  parseDvcLock: (text) => {
    const file = join(FUZZ_ROOT, 'dvc.lock');
    return rangeProblems(text, file, parseDvcLock(file, text).problems);
  },
  validateDvcYaml: (text) => validateAs('dvc.yaml', text),
  validateParams: (text) => validateAs('params.yaml', text),
  validateSchema: (text) => validateAs('schema.yaml', text),
  validateMlproject: (text) => validateAs('MLproject', text),
  /** Proves the harness itself: `hang` loops forever, `throw` throws, `reject` rejects later. */
  harnessCheck: async (text) => {
    if (text === 'hang') for (;;);
    if (text === 'throw') throw new Error('thrown on purpose');
    if (text === 'reject') void Promise.reject(new Error('rejected on purpose'));
    return text === 'bad' ? ['a bad result'] : [];
  },
  parseMetricLines: (text) => {
    const points = parseMetricLines(text);
    return points
      .filter((p) => !Number.isFinite(p.step) || !Number.isFinite(p.timestamp))
      .map(() => 'a metric point without a finite step or timestamp');
  },
};

async function validateAs(name: string, text: string): Promise<string[]> {
  const file = join(FUZZ_ROOT, name);
  const findings = await validateFile(file, memoryFiles(file, text), { reportUnusedParams: true });
  // A checker that threw is caught and reported as internal-error: still a crash to fix.
  const failed = findings.filter((f) => f.code === 'internal-error').map((f) => `a checker crashed: ${f.message}`);
  return [...failed, ...rangeProblems(text, file, findings)];
}
