import { basename, dirname, join, relative, sep } from 'node:path';
import { SOURCE, type Finding, type Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { findPipelineFiles } from '../pipeline/discovery';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { buildStageGraph, findCycles, producedPaths, stagePathOf } from '../pipeline/graph';
import type { DvcPipeline, SourceSpan } from '../pipeline/model';

/**
 * The pipeline as a graph: deps nobody produces and that are not on disk, outs produced twice or
 * nested in another out, and cycles.
 */
export async function checkDvcGraph(pipeline: DvcPipeline, files: FileAccess): Promise<Finding[]> {
  const findings: Finding[] = [];
  const graph = buildStageGraph([pipeline]);
  const shown = (path: string): string => relative(dirname(pipeline.file), path) || basename(path);
  const nameOf = (id: string): string => graph.nodes.get(id)?.stage.name ?? id;
  const here = (span: SourceSpan | undefined): span is SourceSpan => span !== undefined && span.file === pipeline.file;

  // Many stages share deps (the training script); ask the file system once per path.
  const existing = new Map<string, boolean>();
  // Outs of the repository's other dvc.yaml files, read only when a dep is otherwise missing.
  let otherOuts: Set<string> | undefined;
  // The deps of each stage that another stage produces.
  const produced = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    let paths = produced.get(edge.to);
    if (paths === undefined) produced.set(edge.to, (paths = new Set()));
    paths.add(edge.path);
  }
  for (const node of graph.nodes.values()) {
    const producedHere = produced.get(node.id);
    for (const dep of node.stage.deps) {
      if (!here(dep.span) || dep.path.includes('${') || (dep.path.includes('://') && /^[a-z][a-z0-9+.-]*:\/\//i.test(dep.path))) continue;
      const path = stagePathOf(node.stage, dep.path);
      if (producedHere?.has(path) === true) continue;
      let exists = existing.get(path);
      if (exists === undefined) {
        exists = await files.exists(path);
        existing.set(path, exists);
      }
      if (exists) continue;
      otherOuts ??= await outsOfOtherPipelines(pipeline.file, files);
      if (producedElsewhere(path, otherOuts)) continue;
      findings.push(
        make(
          pipeline.file,
          dep.span.range,
          'warning',
          'dvc-dep-missing',
          `Dependency "${dep.path}" of stage "${node.stage.template ?? node.stage.name}" does not exist and no stage produces it; create it or add the stage that writes it.`,
          { path },
        ),
      );
    }
  }

  for (const conflict of graph.conflicts) {
    const [first, second] = conflict.outs;
    const [firstStage, secondStage] = conflict.stages.map(nameOf) as [string, string];
    if (conflict.kind === 'duplicate') {
      if (!here(second.span)) continue;
      const who = firstStage === secondStage ? `stage "${firstStage}" twice` : `both "${firstStage}" and "${secondStage}"`;
      findings.push(
        make(
          pipeline.file,
          second.span.range,
          'error',
          'dvc-duplicate-out',
          `Output "${shown(conflict.paths[1])}" is produced by ${who}; an output can come from only one stage.`,
          { path: conflict.paths[1] },
        ),
      );
    } else {
      const span = here(second.span) ? second.span : here(first.span) ? first.span : undefined;
      if (span === undefined) continue;
      findings.push(
        make(
          pipeline.file,
          span.range,
          'error',
          'dvc-overlapping-outs',
          `Output "${shown(conflict.paths[1])}" of stage "${secondStage}" lies inside output "${shown(conflict.paths[0])}" of stage "${firstStage}"; DVC does not allow overlapping outputs.`,
          { paths: conflict.paths },
        ),
      );
    }
  }

  for (const cycle of findCycles(graph)) {
    const names = cycle.map(nameOf);
    const loop = [...names, names[0]].join(' → ');
    for (const id of cycle) {
      const span = graph.nodes.get(id)?.stage.span;
      if (!here(span)) continue;
      findings.push(
        make(pipeline.file, span.range, 'error', 'dvc-cycle', `Stages ${loop} depend on each other in a cycle; remove one of those deps.`, {
          stages: names,
        }),
      );
    }
  }
  return findings;
}

function make(
  file: string,
  range: Range,
  severity: Finding['severity'],
  code: string,
  message: string,
  data: Record<string, unknown>,
): Finding {
  return { file, range, severity, code, message, source: SOURCE, data };
}

/**
 * DVC builds one graph per repository, so a dep may be produced by a stage of another dvc.yaml.
 * The repository is the nearest folder above the pipeline with a `.dvc` directory.
 */
async function outsOfOtherPipelines(file: string, files: FileAccess): Promise<Set<string>> {
  const outs = new Set<string>();
  let root: string | undefined;
  for (let dir = dirname(file), depth = 0; depth < 64; depth++) {
    if (await files.exists(join(dir, '.dvc'))) {
      root = dir;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (root === undefined) return outs;
  const { dvc } = await findPipelineFiles(root);
  for (const other of dvc) {
    if (other === file) continue;
    const parsed = await readDvcPipeline(other, files);
    for (const stage of parsed?.pipeline.stages ?? []) for (const out of producedPaths(stage)) outs.add(stagePathOf(stage, out.path));
  }
  return outs;
}

/** The path is an out, or inside an out folder, or a folder holding an out. */
function producedElsewhere(path: string, outs: Set<string>): boolean {
  if (outs.has(path)) return true;
  for (const out of outs) if (path.startsWith(out + sep) || out.startsWith(path + sep)) return true;
  return false;
}
