import { promises as fs } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { FileAccess } from '../fileAccess';
import type { DvcLock, LockEntry } from './dvcLock';
import { DvcIgnore } from './dvcIgnore';
import { PathHasher, type HashName } from './hashing';
import type { DvcPipeline, PipelineStage, StageChange, StageStatus } from './model';
import { lookupParam, readStructuredFile } from '../params/paramLookup';

export interface StatusOptions {
  /** Reuse one hasher across refreshes so unchanged files are not read again. */
  hasher?: PathHasher;
  /** Limit to these stage names. */
  stages?: string[];
}

const sharedHasher = new PathHasher();

interface Workspace {
  hasher: PathHasher;
  ignore: DvcIgnore;
  cacheDir: string | undefined;
}

/**
 * Status of every stage computed in-process, the way `dvc status` computes it: each stage's own
 * deps, params, outs and command against what dvc.lock recorded (a stage is not marked changed
 * because an upstream stage is). Frozen stages skip their deps and params, as in DVC.
 */
export async function computeStatus(
  pipeline: DvcPipeline,
  lock: DvcLock | undefined,
  files: FileAccess,
  options: StatusOptions = {},
): Promise<StageStatus[]> {
  const hasher = options.hasher ?? sharedHasher;
  const repo = await findDvcRepository(dirname(pipeline.file));
  const cacheDir = repo?.cacheDir;
  const ignore = new DvcIgnore(repo?.root ?? dirname(pipeline.file));
  const paramsCache = new Map<string, Promise<unknown>>();
  const readParams = (path: string): Promise<unknown> => {
    let cached = paramsCache.get(path);
    if (!cached) {
      cached = readStructuredFile(path, files);
      paramsCache.set(path, cached);
    }
    return cached;
  };
  const wanted = options.stages ? new Set(options.stages) : undefined;
  const stages = pipeline.stages.filter((s) => !wanted || wanted.has(s.name));
  return Promise.all(stages.map((stage) => stageStatus(stage, lock, { hasher, ignore, cacheDir }, readParams)));
}

async function stageStatus(
  stage: PipelineStage,
  lock: DvcLock | undefined,
  workspace: Workspace,
  readParams: (path: string) => Promise<unknown>,
): Promise<StageStatus> {
  const locked = lock?.stages.get(stage.name);
  if (!locked) {
    return {
      stage: stage.name,
      state: stage.frozen ? 'frozen' : 'never-run',
      reasons: ['never run: dvc.lock has no entry for this stage'],
      changes: [],
    };
  }
  const changes: StageChange[] = [];
  if (!stage.frozen) {
    for (const dep of stage.deps) {
      const recorded = locked.deps.find((d) => samePath(d.path, dep.path));
      const change = await entryChange(join(stage.wdir, dep.path), recorded, workspace, false);
      if (change) changes.push({ kind: 'deps', path: dep.path, change });
    }
    changes.push(...(await paramChanges(stage, locked.params, readParams)));
  }
  for (const out of [...stage.outs, ...stage.metrics, ...stage.plots]) {
    const recorded = locked.outs.find((o) => samePath(o.path, out.path));
    const useCache = out.flags?.cache !== false;
    const change = await entryChange(join(stage.wdir, out.path), recorded, workspace, useCache);
    if (change) changes.push({ kind: 'outs', path: out.path, change });
  }
  if (stage.alwaysChanged) changes.push({ kind: 'always', change: 'modified' });
  if (!isDeepStrictEqual(locked.cmd, stage.cmd)) changes.push({ kind: 'cmd', change: 'modified' });
  const reasons = changes.map(describeChange);
  const state = stage.frozen ? 'frozen' : changes.length > 0 ? 'changed' : 'up-to-date';
  return { stage: stage.name, state, reasons, changes };
}

function samePath(a: string, b: string): boolean {
  return normalize(a) === normalize(b);
}

/** One dep's or out's state, with DVC's words: deleted, modified, not in cache. */
async function entryChange(
  path: string,
  recorded: LockEntry | undefined,
  workspace: Workspace,
  useCache: boolean,
): Promise<StageChange['change'] | undefined> {
  const { cacheDir } = workspace;
  if (useCache && recorded?.md5 && cacheDir && !(await exists(cachePath(cacheDir, recorded.md5)))) return 'not in cache';
  const name: HashName = recorded?.hash === undefined && recorded?.md5 !== undefined ? 'md5-dos2unix' : 'md5';
  const actual = await workspace.hasher.hash(path, name, workspace.ignore);
  if (!actual) return 'deleted';
  if (!recorded?.md5) return 'modified';
  return actual.md5 === recorded.md5 ? undefined : 'modified';
}

