import { promises as fs } from 'node:fs';

/**
 * How the core reads files. The language server layers open editor buffers over the disk; the CLI
 * and tests read the disk. Paths are absolute.
 */
export interface FileAccess {
  readText(path: string): Promise<string | undefined>;
  exists(path: string): Promise<boolean>;
}

/** Largest file the core reads as text (the rest is reported, not read). */
export const MAX_TEXT_FILE_BYTES = 20 * 1024 * 1024;

export const diskFileAccess: FileAccess = {
  async readText(path) {
    try {
      const stat = await fs.stat(path);
      if (!stat.isFile() || stat.size > MAX_TEXT_FILE_BYTES) return undefined;
      return await fs.readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  async exists(path) {
    try {
      await fs.access(path);
      return true;
    } catch {
      return false;
    }
  },
};

/** Reads open documents first, then the disk. */
export function overlayFileAccess(open: (path: string) => string | undefined, base: FileAccess = diskFileAccess): FileAccess {
  return {
    async readText(path) {
      return open(path) ?? (await base.readText(path));
    },
    async exists(path) {
      return open(path) !== undefined || (await base.exists(path));
    },
  };
}
