import { fileKindOf } from '../fileKinds';
import { findProjectFiles } from '../projectFiles';

/** Kinds of files validated on start-up whether open or not. */
const VALIDATED = new Set(['dvc', 'params', 'dataSchema', 'mlproject']);

/** Every dvc.yaml, params file, schema.yaml and MLproject under a folder, sorted; at most `limit`. */
export function findValidatableFiles(root: string, limit = 2000, maxDepth = 8): Promise<string[]> {
  return findProjectFiles(root, (path) => VALIDATED.has(fileKindOf(path) ?? ''), { maxDepth, limit });
}
