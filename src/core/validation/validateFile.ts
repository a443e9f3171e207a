import { compareFindings, type Finding } from '../diagnostic';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { checkDataContract } from './dataContract';
import { checkDvcStructure } from './dvcStructure';
import { checkerFailed, dedupeFindings } from './findings';
import { checkMlproject } from './mlprojectChecks';
import type { ValidationOptions } from './options';
import { checkParamsSchema } from './paramsSchema';

export type { ValidationOptions } from './options';

type Checker = (parsed: ParsedYaml, files: FileAccess, options: ValidationOptions) => Finding[] | Promise<Finding[]>;

const CHECKERS: Record<string, Array<[name: string, check: Checker]>> = {
  dvc: [['dvc.yaml structure', (parsed) => checkDvcStructure(parsed)]],
  params: [['params schema', checkParamsSchema]],
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
    const parsed = parseYaml(path, text);
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

function isFileAccess(value: FileAccess | ValidationOptions): value is FileAccess {
  return typeof (value as FileAccess).readText === 'function' && typeof (value as FileAccess).exists === 'function';
}
