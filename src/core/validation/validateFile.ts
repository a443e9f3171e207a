import { compareFindings, type Finding } from '../diagnostic';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseYaml } from '../yaml/parseYaml';

/**
 * Validates one file of a known kind and returns its findings, sorted. Files of other kinds give
 * no findings. Never throws: a checker that fails reports itself as a finding.
 */
export async function validateFile(path: string, files: FileAccess = diskFileAccess): Promise<Finding[]> {
  const kind = fileKindOf(path);
  if (kind === undefined || kind === 'dockerfile' || kind === 'dvcLock') return [];
  const text = await files.readText(path);
  if (text === undefined) return [];
  const parsed = parseYaml(path, text);
  return [...parsed.findings].sort(compareFindings);
}
