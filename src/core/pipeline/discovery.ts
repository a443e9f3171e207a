import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { IGNORED_DIRECTORIES } from '../fileKinds';

export interface PipelineFiles {
  dvc: string[];
  mlproject: string[];
}

/**
 * Finds every dvc.yaml and MLproject under a root (nested projects too), skipping VCS, caches and
 * virtualenvs. Results are sorted so the tree order is stable.
 */
export async function findPipelineFiles(root: string, maxDepth = 12): Promise<PipelineFiles> {
  const found: PipelineFiles = { dvc: [], mlproject: [] };
  async function walk(dir: string, depth: number): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!IGNORED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.') && depth < maxDepth) subdirs.push(join(dir, entry.name));
      } else if (entry.isFile()) {
        if (entry.name === 'dvc.yaml') found.dvc.push(join(dir, entry.name));
        else if (entry.name.toLowerCase() === 'mlproject') found.mlproject.push(join(dir, entry.name));
      }
    }
    await Promise.all(subdirs.map((sub) => walk(sub, depth + 1)));
  }
  await walk(root, 0);
  found.dvc.sort();
  found.mlproject.sort();
  return found;
}
