import { dirname } from 'node:path';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { buildStageGraph, stageId, upstreamOf } from '../pipeline/graph';
import type { DvcPipeline } from '../pipeline/model';
import type { RunRecord } from '../runs/runRecord';
import { runBuiltin } from './builtinRunner';
import { chooseRunner, findDvc, findDvcRoot, runDvcRepro, type RunnerSetting } from './dvcRunner';
import type { RunEvent, RunOutcome } from './runEvents';
import { acquireRunLock } from './runLock';
import { RunRecorder } from './runRecorder';

/**
 * One run of a stage or a pipeline, whichever runner it takes, recorded under `.mlops/runs/`:
 * what the Pipelines view's ▶ and `mlops pipeline run` both call.
 */
export interface PipelineRunRequest {
  /** Absolute path of the dvc.yaml. */
  pipelineFile: string;
  /** DVC stage name; none runs the whole pipeline. */
  stage?: string;
  single?: boolean;
  force?: boolean;
  runner?: RunnerSetting;
  /** The `mlops.dvcPath` setting, if any. */
  dvcPath?: string;
  /** The workspace folder: where `.mlops/runs/` goes and where dvc runs (default: the dvc.yaml's folder). */
  workspaceFolder?: string;
  env?: NodeJS.ProcessEnv;
  files?: FileAccess;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export interface PipelineRunResult extends RunOutcome {
  /** Which runner ran it; undefined when none could be chosen. */
  runner?: 'dvc' | 'builtin';
  record?: RunRecord;
  recordFile?: string;
}

/** Stages whose params and metrics belong to a run of `stage` (the stage and, unless single, its upstream). */
function coveredStages(pipeline: DvcPipeline, stage: string | undefined, single: boolean): string[] {
  if (stage === undefined) return pipeline.stages.map((s) => s.name);
  const exact = pipeline.stages.filter((s) => s.name === stage);
  const targets = exact.length > 0 ? exact : pipeline.stages.filter((s) => s.template === stage);
  if (single) return targets.map((s) => s.name);
  const graph = buildStageGraph([pipeline]);
  const names = new Set(targets.map((s) => s.name));
  for (const target of targets)
    for (const up of upstreamOf(graph, stageId(pipeline.file, target.name))) names.add(graph.nodes.get(up)?.stage.name ?? up);
  return pipeline.stages.map((s) => s.name).filter((name) => names.has(name));
}

export async function runPipeline(request: PipelineRunRequest): Promise<PipelineRunResult> {
  const files = request.files ?? diskFileAccess;
  const env = request.env ?? process.env;
  const folder = request.workspaceFolder ?? dirname(request.pipelineFile);
  const emit = request.onEvent ?? ((): void => {});
  const dvc = findDvc(folder, { explicitPath: request.dvcPath, env });
  const dvcRoot = findDvcRoot(dirname(request.pipelineFile));
  const choice = chooseRunner(request.runner ?? 'auto', dvc !== undefined, dvcRoot !== undefined);
  if (choice.error !== undefined) return { exitCode: 1, status: 'failed', ran: [], skipped: [], message: choice.error };
  const runner = choice.runner;

  const parse = await readDvcPipeline(request.pipelineFile, files);
  if (!parse) {
    return {
      exitCode: 1,
      status: 'failed',
      ran: [],
      skipped: [],
      runner,
      message: `${request.pipelineFile} cannot be read; check that the file exists.`,
    };
  }
  const what = request.stage === undefined ? 'the whole pipeline' : `stage ${request.stage}`;
  const lock = await acquireRunLock(request.pipelineFile, what);
  if (typeof lock === 'string') return { exitCode: 1, status: 'failed', ran: [], skipped: [], runner, message: lock };
  try {
    return await recordedRun(request, parse.pipeline, runner, dvc, dvcRoot, folder, files, env, emit);
  } finally {
    await lock.release();
  }
}

async function recordedRun(
  request: PipelineRunRequest,
  pipeline: DvcPipeline,
  runner: 'dvc' | 'builtin',
  dvc: string | undefined,
  dvcRoot: string | undefined,
  folder: string,
  files: FileAccess,
  env: NodeJS.ProcessEnv,
  emit: (event: RunEvent) => void,
): Promise<PipelineRunResult> {
  const recorder = await RunRecorder.start({
    pipeline,
    runner,
    stages: request.stage === undefined ? pipeline.stages.map((s) => s.name) : [request.stage],
    coveredStages: coveredStages(pipeline, request.stage, request.single ?? false),
    root: folder,
    files,
  });
  const onEvent = (event: RunEvent): void => {
    if (event.type === 'output') recorder.write(event.text);
    emit(event);
  };
  let outcome: RunOutcome;
  try {
    outcome =
      runner === 'dvc' && dvc !== undefined
        ? await runDvcRepro({ ...request, cwd: dvcRoot ?? folder, dvcPath: dvc, env, onEvent })
        : await runBuiltin({ ...request, env, files, onEvent });
  } catch (error) {
    outcome = { exitCode: 1, status: 'failed', ran: [], skipped: [], message: `The run failed unexpectedly: ${(error as Error).message}` };
  }
  if (outcome.message) recorder.write(`${outcome.message}\n`);
  const record = await recorder.finish(outcome);
  return { ...outcome, runner, record, recordFile: recorder.recordFile };
}
