import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { fileKindOf, IGNORED_DIRECTORIES } from '../fileKinds';

/** Kinds of files validated on start-up whether open or not. */
const VALIDATED = new Set(['dvc', 'params', 'dataSchema', 'mlproject']);

/**
 * Every dvc.yaml, params file, schema.yaml and MLproject under a folder (VCS, caches and
 * virtualenvs skipped), sorted; at most `limit`, so a huge monorepo cannot stall the server.
 */
export async function findValidatableFiles(root: string, limit = 2000, maxDepth = 8): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    if (found.length >= limit) return;
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
        const path = join(dir, entry.name);
        const kind = fileKindOf(path);
        if (kind && VALIDATED.has(kind) && found.length < limit) found.push(path);
      }
    }
    for (const sub of subdirs) await walk(sub, depth + 1);
  }
  await walk(root, 0);
  return found.sort();
}
