import { compareFindings, type Finding } from '../diagnostic';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseYamlCached, type ParsedYaml } from '../yaml/parseYaml';
import { checkDataContract } from './dataContract';
import { guarded } from './dvcChecks';
import { validateDvcIncrementally } from './dvcIncremental';
import { checkerFailed, dedupeFindings } from './findings';
import { checkMlproject } from './mlprojectChecks';
import type { ValidationOptions } from './options';
import { checkParamsSchema } from './paramsSchema';
import { checkUnusedParams } from './unusedParams';

export type { ValidationOptions } from './options';
export { validationInputs } from './validationInputs';

type Checker = (parsed: ParsedYaml, files: FileAccess, options: ValidationOptions) => Finding[] | Promise<Finding[]>;

const CHECKERS: Record<string, Array<[name: string, check: Checker]>> = {
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
    if (kind === 'dvc') return dedupeFindings(await validateDvc(path, text, files)).sort(compareFindings);
    const parsed = parseYamlCached(path, text);
    const findings = [...parsed.findings];
    for (const [name, check] of CHECKERS[kind] ?? []) await guarded(findings, path, name, async () => check(parsed, files, options));
    return dedupeFindings(findings).sort(compareFindings);
  } catch (error) {
    return [checkerFailed(path, 'file', error)];
  }
}

/** A dvc.yaml: after an edit, only the stages whose lines changed are checked again. */
async function validateDvc(path: string, text: string, files: FileAccess): Promise<Finding[]> {
  try {
    return await validateDvcIncrementally(path, text, files);
  } catch (error) {
    return [...parseYamlCached(path, text).findings, checkerFailed(path, 'dvc.yaml', error)];
  }
}

function isFileAccess(value: FileAccess | ValidationOptions): value is FileAccess {
  return typeof (value as FileAccess).readText === 'function' && typeof (value as FileAccess).exists === 'function';
}
