import { dirname, join } from 'node:path';
import { isMap, isScalar, parseDocument } from 'yaml';
import { SOURCE, LineIndex, type Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';

/**
 * dvc.lock (schema 2.0): what DVC recorded for each stage on its last run — the command, the
 * hash of every dep and out, and the value of every param. Status compares it with the workspace.
 */
export interface LockEntry {
  /** As written in dvc.yaml (relative to the stage's wdir). */
  path: string;
  /** `abc…` for files, `abc….dir` for directories. */
  md5?: string;
  /** `md5` for DVC 3 entries; absent in DVC 2 entries, which were hashed with `md5-dos2unix`. */
  hash?: string;
  size?: number;
  nfiles?: number;
  isExec?: boolean;
}

export interface LockStage {
  name: string;
  cmd: string[];
  deps: LockEntry[];
  outs: LockEntry[];
  /** Params file (relative to wdir) → dotted key (or top-level key for a whole file) → value. */
  params: Record<string, Record<string, unknown>>;
  /** 0-based line of the stage in dvc.lock. */
  line: number;
}

export interface DvcLock {
  file: string;
  schema?: string;
  stages: Map<string, LockStage>;
}

export interface DvcLockParse {
  lock: DvcLock;
  problems: Finding[];
}

/** Parses dvc.lock text. Never throws; an unreadable lock yields no stages and a problem. */
export function parseDvcLock(file: string, text: string): DvcLockParse {
  const lines = new LineIndex(text);
  const problems: Finding[] = [];
  const lock: DvcLock = { file, stages: new Map() };
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    const [start, end] = doc.errors[0]?.pos ?? [0, 1];
    problems.push({
      file,
      range: lines.range(start, Math.max(end, start + 1)),
      severity: 'error',
      code: 'dvc-lock-syntax',
      message: 'dvc.lock is not valid YAML: run the pipeline again (dvc repro) to rewrite it.',
      source: SOURCE,
    });
    return { lock, problems };
  }
  const root = doc.contents;
  if (!isMap(root)) return { lock, problems };
  const schema = root.get('schema');
  if (schema !== undefined) lock.schema = String(schema);
  if (lock.schema !== undefined && lock.schema !== '2.0') {
    problems.push({
      file,
      range: lines.range(0, 1),
      severity: 'warning',
      code: 'dvc-lock-schema',
      message: `dvc.lock has schema ${lock.schema}, and only 2.0 is understood: upgrade the repository with a current DVC.`,
      source: SOURCE,
    });
  }
  const stages = root.get('stages', true);
  if (!isMap(stages)) return { lock, problems };
  for (const pair of stages.items) {
    if (!isScalar(pair.key) || !isMap(pair.value)) continue;
    const name = String(pair.key.value);
    let value: Record<string, unknown>;
    try {
      value = pair.value.toJS(doc, { maxAliasCount: 10_000 }) as Record<string, unknown>;
    } catch {
      continue;
    }
    const cmd = value.cmd;
    const line = lines.position(pair.key.range?.[0] ?? 0).line;
    lock.stages.set(name, {
      name,
      cmd: Array.isArray(cmd) ? cmd.map(String) : cmd === undefined || cmd === null ? [] : [String(cmd)],
      deps: entries(value.deps),
      outs: entries(value.outs),
      params: paramsOf(value.params),
      line,
    });
  }
  return { lock, problems };
}

function entries(value: unknown): LockEntry[] {
  if (!Array.isArray(value)) return [];
  const result: LockEntry[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    if (typeof record.path !== 'string') continue;
    const entry: LockEntry = { path: record.path };
    if (typeof record.md5 === 'string') entry.md5 = record.md5;
    if (typeof record.hash === 'string') entry.hash = record.hash;
    if (typeof record.size === 'number') entry.size = record.size;
    if (typeof record.nfiles === 'number') entry.nfiles = record.nfiles;
    if (typeof record.isexec === 'boolean') entry.isExec = record.isexec;
    result.push(entry);
  }
  return result;
}

function paramsOf(value: unknown): Record<string, Record<string, unknown>> {
  const result: Record<string, Record<string, unknown>> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return result;
  for (const [file, keys] of Object.entries(value as Record<string, unknown>)) {
    result[file] = typeof keys === 'object' && keys !== null && !Array.isArray(keys) ? (keys as Record<string, unknown>) : {};
  }
  return result;
}

/** The dvc.lock beside a dvc.yaml. */
export function lockFileOf(dvcYaml: string): string {
  return join(dirname(dvcYaml), 'dvc.lock');
}

/** Reads the dvc.lock beside a dvc.yaml; undefined when there is none (nothing has run yet). */
export async function readDvcLock(dvcYaml: string, files: FileAccess): Promise<DvcLockParse | undefined> {
  const file = lockFileOf(dvcYaml);
  const text = await files.readText(file);
  if (text === undefined) return undefined;
  return parseDvcLock(file, text);
}

/** Whether the lock records any stage. */
export function hasStages(lock: DvcLock | undefined): boolean {
  return lock !== undefined && lock.stages.size > 0;
}
