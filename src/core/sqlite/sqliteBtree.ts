import { SqliteFormatError, type SqlitePager } from './sqlitePager';

/** A SQLite value as stored: integers beyond 2^53 stay exact as bigint. */
export type SqlValue = null | number | bigint | string | Uint8Array;

const TABLE_INTERIOR = 0x05;
const TABLE_LEAF = 0x0d;
const INDEX_INTERIOR = 0x02;
const INDEX_LEAF = 0x0a;
/** Child pages read ahead together while walking a table (consecutive ones in one read). */
const PREFETCH = 64;

/** Reads a SQLite varint (1–9 bytes, big-endian 7-bit groups, the 9th byte whole). */
export function readVarint(buf: Buffer, offset: number): [value: number, length: number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const byte = buf[offset + i];
    if (byte === undefined) throw new RangeError('varint runs past the end of the page');
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  const last = buf[offset + 8];
  if (last === undefined) throw new RangeError('varint runs past the end of the page');
  return [value * 256 + last, 9];
}

/**
 * Decodes a record (header of serial types, then bodies) into its column values. Reads straight
 * from the page between `start` and `end`, so a row costs no intermediate buffer. With `keep`, text
 * and blob columns it does not mark are left NULL without being decoded (a scan that needs a few
 * columns of wide rows then makes no strings for the others).
 */
export function decodeRecord(buf: Buffer, textEncoding: number, start = 0, end = buf.length, keep?: readonly boolean[]): SqlValue[] {
  const [headerSize, first] = readVarint(buf, start);
  const values: SqlValue[] = [];
  let typeAt = start + first;
  let at = start + headerSize;
  const headerEnd = start + headerSize;
  while (typeAt < headerEnd) {
    let type = buf[typeAt] ?? 0;
    if (type < 0x80) {
      typeAt++;
    } else {
      const [t, length] = readVarint(buf, typeAt);
      type = t;
      typeAt += length;
    }
    switch (type) {
      case 0:
        values.push(null);
        break;
      case 1:
        values.push(buf.readInt8(at));
        at += 1;
        break;
      case 2:
        values.push(buf.readInt16BE(at));
        at += 2;
        break;
      case 3:
        values.push(buf.readIntBE(at, 3));
        at += 3;
        break;
      case 4:
        values.push(buf.readInt32BE(at));
        at += 4;
        break;
      case 5:
        values.push(buf.readIntBE(at, 6));
        at += 6;
        break;
      case 6: {
        const high = buf.readInt32BE(at);
        const low = buf.readUInt32BE(at + 4);
        // Exact as a number while |value| < 2^53; beyond that, a bigint.
        if (high >= -0x200000 && high < 0x200000) values.push(high * 0x100000000 + low);
        else values.push(buf.readBigInt64BE(at));
        at += 8;
        break;
      }
      case 7:
        values.push(buf.readDoubleBE(at));
        at += 8;
        break;
      case 8:
        values.push(0);
        break;
      case 9:
        values.push(1);
        break;
      case 10:
      case 11:
        throw new RangeError(`reserved serial type ${type}`);
      default: {
        const length = type % 2 === 0 ? (type - 12) / 2 : (type - 13) / 2;
        if (at + length > end) throw new RangeError('a value runs past the end of its record');
        if (keep && !keep[values.length]) values.push(null);
        else if (type % 2 === 0) values.push(new Uint8Array(buf.subarray(at, at + length)));
        else values.push(decodeText(buf, at, at + length, textEncoding));
        at += length;
      }
    }
  }
  return values;
}

function decodeText(buf: Buffer, start: number, end: number, encoding: number): string {
  if (encoding === 1) {
    // Keys, ids and short values are ASCII: building them directly is cheaper than a UTF-8 decode call.
    if (end - start <= 64) {
      let text = '';
      for (let i = start; i < end; i++) {
        const c = buf[i] ?? 0;
        if (c >= 0x80) return buf.toString('utf8', start, end);
        text += String.fromCharCode(c);
      }
      return text;
    }
    return buf.toString('utf8', start, end);
  }
  if (encoding === 2) return buf.toString('utf16le', start, end);
  const swapped = Buffer.from(buf.subarray(start, end));
  swapped.swap16();
  return swapped.toString('utf16le');
}

/**
 * UTF-8 byte order without encoding: below U+D800 the order of UTF-16 code units is the order of
 * the UTF-8 bytes, so only a difference at a surrogate or above needs the bytes.
 */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 || y >= 0xd800) return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** SQLite's ordering of values with the BINARY collation: NULL < numbers < text < blob. */
export function compareValues(a: SqlValue, b: SqlValue): number {
  const rank = (v: SqlValue): number =>
    v === null ? 0 : typeof v === 'number' || typeof v === 'bigint' ? 1 : typeof v === 'string' ? 2 : 3;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 1) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 2) return compareText(a as string, b as string);
  return Buffer.compare(a as Uint8Array, b as Uint8Array);
}

