import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { buildStageGraph, findCycles, stageId, stagePathOf, topologicalOrder, upstreamOf, type StageGraph } from '../pipeline/graph';
import { PathHasher } from '../pipeline/hashing';
import type { DvcPipeline, PipelineStage } from '../pipeline/model';
import { writeFileAtomic } from './atomicFile';
import { startProcess } from './processTree';
import type { RunEvent, RunOutcome } from './runEvents';
import { lookupParam, readStructuredFile } from '../params/paramLookup';

/**
 * Runs dvc.yaml stages without DVC: each stage's commands through the shell in its wdir, upstream
 * stages first, skipping what has not changed since this runner last ran it. Its memory of past
 * runs is its own file, `.mlops/builtin-state.json` beside the dvc.yaml, never dvc.lock (DVC's).
 */
export interface BuiltinRunOptions {
  /** Absolute path of the dvc.yaml. */
  pipelineFile: string;
  /** DVC stage name (`train@rf`), or a foreach/matrix template name for all its stages; none for the whole pipeline. */
  stage?: string;
  /** Only the stage itself, not what it needs upstream (`--single-item`). */
  single?: boolean;
  /** Run even what is unchanged. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  files?: FileAccess;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Reuse a hasher across runs so unchanged files are not read again. */
  hasher?: PathHasher;
}

/** What the runner remembers of a stage's last successful run. */
export interface BuiltinStageState {
  cmd: string[];
  deps: Record<string, string>;
  params: Record<string, unknown>;
  outs: Record<string, string>;
  finishedAt: string;
}

export interface BuiltinState {
  version: 1;
  stages: Record<string, BuiltinStageState>;
}

export const BUILTIN_STATE_FILE = join('.mlops', 'builtin-state.json');

export function builtinStateFile(pipelineFile: string): string {
  return join(dirname(pipelineFile), BUILTIN_STATE_FILE);
}

export async function readBuiltinState(pipelineFile: string): Promise<BuiltinState> {
  try {
    const value = JSON.parse(await fs.readFile(builtinStateFile(pipelineFile), 'utf8')) as Partial<BuiltinState>;
    if (value && value.version === 1 && value.stages && typeof value.stages === 'object') return { version: 1, stages: value.stages };
  } catch {
    // Missing or unreadable: every stage counts as never run.
  }
  return { version: 1, stages: {} };
}

/** The stage ids a run of `stage` covers, in the order to run them; or why it cannot run. */
export interface RunPlan {
  pipeline: DvcPipeline;
  graph: StageGraph;
  /** Stage names in run order. */
  stages: string[];
  /** Stages that were asked for (the target, its foreach group, or all). */
  targets: string[];
}

export class RunRefusedError extends Error {}

function displayName(pipelineFile: string): string {
  return basename(pipelineFile);
}

/** One cycle as a readable path, following the deps from a stage back to itself: `a → b → a`. */
export function describeCycle(graph: StageGraph, component: string[]): string {
  const members = new Set(component);
  const start = component[0];
  if (start === undefined) return '';
  // Shortest way round from start back to start, inside the component.
  const previous = new Map<string, string>();
  const queue = [start];
  let closing: string | undefined;
  while (queue.length > 0 && closing === undefined) {
    const current = queue.shift() as string;
    for (const next of graph.downstream.get(current) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        closing = current;
        break;
      }
      if (previous.has(next)) continue;
      previous.set(next, current);
      queue.push(next);
    }
  }
  const path = [start];
  for (let at = closing; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at);
  path.push(start);
  const name = (id: string): string => graph.nodes.get(id)?.stage.name ?? id;
  return path.map(name).join(' → ');
}

/** Parses the dvc.yaml and works out which stages a run covers, refusing what DVC would refuse. */
export async function planRun(options: Pick<BuiltinRunOptions, 'pipelineFile' | 'stage' | 'single' | 'files'>): Promise<RunPlan> {
  const files = options.files ?? diskFileAccess;
  const name = displayName(options.pipelineFile);
  const parse = await readDvcPipeline(options.pipelineFile, files);
  if (!parse) throw new RunRefusedError(`${options.pipelineFile} cannot be read; check that the file exists.`);
  const broken = [...parse.yamlFindings.filter((f) => f.severity === 'error'), ...parse.problems][0];
  if (broken) {
    throw new RunRefusedError(`${name} line ${broken.range.start.line + 1}: ${broken.message}; fix it and run again (no stage was run).`);
  }
  const pipeline = parse.pipeline;
  const graph = buildStageGraph([pipeline]);
  const cycle = findCycles(graph)[0];
  if (cycle) throw new RunRefusedError(`${name} has a cycle: ${describeCycle(graph, cycle)}; no stage was run.`);

  let targets: PipelineStage[];
  if (options.stage === undefined) targets = pipeline.stages;
  else {
    const exact = pipeline.stages.find((s) => s.name === options.stage);
    targets = exact ? [exact] : pipeline.stages.filter((s) => s.template === options.stage);
    if (targets.length === 0) {
      const names = pipeline.stages.map((s) => s.name).join(', ');
      throw new RunRefusedError(`${name} has no stage named '${options.stage}'${names ? `; its stages are ${names}` : ''}.`);
    }
  }
  const wanted = new Set<string>();
  for (const stage of targets) {
    const id = stageId(pipeline.file, stage.name);
    wanted.add(id);
    if (!options.single) for (const up of upstreamOf(graph, id)) wanted.add(up);
  }
  const order = topologicalOrder(graph).filter((id) => wanted.has(id));
  return {
    pipeline,
    graph,
    stages: order.map((id) => graph.nodes.get(id)?.stage.name ?? id),
    targets: targets.map((s) => s.name),
  };
}