function cachePath(cacheDir: string, md5: string): string {
  return join(cacheDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
}

async function paramChanges(
  stage: PipelineStage,
  recorded: Record<string, Record<string, unknown>>,
  readParams: (path: string) => Promise<unknown>,
): Promise<StageChange[]> {
  const byFile = new Map<string, (string | undefined)[]>();
  for (const param of stage.params) byFile.set(param.file, [...(byFile.get(param.file) ?? []), param.key]);
  const changes: StageChange[] = [];
  for (const [file, keys] of byFile) {
    const data = await readParams(join(stage.wdir, file));
    if (data === undefined) {
      changes.push({ kind: 'params', file, change: 'deleted' });
      continue;
    }
    const info = recorded[file];
    if (info === undefined) {
      changes.push({ kind: 'params', file, change: 'new' });
      continue;
    }
    const whole = keys.includes(undefined);
    const actual: Record<string, unknown> = {};
    let list: string[];
    if (whole) {
      if (typeof data === 'object' && data !== null && !Array.isArray(data)) Object.assign(actual, data);
      list = [...new Set([...Object.keys(actual), ...Object.keys(info)])];
    } else {
      list = [...new Set(keys.filter((k): k is string => k !== undefined))];
      for (const key of list) {
        const value = lookupParam(data, key);
        if (value.found) actual[key] = value.value;
      }
    }
    for (const key of list) {
      let change: StageChange['change'] | undefined;
      if (!(key in actual)) change = 'deleted';
      else if (!(key in info)) change = 'new';
      else if (!isDeepStrictEqual(actual[key], info[key])) change = 'modified';
      if (change) changes.push({ kind: 'params', file, key, change });
    }
  }
  return changes;
}

/** The sentence the tree and the CLI show for one change. */
export function describeChange(change: StageChange): string {
  switch (change.kind) {
    case 'deps':
      return change.change === 'deleted' ? `deps missing: ${change.path}` : `deps changed: ${change.path}`;
    case 'outs':
      if (change.change === 'deleted') return `outs missing: ${change.path}`;
      if (change.change === 'not in cache') return `outs not in cache: ${change.path}`;
      return `outs changed: ${change.path}`;
    case 'params':
      if (change.key === undefined)
        return change.change === 'deleted' ? `params file missing: ${change.file}` : `params not recorded: ${change.file}`;
      return change.change === 'modified'
        ? `params changed: ${change.key}`
        : `params ${change.change === 'new' ? 'added' : 'removed'}: ${change.key}`;
    case 'cmd':
      return 'cmd changed';
    case 'always':
      return 'always changed';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

/** The DVC repository holding a folder, and its cache (`.dvc/cache`, or `cache.dir` from .dvc/config). */
export async function findDvcRepository(start: string): Promise<{ root: string; cacheDir: string } | undefined> {
  let dir = start;
  for (let i = 0; i < 64; i++) {
    const dvcDir = join(dir, '.dvc');
    if (await exists(dvcDir)) {
      for (const config of ['config.local', 'config']) {
        let text: string;
        try {
          text = await fs.readFile(join(dvcDir, config), 'utf8');
        } catch {
          continue;
        }
        const section = /^\s*\[\s*cache\s*\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(text);
        const dirLine = section?.[1] ? /^\s*dir\s*=\s*(.+?)\s*$/m.exec(section[1]) : null;
        if (dirLine?.[1]) return { root: dir, cacheDir: normalize(join(dvcDir, dirLine[1])) };
      }
      return { root: dir, cacheDir: join(dvcDir, 'cache') };
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

export interface DvcStatusJsonOptions {
  /** The folder `dvc status` ran in (its paths and stage addresses are relative to it); default: the dvc.yaml's folder. */
  cwd?: string;
  /** With the lock, stages it does not record are reported as never run, as computeStatus does. */
  lock?: DvcLock;
}

/**
 * Maps `dvc status --json` output to stage statuses with the same changes computeStatus gives.
 * `pipeline` supplies the stages DVC leaves out (up to date, or frozen) and turns DVC's
 * cwd-relative paths back into paths as written in the stage.
 */
export function dvcStatusJson(
  output: string | Record<string, unknown>,
  pipeline?: DvcPipeline,
  options: DvcStatusJsonOptions = {},
): StageStatus[] {
  const data = typeof output === 'string' ? (JSON.parse(output.trim().length > 0 ? output : '{}') as Record<string, unknown>) : output;
  const cwd = options.cwd ?? (pipeline ? dirname(pipeline.file) : undefined);
  const relativeYaml = pipeline && cwd ? relative(cwd, pipeline.file).split(sep).join('/') : 'dvc.yaml';
  const prefix = relativeYaml === 'dvc.yaml' ? '' : `${relativeYaml}:`;
  const result: StageStatus[] = [];
  const reported = new Map<string, StageStatus>();
  for (const [address, value] of Object.entries(data)) {
    if (prefix && !address.startsWith(prefix)) continue;
    if (!prefix && address.includes(':')) continue;
    const name = address.slice(prefix.length);
    const stage = pipeline?.stages.find((s) => s.name === name);
    // DVC prints paths relative to where it ran; the stage writes them relative to its wdir.
    const asWritten = (path: string): string => (stage && cwd ? relative(stage.wdir, join(cwd, path)).split(sep).join('/') : path);
    const changes: StageChange[] = [];
    for (const item of Array.isArray(value) ? value : []) {
      if (item === 'always changed') changes.push({ kind: 'always', change: 'modified' });
      else if (item === 'changed command' || item === 'changed checksum') changes.push({ kind: 'cmd', change: 'modified' });
      else if (typeof item === 'object' && item !== null) {
        for (const [section, entries] of Object.entries(item as Record<string, unknown>)) {
          const kind = section === 'changed outs' ? 'outs' : 'deps';
          for (const [rawPath, state] of Object.entries((entries ?? {}) as Record<string, unknown>)) {
            const path = asWritten(rawPath);
            if (typeof state === 'object' && state !== null) {
              for (const [key, paramState] of Object.entries(state as Record<string, unknown>)) {
                changes.push({ kind: 'params', file: path, key, change: asChange(paramState) });
              }
            } else if (kind === 'deps' && stage?.params.some((p) => samePath(p.file, path))) {
              changes.push({ kind: 'params', file: path, change: asChange(state) });
            } else {
              changes.push({ kind, path, change: asChange(state) });
            }
          }
        }
      }
    }
    const neverRun = options.lock !== undefined && !options.lock.stages.has(name);
    const status: StageStatus = {
      stage: name,
      state: stage?.frozen ? 'frozen' : neverRun ? 'never-run' : changes.length > 0 ? 'changed' : 'up-to-date',
      reasons: neverRun ? ['never run: dvc.lock has no entry for this stage'] : changes.map(describeChange),
      changes: neverRun ? [] : changes,
    };
    reported.set(name, status);
  }
  if (pipeline) {
    for (const stage of pipeline.stages) {
      result.push(
        reported.get(stage.name) ?? { stage: stage.name, state: stage.frozen ? 'frozen' : 'up-to-date', reasons: [], changes: [] },
      );
    }
  } else {
    result.push(...reported.values());
  }
  return result;
}

function asChange(state: unknown): StageChange['change'] {
  return state === 'deleted' || state === 'new' || state === 'not in cache' ? state : 'modified';
}

export interface StageParamValue {
  /** Params file relative to the stage's wdir. */
  file: string;
  /** Dotted key; for a whole tracked file, each top-level key. */
  key: string;
  /** Current value in the params file, undefined when the key is gone. */
  value: unknown;
  /** Value recorded in dvc.lock on the last run, undefined when not recorded. */
  recorded: unknown;
  changed: boolean;
}

/** Current and recorded values of a stage's params, for the tree's params children and hovers. */
export async function stageParamValues(stage: PipelineStage, lock: DvcLock | undefined, files: FileAccess): Promise<StageParamValue[]> {
  const recorded = lock?.stages.get(stage.name)?.params ?? {};
  const result: StageParamValue[] = [];
  const loaded = new Map<string, unknown>();
  for (const param of stage.params) {
    if (!loaded.has(param.file)) {
      loaded.set(param.file, await readStructuredFile(join(stage.wdir, param.file), files));
    }
    const data = loaded.get(param.file);
    const info = recorded[param.file];
    const keys =
      param.key !== undefined
        ? [param.key]
        : [
            ...new Set([
              ...(typeof data === 'object' && data !== null && !Array.isArray(data) ? Object.keys(data) : []),
              ...Object.keys(info ?? {}),
            ]),
          ];
    for (const key of keys) {
      const current =
        param.key === undefined
          ? { found: true as const, value: (data as Record<string, unknown> | undefined)?.[key] }
          : lookupParam(data, key);
      const value = current.found ? current.value : undefined;
      const old = info?.[key];
      result.push({ file: param.file, key, value, recorded: old, changed: info !== undefined && !isDeepStrictEqual(value, old) });
    }
  }
  return result;
}
