import { promises as fs } from 'node:fs';
import { basename } from 'node:path';

/** A file that is not a SQLite database, or whose pages do not make sense. */
export class SqliteFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${basename(file)} is not a readable SQLite database: ${detail}.`);
    this.name = 'SqliteFormatError';
  }
}

const MAGIC = 'SQLite format 3\0';
const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;

export interface SqliteHeader {
  pageSize: number;
  /** Bytes at the end of each page that belong to extensions (usable size = pageSize - reserved). */
  reservedBytes: number;
  changeCounter: number;
  /** 1 UTF-8, 2 UTF-16le, 3 UTF-16be. */
  textEncoding: number;
  /** 1 legacy, 2 WAL: a database written in WAL mode says so in its header. */
  writeVersion: number;
}

interface WalIndex {
  size: number;
  mtimeMs: number;
  /** Page number → file offset of the page's data in its latest committed frame. */
  pages: Map<number, number>;
  /** Database size in pages after the last committed transaction in the WAL, or 0 when none. */
  dbPages: number;
  committedFrames: number;
}

/**
 * Reads pages of a SQLite file on demand (never the whole file), read-only, with a small LRU cache,
 * and lays the latest committed page versions of a `-wal` file over them. The file is opened with
 * flag 'r' and no lock is taken, so a process writing to the database is never blocked; readers
 * call `refresh()` before each query and retry when the change counter moved underneath them.
 */
export class SqlitePager {
  private cache = new Map<number, Buffer>();
  private wal: WalIndex | undefined;
  private walHandle: fs.FileHandle | undefined;
  private pageCount = 0;
  header: SqliteHeader;

  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    header: SqliteHeader,
    private readonly cachePages: number,
  ) {
    this.header = header;
  }

  static async open(path: string, options: { cachePages?: number } = {}): Promise<SqlitePager> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (error) {
      throw new SqliteFormatError(
        path,
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message,
      );
    }
    try {
      const header = await readHeader(handle, path);
      const pager = new SqlitePager(path, handle, header, options.cachePages ?? 512);
      await pager.refresh();
      return pager;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get usableSize(): number {
    return this.header.pageSize - this.header.reservedBytes;
  }

  /** Committed frames read from the `-wal` file (0 when there is none). */
  get walFrames(): number {
    return this.wal?.committedFrames ?? 0;
  }

  get pages(): number {
    return this.pageCount;
  }

  /**
   * Re-reads the header and the WAL when they changed, dropping cached pages that may be stale.
   * Returns true when the database changed since the last refresh.
   */
  async refresh(): Promise<boolean> {
    const header = await readHeader(this.handle, this.path);
    let changed = header.changeCounter !== this.header.changeCounter;
    this.header = header;
    const walChanged = await this.refreshWal();
    changed = changed || walChanged;
    if (changed) this.cache.clear();
    const stat = await this.handle.stat();
    const filePages = Math.floor(stat.size / header.pageSize);
    this.pageCount = this.wal && this.wal.dbPages > 0 ? this.wal.dbPages : filePages;
    return changed;
  }

  async page(pageNumber: number): Promise<Buffer> {
    const cached = this.cache.get(pageNumber);
    if (cached) {
      this.cache.delete(pageNumber);
      this.cache.set(pageNumber, cached);
      return cached;
    }
    if (pageNumber < 1 || pageNumber > this.pageCount) {
      throw new SqliteFormatError(this.path, `page ${pageNumber} is outside the file (${this.pageCount} pages)`);
    }
    const size = this.header.pageSize;
    // Every byte is overwritten by the read (a short read is an error).
    const buffer = Buffer.allocUnsafe(size);
    const walOffset = this.wal?.pages.get(pageNumber);
    const { bytesRead } =
      walOffset !== undefined && this.walHandle
        ? await this.walHandle.read(buffer, 0, size, walOffset)
        : await this.handle.read(buffer, 0, size, (pageNumber - 1) * size);
    if (bytesRead < size) throw new SqliteFormatError(this.path, `page ${pageNumber} is truncated`);
    this.remember(pageNumber, buffer);
    return buffer;
  }

  private remember(pageNumber: number, buffer: Buffer): void {
    this.cache.set(pageNumber, buffer);
    if (this.cache.size > this.cachePages) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /**
   * Loads pages a walk is about to visit: runs of consecutive page numbers (the common layout of a
   * table's leaves) are read with one call each, instead of one call per page.
   */
  async prefetch(pageNumbers: number[]): Promise<void> {
    const size = this.header.pageSize;
    const wanted = [...new Set(pageNumbers)]
      .filter((n) => n >= 1 && n <= this.pageCount && !this.cache.has(n) && !this.wal?.pages.has(n))
      .sort((a, b) => a - b)
      .slice(0, Math.max(0, this.cachePages - 64));
    const reads: Promise<void>[] = [];
    for (let i = 0; i < wanted.length;) {
      const first = wanted[i] ?? 0;
      let count = 1;
      while (i + count < wanted.length && wanted[i + count] === first + count) count++;
      i += count;
      reads.push(
        (async () => {
          // Only the pages the read filled are kept.
          const buffer = Buffer.allocUnsafe(size * count);
          const { bytesRead } = await this.handle.read(buffer, 0, size * count, (first - 1) * size);
          for (let k = 0; k < count && (k + 1) * size <= bytesRead; k++)
            this.remember(first + k, buffer.subarray(k * size, (k + 1) * size));
        })(),
      );
    }
    await Promise.all(reads);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.walHandle?.close();
    this.walHandle = undefined;
    await this.handle.close();
  }

  /** Indexes the WAL's committed frames whose salts and checksums are valid (the SQLite rules). */
  private async refreshWal(): Promise<boolean> {
    const walPath = `${this.path}-wal`;
    let stat;
    try {
      stat = await fs.stat(walPath);
    } catch {
      const had = this.wal !== undefined;
      this.wal = undefined;
      await this.walHandle?.close();
      this.walHandle = undefined;
      return had;
    }
    if (this.wal && this.wal.size === stat.size && this.wal.mtimeMs === stat.mtimeMs) return false;
    await this.walHandle?.close();
    this.walHandle = await fs.open(walPath, 'r');
    this.wal = await indexWal(this.walHandle, stat.size, stat.mtimeMs, this.header.pageSize);
    return true;
  }
}

async function readHeader(handle: fs.FileHandle, path: string): Promise<SqliteHeader> {
  const buffer = Buffer.alloc(100);
  const { bytesRead } = await handle.read(buffer, 0, 100, 0);
  if (bytesRead === 0) throw new SqliteFormatError(path, 'the file is empty');
  if (bytesRead < 100 || buffer.toString('latin1', 0, 16) !== MAGIC) {
    throw new SqliteFormatError(path, 'the file does not start with the SQLite header');
  }
  const rawSize = buffer.readUInt16BE(16);
  const pageSize = rawSize === 1 ? 65536 : rawSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new SqliteFormatError(path, `its page size ${pageSize} is invalid`);
  }
  const textEncoding = buffer.readUInt32BE(56) || 1;
  if (textEncoding < 1 || textEncoding > 3) throw new SqliteFormatError(path, `its text encoding ${textEncoding} is unknown`);
  return {
    pageSize,
    reservedBytes: buffer.readUInt8(20),
    changeCounter: buffer.readUInt32BE(24),
    textEncoding,
    writeVersion: buffer.readUInt8(18),
  };
}

async function indexWal(handle: fs.FileHandle, size: number, mtimeMs: number, pageSize: number): Promise<WalIndex> {
  const empty: WalIndex = { size, mtimeMs, pages: new Map(), dbPages: 0, committedFrames: 0 };
  if (size < 32) return empty;
  const header = Buffer.alloc(32);
  await handle.read(header, 0, 32, 0);
  const magic = header.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return empty;
  if (header.readUInt32BE(8) !== pageSize) return empty;
  const bigEndian = magic === WAL_MAGIC_BE;
  const salt1 = header.readUInt32BE(16);
  const salt2 = header.readUInt32BE(20);
  let [s0, s1] = walChecksum(header.subarray(0, 24), 0, 0, bigEndian);
  if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) return empty;

  const frameSize = 24 + pageSize;
  const frame = Buffer.alloc(frameSize);
  const pending = new Map<number, number>();
  const committed = new Map<number, number>();
  let dbPages = 0;
  let committedFrames = 0;
  let frames = 0;
  for (let offset = 32; offset + frameSize <= size; offset += frameSize) {
    const { bytesRead } = await handle.read(frame, 0, frameSize, offset);
    if (bytesRead < frameSize) break;
    if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
    [s0, s1] = walChecksum(frame.subarray(0, 8), s0, s1, bigEndian);
    [s0, s1] = walChecksum(frame.subarray(24), s0, s1, bigEndian);
    if (s0 !== frame.readUInt32BE(16) || s1 !== frame.readUInt32BE(20)) break;
    frames++;
    pending.set(frame.readUInt32BE(0), offset + 24);
    const commitSize = frame.readUInt32BE(4);
    if (commitSize > 0) {
      for (const [page, at] of pending) committed.set(page, at);
      pending.clear();
      dbPages = commitSize;
      committedFrames = frames;
    }
  }
  return { size, mtimeMs, pages: committed, dbPages, committedFrames };
}

/** SQLite's WAL checksum: two running 32-bit sums over 32-bit words in the WAL's byte order. */
function walChecksum(data: Buffer, s0: number, s1: number, bigEndian: boolean): [number, number] {
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