/** The stage's current inputs, in the shape the state file keeps them. */
async function snapshotInputs(
  stage: PipelineStage,
  files: FileAccess,
  hasher: PathHasher,
): Promise<{ deps: Record<string, string>; params: Record<string, unknown>; missingDeps: string[]; missingParams: string[] }> {
  const deps: Record<string, string> = {};
  const missingDeps: string[] = [];
  for (const dep of stage.deps) {
    const hash = await hasher.hash(stagePathOf(stage, dep.path));
    if (hash) deps[dep.path] = hash.md5;
    else missingDeps.push(dep.path);
  }
  const params: Record<string, unknown> = {};
  const missingParams: string[] = [];
  const loaded = new Map<string, unknown>();
  for (const param of stage.params) {
    const path = stagePathOf(stage, param.file);
    if (!loaded.has(path)) loaded.set(path, await readStructuredFile(path, files));
    const content = loaded.get(path);
    if (param.key === undefined) {
      params[`${param.file}:`] = content ?? null;
      continue;
    }
    const found = lookupParam(content, param.key);
    if (found.found) params[`${param.file}:${param.key}`] = found.value;
    else missingParams.push(param.file === 'params.yaml' ? param.key : `${param.file}:${param.key}`);
  }
  return { deps, params, missingDeps, missingParams };
}

async function snapshotOuts(stage: PipelineStage, hasher: PathHasher): Promise<{ outs: Record<string, string>; missing: string[] }> {
  const outs: Record<string, string> = {};
  const missing: string[] = [];
  for (const out of [...stage.outs, ...stage.metrics, ...stage.plots]) {
    const hash = await hasher.hash(stagePathOf(stage, out.path));
    if (hash) outs[out.path] = hash.md5;
    else missing.push(out.path);
  }
  return { outs, missing };
}

/** Why a stage must run, or undefined when it is unchanged since its last successful run here. */
function changeReason(
  stage: PipelineStage,
  previous: BuiltinStageState | undefined,
  inputs: { deps: Record<string, string>; params: Record<string, unknown> },
  outs: { outs: Record<string, string>; missing: string[] },
): string | undefined {
  if (!previous) return 'never run';
  if (stage.alwaysChanged) return 'always changed';
  if (!isDeepStrictEqual(previous.cmd, stage.cmd)) return 'command changed';
  const deps = Object.keys(inputs.deps).filter((path) => previous.deps[path] !== inputs.deps[path]);
  if (deps.length > 0) return `deps changed: ${deps.join(', ')}`;
  const params = Object.keys(inputs.params).filter((key) => !isDeepStrictEqual(previous.params[key], inputs.params[key]));
  if (params.length > 0) return `params changed: ${params.map((k) => k.replace(/^params\.yaml:/, '')).join(', ')}`;
  if (outs.missing.length > 0) return `outs missing: ${outs.missing.join(', ')}`;
  const changedOuts = Object.keys(outs.outs).filter((path) => previous.outs[path] !== outs.outs[path]);
  if (changedOuts.length > 0) return `outs changed: ${changedOuts.join(', ')}`;
  return undefined;
}

/**
 * Runs a stage (and what is out of date upstream of it, unless `single`), or the whole pipeline.
 * Never throws for what a user can cause: a refusal or a failure is the outcome's `message`.
 */
