import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { DvcIgnore } from './dvcIgnore';

/**
 * DVC's content hashes, reproduced so status can be computed without DVC. DVC 3 (`hash: md5` in
 * dvc.lock) hashes a file's bytes as they are; DVC 2 entries (no `hash:` field) used
 * `md5-dos2unix`, which turns CRLF into LF in files that look like text. A directory's hash is the
 * md5 of the JSON list of its files' `{md5, relpath}` sorted by relpath, plus `.dir`.
 */
export type HashName = 'md5' | 'md5-dos2unix';

export interface PathHash {
  /** `abc…` for a file, `abc….dir` for a directory. */
  md5: string;
  size: number;
  /** Number of files, for directories. */
  nfiles?: number;
  isDir: boolean;
}

const CHUNK = 1024 * 1024;
/** Folders DVC never collects into a directory hash. */
const IGNORED_NAMES = new Set(['.git', '.hg', '.dvc']);

/** Bytes DVC's `istextblock` counts as text: printable ASCII and \n \r \t \f \b. */
const TEXT_BYTES = (() => {
  const set = new Uint8Array(256);
  for (const b of [8, 9, 10, 12, 13]) set[b] = 1;
  for (let b = 0x20; b < 0x7f; b++) set[b] = 1;
  return set;
})();

function isTextBlock(block: Uint8Array): boolean {
  if (block.length === 0) return true;
  let nonText = 0;
  for (const byte of block) {
    if (byte === 0) return false;
    if (!TEXT_BYTES[byte]) nonText++;
  }
  return nonText / block.length <= 0.3;
}

/** md5 of a file the way DVC computes it for the given hash name. */
export async function fileMd5(path: string, name: HashName = 'md5'): Promise<string> {
  const hash = createHash('md5');
  if (name === 'md5') {
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(path, { highWaterMark: CHUNK });
      stream.on('data', (chunk) => hash.update(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    return hash.digest('hex');
  }
  // dos2unix applies per 1 MiB chunk, decided on the chunk's first 512 bytes, as DVC does.
  const handle = await fs.open(path, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(isTextBlock(chunk.subarray(0, 512)) ? dos2unix(chunk) : chunk);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

function dos2unix(chunk: Buffer): Buffer {
  const out = Buffer.alloc(chunk.length);
  let n = 0;
  for (let i = 0; i < chunk.length; i++) {
    const byte = chunk[i] ?? 0;
    if (byte === 13 && chunk[i + 1] === 10) continue;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** Python's `json.dumps` string escaping (`ensure_ascii=True`). */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const ch = text[i] ?? '';
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The md5 DVC gives a directory from its files' hashes. */
export function directoryMd5(entries: { relpath: string; md5: string }[]): string {
  const sorted = [...entries].sort((a, b) => (a.relpath < b.relpath ? -1 : a.relpath > b.relpath ? 1 : 0));
  const json = `[${sorted.map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`).join(', ')}]`;
  return `${createHash('md5').update(json, 'utf8').digest('hex')}.dir`;
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  ino: number;
  md5: Promise<string>;
}

/** How many files are read at once: a 2,000-stage status must not run out of file handles. */
const MAX_PARALLEL_READS = 16;

/**
 * Hashes files and folders, remembering file hashes by (mtime, size, inode) like DVC's state
 * database, so a status refresh only reads files that changed. Concurrent requests for the same
 * file share one read.
 */
export class PathHasher {
  private readonly files = new Map<string, CacheEntry>();
  private readonly directories = new Map<string, Promise<PathHash>>();
  private reading = 0;
  private readonly waiting: (() => void)[] = [];

  /** Hash of a file or folder; `ignore` applies the repository's .dvcignore inside folders. */
  async hash(path: string, name: HashName = 'md5', ignore?: DvcIgnore): Promise<PathHash | undefined> {
    let stat: Stats;
    try {
      stat = await fs.stat(path);
    } catch {
      return undefined;
    }
    if (stat.isDirectory()) {
      // One walk per folder at a time; later calls walk again to see changes.
      const key = `${name}\0${path}`;
      let pending = this.directories.get(key);
      if (!pending) {
        pending = this.hashDirectory(path, name, ignore).finally(() => this.directories.delete(key));
        this.directories.set(key, pending);
      }
      return pending;
    }
    if (!stat.isFile()) return undefined;
    return { md5: await this.hashFile(path, stat, name), size: stat.size, isDir: false };
  }

  private hashFile(path: string, stat: Stats, name: HashName): Promise<string> {
    const key = `${name}\0${path}`;
    const cached = this.files.get(key);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size && cached.ino === stat.ino) return cached.md5;
    const md5 = this.limited(() => fileMd5(path, name));
    this.files.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, ino: stat.ino, md5 });
    md5.catch(() => this.files.delete(key));
    return md5;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.reading >= MAX_PARALLEL_READS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.reading++;
    try {
      return await task();
    } finally {
      this.reading--;
      this.waiting.shift()?.();
    }
  }

  private async hashDirectory(root: string, name: HashName, ignore: DvcIgnore | undefined): Promise<PathHash> {
    const entries: { relpath: string; md5: string }[] = [];
    let size = 0;
    const walk = async (dir: string, rel: string): Promise<void> => {
      const children = await fs.readdir(dir, { withFileTypes: true });
      for (const child of children) {
        const full = join(dir, child.name);
        const childRel = rel ? `${rel}/${child.name}` : child.name;
        let stat: Stats;
        try {
          stat = await fs.stat(full);
        } catch {
          continue;
        }
        if (ignore ? await ignore.isIgnored(full, stat.isDirectory()) : IGNORED_NAMES.has(child.name)) continue;
        if (stat.isDirectory()) await walk(full, childRel);
        else if (stat.isFile()) {
          entries.push({ relpath: childRel, md5: await this.hashFile(full, stat, name) });
          size += stat.size;
        }
      }
    };
    await walk(root, '');
    return { md5: directoryMd5(entries), size, nfiles: entries.length, isDir: true };
  }
}
