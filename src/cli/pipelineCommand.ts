import { promises as fs } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { diskFileAccess } from '../core/fileAccess';
import { findPipelineFiles } from '../core/pipeline/discovery';
import { readDvcLock } from '../core/pipeline/dvcLock';
import { readDvcPipeline } from '../core/pipeline/dvcPipeline';
import { PathHasher } from '../core/pipeline/hashing';
import { parseMlproject } from '../core/pipeline/mlproject';
import type { DvcPipeline, PipelineStage, StageParam, StageStatus } from '../core/pipeline/model';
import { computeStatus } from '../core/pipeline/status';
import { parseArgs, UsageError } from './args';
import { pipelineRunCommand } from './pipelineRunCommand';

export const pipelineUsage =
  'mlops pipeline list|status [PATH] [--json] | run STAGE|FILE:STAGE [--single] [--force] [--runner auto|dvc|builtin]';

/** `mlops pipeline`: list, status and run of dvc.yaml stages. */
export async function pipelineCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'list':
      return listCommand(rest, out, false);
    case 'status':
      return listCommand(rest, out, true);
    case 'run':
      return pipelineRunCommand(rest, {});
    default:
      throw new UsageError(sub === undefined ? 'say what to do: list, status or run' : `unknown pipeline command '${sub}'`);
  }
}

interface Loaded {
  pipeline: DvcPipeline;
  status: StageStatus[];
  problems: string[];
}

async function listCommand(argv: string[], out: (text: string) => void, statusOnly: boolean): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'] });
  if (args.positionals.length > 1) throw new UsageError('give at most one PATH');
  const cwd = process.cwd();
  const target = resolve(cwd, args.positionals[0] ?? '.');
  let stat;
  try {
    stat = await fs.stat(target);
  } catch {
    throw new Error(`${relative(cwd, target) || target} does not exist: give a folder or a dvc.yaml.`);
  }
  const found = stat.isDirectory()
    ? await findPipelineFiles(target)
    : basename(target).toLowerCase() === 'mlproject'
      ? { dvc: [], mlproject: [target] }
      : { dvc: [target], mlproject: [] };
  const rel = (file: string): string => relative(cwd, file) || file;
  const hasher = new PathHasher();
  const loaded: Loaded[] = [];
  for (const file of found.dvc) {
    const parsed = await readDvcPipeline(file, diskFileAccess);
    if (!parsed) throw new Error(`${rel(file)} could not be read.`);
    const lock = await readDvcLock(file, diskFileAccess);
    const status = await computeStatus(parsed.pipeline, lock?.lock, diskFileAccess, { hasher });
    const problems = [...parsed.yamlFindings, ...parsed.problems, ...(lock?.problems ?? [])]
      .filter((p) => p.severity === 'error')
      .map((p) => `${rel(p.file)}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`);
    loaded.push({ pipeline: parsed.pipeline, status, problems });
  }
  const projects = [];
  if (!statusOnly) {
    for (const file of found.mlproject) {
      const text = await diskFileAccess.readText(file);
      if (text !== undefined) projects.push(parseMlproject(file, text).project);
    }
  }
  const failed = loaded.some((l) => l.problems.length > 0);
  if (args.flags.has('json')) {
    const pipelines = loaded.map(({ pipeline, status, problems }) => ({
      file: rel(pipeline.file),
      stages: pipeline.stages.map((stage) => {
        const stageStatus = status.find((s) => s.stage === stage.name);
        if (statusOnly) return { name: stage.name, status: stageStatus?.state ?? 'unknown', reasons: stageStatus?.reasons ?? [] };
        return {
          name: stage.name,
          cmd: stage.cmd.length === 1 ? stage.cmd[0] : stage.cmd,
          wdir: relative(dirname(pipeline.file), stage.wdir) || '.',
          deps: stage.deps.map((d) => d.path),
          outs: stage.outs.map((o) => o.path),
          params: stage.params.map(paramLabel),
          metrics: stage.metrics.map((m) => m.path),
          status: stageStatus?.state ?? 'unknown',
        };
      }),
      ...(problems.length > 0 ? { problems } : {}),
    }));
    const result: Record<string, unknown> = { pipelines };
    if (!statusOnly) {
      result.mlprojects = projects.map((p) => ({
        file: rel(p.file),
        name: p.name ?? null,
        entryPoints: p.entryPoints.map((e) => ({
          name: e.name,
          command: e.command,
          parameters: e.parameters.map((q) => ({ name: q.name, type: q.type, default: q.default ?? null })),
        })),
      }));
    }
    out(JSON.stringify(result));
    return failed ? 1 : 0;
  }
  const lines: string[] = [];
  for (const { pipeline, status, problems } of loaded) {
    lines.push(rel(pipeline.file));
    const width = Math.max(0, ...pipeline.stages.map((s) => s.name.length));
    for (const stage of pipeline.stages) {
      const stageStatus = status.find((s) => s.stage === stage.name);
      const state = stageStatus?.state ?? 'unknown';
      const detail = statusOnly ? (stageStatus?.reasons ?? []).join('; ') : commandText(stage);
      lines.push(`  ${stage.name.padEnd(width)}  ${state.padEnd(10)}  ${detail}`.trimEnd());
    }
    if (pipeline.stages.length === 0) lines.push('  (no stages)');
    for (const problem of problems) lines.push(`  error: ${problem}`);
  }
  for (const project of projects) {
    lines.push(`${rel(project.file)} (MLproject ${project.name ?? 'without a name'})`);
    for (const entry of project.entryPoints) {
      const params = entry.parameters
        .map((p) => `${p.name}: ${p.type}${p.default === undefined ? '' : ` = ${String(p.default)}`}`)
        .join(', ');
      lines.push(`  ${entry.name}${params ? ` (${params})` : ''}  ${entry.command}`);
    }
  }
  if (loaded.length === 0 && projects.length === 0)
    lines.push(`No dvc.yaml${statusOnly ? '' : ' or MLproject'} found under ${rel(target)}.`);
  out(lines.join('\n'));
  return failed ? 1 : 0;
}

function paramLabel(param: StageParam): string {
  if (param.key === undefined) return param.file;
  return param.file === 'params.yaml' ? param.key : `${param.file}:${param.key}`;
}

function commandText(stage: PipelineStage): string {
  return stage.cmd.join(' && ');
}
