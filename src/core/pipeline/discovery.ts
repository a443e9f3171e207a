import { fileKindOf } from '../fileKinds';
import { findProjectFiles } from '../projectFiles';

export interface PipelineFiles {
  dvc: string[];
  mlproject: string[];
}

/**
 * Finds every dvc.yaml and MLproject under a root (nested projects too), skipping VCS, caches and
 * virtualenvs. Results are sorted so the tree order is stable.
 */
export async function findPipelineFiles(root: string, maxDepth = 12): Promise<PipelineFiles> {
  const files = await findProjectFiles(root, (path) => fileKindOf(path) === 'dvc' || fileKindOf(path) === 'mlproject', { maxDepth });
  return { dvc: files.filter((f) => fileKindOf(f) === 'dvc'), mlproject: files.filter((f) => fileKindOf(f) === 'mlproject') };
}