/** Walks table and index b-trees of one database, loading each page only when it is needed. */
export class BtreeReader {
  constructor(private readonly pager: SqlitePager) {}

  /** Visits every row of a table b-tree in rowid order. `visit` returning false stops the walk; `keep` as for {@link decodeRecord}. */
  async scanTable(root: number, visit: (rowid: number, values: SqlValue[]) => boolean | void, keep?: readonly boolean[]): Promise<void> {
    await this.walkTable(root, visit, new Set(), keep);
  }

  /** The row with this rowid, or undefined. */
  async findRow(root: number, rowid: number): Promise<SqlValue[] | undefined> {
    let pageNumber = root;
    for (let depth = 0; depth < 64; depth++) {
      const page = await this.pager.page(pageNumber);
      const header = pageNumber === 1 ? 100 : 0;
      const type = page[header];
      const cells = this.cellOffsets(page, header, pageNumber);
      if (type === TABLE_LEAF) {
        let low = 0;
        let high = cells.length - 1;
        while (low <= high) {
          const mid = (low + high) >> 1;
          const at = cells[mid] ?? 0;
          const [, sizeLength] = readVarint(page, at);
          const [key] = readVarint(page, at + sizeLength);
          if (key === rowid) return (await this.tableLeafCell(page, at, pageNumber))[1];
          if (key < rowid) low = mid + 1;
          else high = mid - 1;
        }
        return undefined;
      }
      if (type !== TABLE_INTERIOR) throw this.corrupt(pageNumber, `has type ${type} inside a table b-tree`);
      let next = page.readUInt32BE(header + 8);
      let low = 0;
      let high = cells.length - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        const at = cells[mid] ?? 0;
        const [key] = readVarint(page, at + 4);
        if (key >= rowid) {
          next = page.readUInt32BE(at);
          high = mid - 1;
        } else {
          low = mid + 1;
        }
      }
      pageNumber = next;
    }
    throw this.corrupt(pageNumber, 'is part of a b-tree deeper than 64 levels');
  }

  /**
   * Visits the rows with these rowids (ascending, no repeats) in rowid order, reading each page on
   * their paths once: for many rows of neighbouring rowids this is one walk, not one descent each.
   * Rowids that are not in the table are skipped.
   */
  async findRows(root: number, rowids: readonly number[], visit: (rowid: number, values: SqlValue[]) => void): Promise<void> {
    const walk = async (pageNumber: number, from: number, to: number, depth: number): Promise<void> => {
      if (depth > 64) throw this.corrupt(pageNumber, 'is part of a b-tree deeper than 64 levels');
      const page = await this.pager.page(pageNumber);
      const header = pageNumber === 1 ? 100 : 0;
      const type = page[header];
      const cells = this.cellOffsets(page, header, pageNumber);
      let i = from;
      if (type === TABLE_LEAF) {
        for (const at of cells) {
          if (i >= to) return;
          const [, sizeLength] = readVarint(page, at);
          const [key] = readVarint(page, at + sizeLength);
          while (i < to && (rowids[i] as number) < key) i++;
          if (i < to && rowids[i] === key) {
            const [rowid, values] = this.localTableLeafCell(page, at, pageNumber) ?? (await this.tableLeafCell(page, at, pageNumber));
            visit(rowid, values);
            i++;
          }
        }
        return;
      }
      if (type !== TABLE_INTERIOR) throw this.corrupt(pageNumber, `has type ${type} inside a table b-tree`);
      // Each cell's child holds the rowids up to its key; the right-most child the rest. The
      // children to visit are loaded together.
      const groups: [child: number, from: number, to: number][] = [];
      for (const at of cells) {
        if (i >= to) break;
        const [key] = readVarint(page, at + 4);
        let j = i;
        while (j < to && (rowids[j] as number) <= key) j++;
        if (j > i) groups.push([page.readUInt32BE(at), i, j]);
        i = j;
      }
      if (i < to) groups.push([page.readUInt32BE(header + 8), i, to]);
      await this.pager.prefetch(groups.map(([child]) => child));
      for (const [child, lo, hi] of groups) await walk(child, lo, hi, depth + 1);
    };
    if (rowids.length > 0) await walk(root, 0, rowids.length, 0);
  }

  /**
   * Visits, in index order, every entry of an index b-tree whose leading columns equal `prefix`
   * (the entry's last column is the table rowid). Only the pages that can hold such entries are read.
   */
  async seekIndex(root: number, prefix: SqlValue[], visit: (entry: SqlValue[]) => void): Promise<void> {
    const comparePrefix = (entry: SqlValue[]): number => {
      for (let i = 0; i < prefix.length; i++) {
        const c = compareValues(entry[i] ?? null, prefix[i] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    };
    // Returns false once an entry beyond the prefix was seen, so the caller stops.
    const walk = async (pageNumber: number, depth: number): Promise<boolean> => {
      const { page, header, interior } = await this.indexPage(pageNumber, depth);
      const cells = this.cellOffsets(page, header, pageNumber);
      // Entries are in order: skip, by binary search, those below the prefix (and their children).
      let low = 0;
      let high = cells.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (comparePrefix(await this.indexCell(page, cells[mid] ?? 0, interior, pageNumber)) < 0) low = mid + 1;
        else high = mid;
      }
      for (const at of cells.slice(low)) {
        const entry = await this.indexCell(page, at, interior, pageNumber);
        const c = comparePrefix(entry);
        if (interior && c >= 0 && !(await walk(page.readUInt32BE(at), depth + 1))) return false;
        if (c === 0) visit(entry);
        if (c > 0) return false;
      }
      return interior ? walk(page.readUInt32BE(header + 8), depth + 1) : true;
    };
    await walk(root, 0);
  }

  /**
   * Visits every entry of an index b-tree whose first column is one of `values` (ascending by
   * {@link compareValues}, no repeats), in one walk: each page on the way is read once, and the
   * children a page leads to are loaded together rather than one after another.
   */
  async seekIndexMany(root: number, values: readonly SqlValue[], visit: (entry: SqlValue[]) => void): Promise<void> {
    const walk = async (pageNumber: number, from: number, to: number, depth: number): Promise<void> => {
      const { page, header, interior } = await this.indexPage(pageNumber, depth);
      const cells = this.cellOffsets(page, header, pageNumber);
      const entries: SqlValue[][] = [];
      for (const at of cells) entries.push(await this.indexCell(page, at, interior, pageNumber));
      const first = (entry: SqlValue[] | undefined): SqlValue => entry?.[0] ?? null;
      // Entries whose first column is one of the values (values and entries are both in order).
      let v = from;
      for (const entry of entries) {
        while (v < to && compareValues(values[v] ?? null, first(entry)) < 0) v++;
        if (v >= to) break;
        if (compareValues(values[v] ?? null, first(entry)) === 0) visit(entry);
      }
      if (!interior) return;
      // Child k holds the entries between entry k-1 and entry k; the right-most child those after the last.
      const children = [...cells.map((at) => page.readUInt32BE(at)), page.readUInt32BE(header + 8)];
      const groups: [child: number, from: number, to: number][] = [];
      let low = from;
      for (let k = 0; k < children.length && low < to; k++) {
        const below = entries[k - 1];
        const above = entries[k];
        while (low < to && below && compareValues(values[low] ?? null, first(below)) < 0) low++;
        let high = low;
        while (high < to && (!above || compareValues(values[high] ?? null, first(above)) <= 0)) high++;
        if (high > low) groups.push([children[k] as number, low, high]);
        // A value equal to entry k's may continue into child k+1.
        while (low < high && above && compareValues(values[low] ?? null, first(above)) < 0) low++;
      }
      await this.pager.prefetch(groups.map(([child]) => child));
      for (const [child, lo, hi] of groups) await walk(child, lo, hi, depth + 1);
    };
    if (values.length > 0) await walk(root, 0, values.length, 0);
  }

  private async walkTable(
    pageNumber: number,
    visit: (rowid: number, values: SqlValue[]) => boolean | void,
    seen: Set<number>,
    keep?: readonly boolean[],
  ): Promise<boolean> {
    if (seen.has(pageNumber)) throw this.corrupt(pageNumber, 'appears twice in one b-tree');
    seen.add(pageNumber);
    const page = await this.pager.page(pageNumber);
    const header = pageNumber === 1 ? 100 : 0;
    const type = page[header];
    const cells = this.cellOffsets(page, header, pageNumber);
    if (type === TABLE_LEAF) {
      for (const at of cells) {
        const [rowid, values] =
          this.localTableLeafCell(page, at, pageNumber, keep) ?? (await this.tableLeafCell(page, at, pageNumber, keep));
        if (visit(rowid, values) === false) return false;
      }
      return true;
    }
    if (type !== TABLE_INTERIOR) throw this.corrupt(pageNumber, `has type ${type} inside a table b-tree`);
    const children = cells.map((at) => page.readUInt32BE(at));
    children.push(page.readUInt32BE(header + 8));
    for (let i = 0; i < children.length; i += PREFETCH) {
      await this.pager.prefetch(children.slice(i, i + PREFETCH));
      for (const child of children.slice(i, i + PREFETCH)) if (!(await this.walkTable(child, visit, seen, keep))) return false;
    }
    return true;
  }

  /** A page of an index b-tree at this depth of a walk, checked to be one. */
  private async indexPage(pageNumber: number, depth: number): Promise<{ page: Buffer; header: number; interior: boolean }> {
    if (depth > 64) throw this.corrupt(pageNumber, 'is part of a b-tree deeper than 64 levels');
    const page = await this.pager.page(pageNumber);
    const header = pageNumber === 1 ? 100 : 0;
    const type = page[header];
    if (type !== INDEX_LEAF && type !== INDEX_INTERIOR) throw this.corrupt(pageNumber, `has type ${type} inside an index b-tree`);
    return { page, header, interior: type === INDEX_INTERIOR };
  }

  private cellOffsets(page: Buffer, header: number, pageNumber: number): number[] {
    const type = page[header];
    const count = page.readUInt16BE(header + 3);
    const start = header + (type === TABLE_INTERIOR || type === INDEX_INTERIOR ? 12 : 8);
    if (start + count * 2 > page.length) throw this.corrupt(pageNumber, 'has more cells than fit in it');
    const offsets: number[] = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const at = page.readUInt16BE(start + i * 2);
      if (at >= page.length) throw this.corrupt(pageNumber, 'points to a cell outside the page');
      offsets[i] = at;
    }
    return offsets;
  }

  /** A table leaf cell whose payload is all on its page (most rows), decoded without waiting. */
  private localTableLeafCell(page: Buffer, at: number, pageNumber: number, keep?: readonly boolean[]): [number, SqlValue[]] | undefined {
    try {
      const [size, sizeLength] = readVarint(page, at);
      if (size > this.pager.usableSize - 35) return undefined;
      const [rowid, rowidLength] = readVarint(page, at + sizeLength);
      const start = at + sizeLength + rowidLength;
      if (start + size > page.length) throw new RangeError('a cell runs past the end of its page');
      return [rowid, decodeRecord(page, this.pager.header.textEncoding, start, start + size, keep)];
    } catch (error) {
      throw this.corrupt(pageNumber, `has an unreadable row (${(error as Error).message})`);
    }
  }

  private async tableLeafCell(page: Buffer, at: number, pageNumber: number, keep?: readonly boolean[]): Promise<[number, SqlValue[]]> {
    try {
      const [size, sizeLength] = readVarint(page, at);
      const [rowid, rowidLength] = readVarint(page, at + sizeLength);
      const usable = this.pager.usableSize;
      const payload = await this.payload(page, at + sizeLength + rowidLength, size, usable - 35, pageNumber);
      return [rowid, decodeRecord(payload, this.pager.header.textEncoding, 0, payload.length, keep)];
    } catch (error) {
      if (error instanceof SqliteFormatError) throw error;
      throw this.corrupt(pageNumber, `has an unreadable row (${(error as Error).message})`);
    }
  }

  private async indexCell(page: Buffer, at: number, interior: boolean, pageNumber: number): Promise<SqlValue[]> {
    try {
      const start = interior ? at + 4 : at;
      const [size, sizeLength] = readVarint(page, start);
      const usable = this.pager.usableSize;
      const payload = await this.payload(page, start + sizeLength, size, Math.floor(((usable - 12) * 64) / 255) - 23, pageNumber);
      return decodeRecord(payload, this.pager.header.textEncoding);
    } catch (error) {
      if (error instanceof SqliteFormatError) throw error;
      throw this.corrupt(pageNumber, `has an unreadable index entry (${(error as Error).message})`);
    }
  }

  /** A cell's payload: what is on the page, followed by its chain of overflow pages. */
  private async payload(page: Buffer, at: number, size: number, maxLocal: number, pageNumber: number): Promise<Buffer> {
    if (size <= maxLocal) {
      if (at + size > page.length) throw this.corrupt(pageNumber, 'has a cell that runs past its end');
      return page.subarray(at, at + size);
    }
    const usable = this.pager.usableSize;
    const minLocal = Math.floor(((usable - 12) * 32) / 255) - 23;
    const k = minLocal + ((size - minLocal) % (usable - 4));
    const local = k <= maxLocal ? k : minLocal;
    const out = Buffer.alloc(size);
    page.copy(out, 0, at, at + local);
    let filled = local;
    let next = page.readUInt32BE(at + local);
    let hops = 0;
    while (filled < size) {
      if (next === 0 || hops++ > this.pager.pages) throw this.corrupt(pageNumber, 'has a broken overflow chain');
      const overflow = await this.pager.page(next);
      const take = Math.min(size - filled, usable - 4);
      overflow.copy(out, filled, 4, 4 + take);
      filled += take;
      next = overflow.readUInt32BE(0);
    }
    return out;
  }

  private corrupt(pageNumber: number, detail: string): SqliteFormatError {
    return new SqliteFormatError(this.pager.path, `page ${pageNumber} ${detail}`);
  }
}
