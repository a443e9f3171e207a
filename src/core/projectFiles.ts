import { promises as fs, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { IGNORED_DIRECTORIES } from './fileKinds';

/**
 * Every file under `root` that `accept` takes, skipping VCS folders, caches, virtualenvs and hidden
 * folders; sorted so trees and reports are stable. `limit` bounds the result so a huge monorepo
 * cannot stall the caller.
 */
export async function findProjectFiles(
  root: string,
  accept: (path: string) => boolean,
  options: { maxDepth?: number; limit?: number } = {},
): Promise<string[]> {
  const maxDepth = options.maxDepth ?? 12;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const found: string[] = [];
  async function walk(dir: string, depth: number): Promise<void> {
    if (found.length >= limit) return;
    let entries: Dirent[];
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
        if (found.length < limit && accept(path)) found.push(path);
      }
    }
    await Promise.all(subdirs.map((sub) => walk(sub, depth + 1)));
  }
  await walk(root, 0);
  return found.sort();
}
