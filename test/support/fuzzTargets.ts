import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../../src/core/diagnostic';
import type { FileAccess } from '../../src/core/fileAccess';
import { parseDvcLock } from '../../src/core/pipeline/dvcLock';
import { parseDvcPipeline } from '../../src/core/pipeline/dvcPipeline';
import { parseMlproject } from '../../src/core/pipeline/mlproject';
import { parseMetricLines } from '../../src/core/runs/mlflowFileStore';
import { MlflowSqliteSource } from '../../src/core/runs/mlflowSqliteSource';
import { SqliteFormatError } from '../../src/core/sqlite/sqliteDatabase';
import { prng } from './fuzzInputs';
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
  /** `text` is a seed: a copy of the MLflow fixture store (and its WAL) is broken from it, then read. */
  mlflowSqlite: async (text) => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-fuzz-db-'));
    try {
      const seed = Number(text);
      const wal = seed % 5 === 0;
      const fixtures = join(repoRoot, 'test', 'fixtures', 'runs');
      const path = join(dir, 'mlflow.db');
      const mutated = corruptDatabase(readFileSync(join(fixtures, wal ? 'wal/mlflow.db' : 'mlflow.db')), seed, !wal);
      writeFileSync(path, mutated);
      if (wal) writeFileSync(`${path}-wal`, corruptDatabase(readFileSync(join(fixtures, 'wal', 'mlflow.db-wal')), seed, false));
      return await readWholeStore(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

/** Reads every run, one metric history and the first pages; only the reader's own clear errors may come out. */
async function readWholeStore(path: string): Promise<string[]> {
  const source = new MlflowSqliteSource(path);
  try {
    const runs = await source.listRuns();
    const first = runs[0];
    const metric = first ? Object.keys(first.metrics)[0] : undefined;
    if (first && metric) await source.metricHistory(first.id, metric);
    // The Runs view's reads: experiments, then two pages of each.
    for (const experiment of await source.experiments()) {
      const page = await source.runsPage(experiment.name, 2);
      if (page.next) await source.runsPage(experiment.name, 2, page.next);
    }
    return [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const clear = error instanceof SqliteFormatError || /not an MLflow store|kept changing/.test(message);
    if (!clear) return [`an unclear error escaped: ${String((error as Error)?.stack ?? error)}`];
    return message.includes('\n') ? [`a message of several lines: ${message}`] : [];
  } finally {
    source.dispose();
  }
}

/** Breaks a SQLite file the ways disks, crashes and copies do; `pagesOnly` keeps the header intact. */
export function corruptDatabase(original: Buffer, seed: number, allowHeader: boolean): Buffer {
  const random = prng(seed);
  const bytes = Buffer.from(original);
  const pageSize = 4096;
  const pages = Math.max(1, Math.floor(bytes.length / pageSize));
  const pageAt = (n: number): number => n * pageSize;
  const kind = Math.floor(random() * 7);
  switch (kind) {
    case 0: {
      const flips = 1 + Math.floor(random() * 64);
      for (let i = 0; i < flips; i++) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
      return bytes;
    }
    case 1:
      return bytes.subarray(0, Math.floor(random() * bytes.length));
    case 2: {
      const page = Math.floor(random() * pages);
      bytes.fill(0, pageAt(page), pageAt(page + 1));
      return bytes;
    }
    case 3: {
      // One page copied over another: b-tree pointers now form cycles and wrong types.
      const from = Math.floor(random() * pages);
      const to = Math.floor(random() * pages);
      bytes.copy(bytes, pageAt(to), pageAt(from), pageAt(from + 1));
      return bytes;
    }
    case 4: {
      // The b-tree page header: type, first freeblock, cell count, content start, right pointer.
      const page = Math.floor(random() * pages);
      const header = pageAt(page) + (page === 0 ? 100 : 0);
      for (let i = 0; i < 4; i++) bytes[header + Math.floor(random() * 12)] = Math.floor(random() * 256);
      return bytes;
    }
    case 5: {
      if (!allowHeader) return corruptDatabase(original, seed + 1, allowHeader);
      // The database header: page size, reserved bytes, change counter, page count, schema cookie.
      for (let i = 0; i < 3; i++) bytes[16 + Math.floor(random() * 84)] = Math.floor(random() * 256);
      return bytes;
    }
    default: {
      // Cell pointers of a page aimed at random offsets.
      const page = Math.floor(random() * pages);
      const start = pageAt(page) + (page === 0 ? 100 : 0) + 8;
      for (let i = 0; i < 8; i++) bytes.writeUInt16BE(Math.floor(random() * 65536), start + 4 + 2 * Math.floor(random() * 20));
      return bytes;
    }
  }
}
