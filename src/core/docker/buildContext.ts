import { createReadStream, promises as fs, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { PatternMatcher, patternsForBuild, readDockerignore } from './dockerignore';

/**
 * The build context as a tar stream, produced while the engine reads it: files are visited in the
 * order `docker build` visits them, `.dockerignore` is applied exactly as the Docker CLI applies it,
 * and each file is streamed from disk, so a context of any size never sits in memory.
 */
export interface ContextOptions {
  /** The context folder. */
  root: string;
  /** The Dockerfile path relative to the context (slash-separated), as sent to the engine. */
  dockerfile: string;
}

export interface ContextSummary {
  files: number;
  bytes: number;
}

export interface PackedContext {
  stream: Readable;
  /** Settles when the whole context has been read. */
  done: Promise<ContextSummary>;
}

export async function readContextPatterns(root: string, dockerfile: string): Promise<string[]> {
  let text = '';
  try {
    text = await fs.readFile(join(root, '.dockerignore'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return patternsForBuild(readDockerignore(text), dockerfile);
}

/** Lists the context's entries (slash paths) in the order they are packed: for tests and tools. */
export async function listContext(options: ContextOptions): Promise<string[]> {
  const names: string[] = [];
  const matcher = new PatternMatcher(await readContextPatterns(options.root, options.dockerfile));
  for await (const entry of walk(options.root, '', matcher)) names.push(entry.path);
  return names;
}

export function packContext(options: ContextOptions): PackedContext {
  let resolveDone!: (summary: ContextSummary) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<ContextSummary>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined);
  const summary: ContextSummary = { files: 0, bytes: 0 };
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      const matcher = new PatternMatcher(await readContextPatterns(options.root, options.dockerfile));
      for await (const entry of walk(options.root, '', matcher)) {
        yield* tarEntry(entry, summary);
      }
      yield Buffer.alloc(1024);
      resolveDone(summary);
    } catch (error) {
      rejectDone(error);
      throw error;
    }
  }
  const stream = Readable.from(generate(), { objectMode: false, highWaterMark: 1 << 20 });
  return { stream, done };
}

interface WalkEntry {
  path: string;
  absolute: string;
  stats: Stats;
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Go's filepath.Walk order (names sorted bytewise), with the CLI's skip rules. */
async function* walk(root: string, dir: string, matcher: PatternMatcher): AsyncGenerator<WalkEntry> {
  const absoluteDir = dir === '' ? root : join(root, dir);
  const names = (await fs.readdir(absoluteDir)).sort(compareBytes);
  for (const name of names) {
    const path = dir === '' ? name : `${dir}/${name}`;
    const absolute = join(absoluteDir, name);
    const stats = await fs.lstat(absolute);
    if (matcher.matches(path)) {
      if (stats.isDirectory() && matcher.mustWalkExcludedDir(path)) yield* walk(root, path, matcher);
      continue;
    }
    if (stats.isDirectory()) {
      yield { path, absolute, stats };
      yield* walk(root, path, matcher);
    } else if (stats.isFile() || stats.isSymbolicLink()) {
      yield { path, absolute, stats };
    }
  }
}

async function* tarEntry(entry: WalkEntry, summary: ContextSummary): AsyncGenerator<Buffer> {
  const { stats } = entry;
  if (stats.isDirectory()) {
    yield* header({ name: `${entry.path}/`, mode: stats.mode & 0o7777, size: 0, mtime: stats.mtime, type: '5' });
    return;
  }
  if (stats.isSymbolicLink()) {
    const target = await fs.readlink(entry.absolute);
    yield* header({ name: entry.path, mode: 0o777, size: 0, mtime: stats.mtime, type: '2', linkname: target });
    return;
  }
  const size = stats.size;
  yield* header({ name: entry.path, mode: stats.mode & 0o7777, size, mtime: stats.mtime, type: '0' });
  let sent = 0;
  for await (const chunk of createReadStream(entry.absolute, { highWaterMark: 1 << 20, end: size > 0 ? size - 1 : 0 })) {
    const buffer = chunk as Buffer;
    const part = sent + buffer.length > size ? buffer.subarray(0, size - sent) : buffer;
    sent += part.length;
    if (part.length > 0) yield part;
  }
  if (sent < size) throw new Error(`${entry.path} changed while it was being read (expected ${size} bytes, read ${sent})`);
  const pad = (512 - (size % 512)) % 512;
  if (pad > 0) yield Buffer.alloc(pad);
  summary.files += 1;
  summary.bytes += size;
}

interface Header {
  name: string;
  mode: number;
  size: number;
  mtime: Date;
  type: '0' | '2' | '5' | 'x';
  linkname?: string;
}

function* header(h: Header): Generator<Buffer> {
  const nameBytes = Buffer.byteLength(h.name);
  const linkBytes = Buffer.byteLength(h.linkname ?? '');
  if (nameBytes > 100 || linkBytes > 100 || h.size > 0o77777777777) {
    const records: string[] = [];
    if (nameBytes > 100) records.push(paxRecord('path', h.name));
    if (linkBytes > 100) records.push(paxRecord('linkpath', h.linkname ?? ''));
    if (h.size > 0o77777777777) records.push(paxRecord('size', String(h.size)));
    const body = Buffer.from(records.join(''));
    yield ustar({ name: 'PaxHeaders.0/entry', mode: 0o644, size: body.length, mtime: h.mtime, type: 'x' });
    yield body;
    const pad = (512 - (body.length % 512)) % 512;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield ustar(h);
}

function paxRecord(key: string, value: string): string {
  const text = ` ${key}=${value}\n`;
  const textLength = Buffer.byteLength(text);
  let length = textLength + 1;
  while (String(length).length + textLength !== length) length = String(length).length + textLength;
  return `${length}${text}`;
}

function ustar(h: Header): Buffer {
  const block = Buffer.alloc(512);
  writeString(block, 0, 100, h.name);
  writeOctal(block, 100, 8, h.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, h.size > 0o77777777777 ? 0 : h.size);
  writeOctal(block, 136, 12, Math.floor(h.mtime.getTime() / 1000));
  block.fill(' ', 148, 156);
  block.write(h.type, 156, 'latin1');
  writeString(block, 157, 100, h.linkname ?? '');
  block.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return block;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value);
  bytes.copy(block, offset, 0, Math.min(bytes.length, length));
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, 'latin1');
}

/** The Dockerfile path relative to the context, slash-separated (what the engine is told). */
export function dockerfileInContext(root: string, dockerfile: string): string {
  return relative(root, dockerfile).split('\\').join('/');
}
