import type { Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { parseDvcPipeline, parseDvcPipelineUncached, type DvcPipelineParse } from '../pipeline/dvcPipeline';
import type { DvcPipeline } from '../pipeline/model';
import { valueIsCollection, type ParsedYaml } from '../yaml/parseYaml';
import { checkDvcGraph } from './dvcGraph';
import { checkDvcParams } from './dvcParams';
import { checkDvcStructure } from './dvcStructure';
import { checkerFailed } from './findings';
import { ParamsFiles } from './paramsFiles';

/** Parser problems the structure check already reports, from the schema, at the same place. */
const COVERED_BY_STRUCTURE = new Set(['dvc-missing-cmd', 'dvc-missing-do', 'dvc-stage-type']);

/** What the checks of a dvc.yaml that look at one stage at a time found, and the pipeline they read. */
export interface DvcLocalChecks {
  /** Structure, the pipeline parser's own problems and params, in that order. */
  findings: Finding[];
  /** Undefined when the document is no mapping (nothing beyond its structure is checked). */
  pipeline?: DvcPipeline;
  /** The pipeline parse itself (its budgets), when there is one. */
  parse?: DvcPipelineParse;
}

/**
 * The checks of a dvc.yaml whose findings on a stage depend only on that stage, the file's other
 * top-level keys and the params files: structure from the schema, the expanded pipeline's own
 * problems and its params. The graph check (`checkDvcGraph`) looks at every stage at once.
 * `fresh` parses the pipeline without the cache of last parses (a document made from part of a file),
 * and without an interpolation context when nothing in the text reads one.
 */
export async function checkDvcLocal(parsed: ParsedYaml, files: FileAccess, fresh = false): Promise<DvcLocalChecks> {
  const structure = checkDvcStructure(parsed);
  if (!valueIsCollection(parsed)) return { findings: structure };
  // The document parsed above, not the text: parsing a large dvc.yaml is most of a validation.
  const parse = fresh
    ? await parseDvcPipelineUncached(parsed.file, parsed, files, { contextWhenUsed: true })
    : await parseDvcPipeline(parsed.file, parsed, files);
  const { pipeline, problems } = parse;
  const taken = new Set(structure.map((f) => `${f.range.start.line}:${f.range.start.character}`));
  const own = problems.filter(
    (p) => p.file === parsed.file && !COVERED_BY_STRUCTURE.has(p.code) && !taken.has(`${p.range.start.line}:${p.range.start.character}`),
  );
  const findings = [...structure, ...own];
  await guarded(findings, parsed.file, 'dvc.yaml params', () => checkDvcParams(pipeline, new ParamsFiles(files)));
  return { findings, pipeline, parse };
}

/** Every check of a dvc.yaml: the stage-by-stage ones, then the graph. */
export async function checkDvc(parsed: ParsedYaml, files: FileAccess): Promise<Finding[]> {
  const { findings, pipeline } = await checkDvcLocal(parsed, files);
  if (pipeline !== undefined) await guarded(findings, parsed.file, 'dvc.yaml graph', () => checkDvcGraph(pipeline, files));
  return findings;
}

/** Runs a check; a check that fails reports itself as a finding instead. */
export async function guarded(into: Finding[], file: string, name: string, run: () => Promise<Finding[]>): Promise<void> {
  try {
    into.push(...(await run()));
  } catch (error) {
    into.push(checkerFailed(file, name, error));
  }
}
