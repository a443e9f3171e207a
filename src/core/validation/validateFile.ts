import { compareFindings, type Finding } from '../diagnostic';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseYamlCached, valueIsCollection, type ParsedYaml } from '../yaml/parseYaml';
import { parseDvcPipeline } from '../pipeline/dvcPipeline';
import { checkDataContract } from './dataContract';
import { checkDvcGraph } from './dvcGraph';
import { checkDvcParams } from './dvcParams';
import { checkDvcStructure } from './dvcStructure';
import { checkerFailed, dedupeFindings } from './findings';
import { checkMlproject } from './mlprojectChecks';
import type { ValidationOptions } from './options';
import { ParamsFiles } from './paramsFiles';
import { checkParamsSchema } from './paramsSchema';
import { checkUnusedParams } from './unusedParams';

export type { ValidationOptions } from './options';
export { validationInputs } from './validationInputs';

type Checker = (parsed: ParsedYaml, files: FileAccess, options: ValidationOptions) => Finding[] | Promise<Finding[]>;

const CHECKERS: Record<string, Array<[name: string, check: Checker]>> = {
  dvc: [['dvc.yaml', checkDvc]],
  params: [
    ['params schema', checkParamsSchema],
    ['unused params', (parsed, files, options) => (options.reportUnusedParams === true ? checkUnusedParams(parsed, files) : [])],
  ],
  dataSchema: [['data contract', checkDataContract]],
  mlproject: [['MLproject', (parsed, files) => checkMlproject(parsed, files)]],
};

/**
 * Validates one file of a known kind and returns its findings, sorted. Files of other kinds give
 * no findings. Never throws: a checker that fails reports itself as a finding.
 *
 * The third argument (settings) is optional so `validateFile(path)` and `validateFile(path, files)`
 * keep working; an options object may also be passed in place of `files`.
 */
export async function validateFile(
  path: string,
  filesOrOptions: FileAccess | ValidationOptions = diskFileAccess,
  optionsIn: ValidationOptions = {},
): Promise<Finding[]> {
  const files = isFileAccess(filesOrOptions) ? filesOrOptions : diskFileAccess;
  const options = isFileAccess(filesOrOptions) ? optionsIn : { ...filesOrOptions, ...optionsIn };
  try {
    const kind = fileKindOf(path);
    if (kind === undefined || kind === 'dockerfile' || kind === 'dvcLock') return [];
    const text = await files.readText(path);
    if (text === undefined) return [];
    const parsed = parseYamlCached(path, text);
    const findings = [...parsed.findings];
    for (const [name, check] of CHECKERS[kind] ?? []) {
      try {
        findings.push(...(await check(parsed, files, options)));
      } catch (error) {
        findings.push(checkerFailed(path, name, error));
      }
    }
    return dedupeFindings(findings).sort(compareFindings);
  } catch (error) {
    return [checkerFailed(path, 'file', error)];
  }
}

/** Parser problems the structure check already reports, from the schema, at the same place. */
const COVERED_BY_STRUCTURE = new Set(['dvc-missing-cmd', 'dvc-missing-do', 'dvc-stage-type']);

/** Structure from the schema, then the expanded pipeline: its own problems, params and graph. */
async function checkDvc(parsed: ParsedYaml, files: FileAccess): Promise<Finding[]> {
  const structure = checkDvcStructure(parsed);
  if (!valueIsCollection(parsed)) return structure;
  // The document parsed above, not the text: parsing a large dvc.yaml is most of a validation.
  const { pipeline, problems } = await parseDvcPipeline(parsed.file, parsed, files);
  const taken = new Set(structure.map((f) => `${f.range.start.line}:${f.range.start.character}`));
  const own = problems.filter(
    (p) => p.file === parsed.file && !COVERED_BY_STRUCTURE.has(p.code) && !taken.has(`${p.range.start.line}:${p.range.start.character}`),
  );
  const results = [...structure, ...own];
  const guarded = async (name: string, run: () => Promise<Finding[]>): Promise<void> => {
    try {
      results.push(...(await run()));
    } catch (error) {
      results.push(checkerFailed(parsed.file, name, error));
    }
  };
  await guarded('dvc.yaml params', () => checkDvcParams(pipeline, new ParamsFiles(files)));
  await guarded('dvc.yaml graph', () => checkDvcGraph(pipeline, files));
  return results;
}

function isFileAccess(value: FileAccess | ValidationOptions): value is FileAccess {
  return typeof (value as FileAccess).readText === 'function' && typeof (value as FileAccess).exists === 'function';
}