export async function runBuiltin(options: BuiltinRunOptions): Promise<RunOutcome> {
  const files = options.files ?? diskFileAccess;
  const hasher = options.hasher ?? new PathHasher();
  const emit = options.onEvent ?? ((): void => {});
  const ran: string[] = [];
  const skipped: string[] = [];
  let plan: RunPlan;
  try {
    plan = await planRun(options);
  } catch (error) {
    if (error instanceof RunRefusedError) return { exitCode: 1, status: 'failed', ran, skipped, message: error.message };
    throw error;
  }
  const stateFile = builtinStateFile(options.pipelineFile);
  const state = await readBuiltinState(options.pipelineFile);
  const byName = new Map(plan.pipeline.stages.map((s) => [s.name, s]));
  const say = (stage: string, text: string): void => emit({ type: 'output', stage, text, stream: 'stdout' });

  for (const name of plan.stages) {
    if (options.signal?.aborted) {
      return { exitCode: 130, status: 'killed', ran, skipped, message: 'The run was stopped before all stages ran.' };
    }
    const stage = byName.get(name);
    if (!stage) continue;
    if (stage.frozen) {
      skipped.push(name);
      emit({ type: 'stage-skipped', stage: name, reason: 'frozen' });
      say(name, `Stage '${name}' is frozen, skipping\n`);
      continue;
    }
    const inputs = await snapshotInputs(stage, files, hasher);
    if (inputs.missingDeps.length > 0) {
      const message = `Stage '${name}' needs ${inputs.missingDeps.join(', ')}, which does not exist and no stage run before it wrote it; create it or add the stage that writes it.`;
      emit({ type: 'stage-end', stage: name, exitCode: 1, status: 'failed', durationMs: 0, message });
      return { exitCode: 1, status: 'failed', ran, skipped, failedStage: name, message };
    }
    if (inputs.missingParams.length > 0) {
      const message = `Stage '${name}' uses ${inputs.missingParams.join(', ')}, which is not in its params file; add it or remove it from dvc.yaml.`;
      emit({ type: 'stage-end', stage: name, exitCode: 1, status: 'failed', durationMs: 0, message });
      return { exitCode: 1, status: 'failed', ran, skipped, failedStage: name, message };
    }
    const reason = changeReason(stage, state.stages[name], inputs, await snapshotOuts(stage, hasher));
    if (reason === undefined && !options.force) {
      skipped.push(name);
      emit({ type: 'stage-skipped', stage: name, reason: 'unchanged' });
      say(name, `Stage '${name}' didn't change, skipping\n`);
      continue;
    }

    // Unlike DVC, outs are not deleted first: without DVC's cache a failed run would lose the last
    // good model. The price is that stale files in an out folder survive a rerun.
    const started = Date.now();
    const commandText = stage.cmd.join(' && ');
    emit({ type: 'stage-start', stage: name, command: commandText, wdir: stage.wdir });
    say(name, `Running stage '${name}':\n`);
    let failure: { exitCode: number; status: 'failed' | 'killed'; message: string } | undefined;
    for (const command of stage.cmd) {
      say(name, `> ${command}\n`);
      const result = await startProcess({
        command,
        cwd: stage.wdir,
        env: options.env ?? process.env,
        signal: options.signal,
        onOutput: (text, stream) => emit({ type: 'output', stage: name, text, stream }),
      }).done;
      if (result.stopped) {
        failure = { exitCode: result.exitCode, status: 'killed', message: `Stage '${name}' was stopped.` };
      } else if (result.spawnError) {
        failure = { exitCode: result.exitCode, status: 'failed', message: `Stage '${name}' could not start: ${result.spawnError}.` };
      } else if (result.exitCode !== 0) {
        failure = {
          exitCode: result.exitCode,
          status: 'failed',
          message: `Stage '${name}' failed with exit code ${result.exitCode}; see its output above.`,
        };
      }
      if (failure) break;
    }
    if (!failure) {
      const outs = await snapshotOuts(stage, hasher);
      if (outs.missing.length > 0) {
        failure = {
          exitCode: 1,
          status: 'failed',
          message: `Stage '${name}' finished but did not write ${outs.missing.join(', ')}; make its command write every out listed in dvc.yaml.`,
        };
      } else {
        // Deps are hashed again: a stage that rewrites its own dep must not look unchanged next time.
        const after = await snapshotInputs(stage, files, hasher);
        state.stages[name] = {
          cmd: stage.cmd,
          deps: after.deps,
          params: after.params,
          outs: outs.outs,
          finishedAt: new Date().toISOString(),
        };
        await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
      }
    }
    const durationMs = Date.now() - started;
    if (failure) {
      // A failed stage must run again next time, whatever its inputs.
      if (state.stages[name]) {
        delete state.stages[name];
        await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
      }
      emit({ type: 'stage-end', stage: name, exitCode: failure.exitCode, status: failure.status, durationMs, message: failure.message });
      return { exitCode: failure.exitCode, status: failure.status, ran, skipped, failedStage: name, message: failure.message };
    }
    ran.push(name);
    emit({ type: 'stage-end', stage: name, exitCode: 0, status: 'finished', durationMs });
  }
  return { exitCode: 0, status: 'finished', ran, skipped };
}
