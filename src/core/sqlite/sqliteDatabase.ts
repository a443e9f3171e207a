import { BtreeReader, compareValues, type SqlValue } from './sqliteBtree';
import { SqliteFormatError, SqlitePager } from './sqlitePager';

export type { SqlValue } from './sqliteBtree';
export { SqliteFormatError } from './sqlitePager';

export interface SqliteTable {
  name: string;
  rootPage: number;
  columns: string[];
  /** The column that is an alias of the rowid (`x INTEGER PRIMARY KEY`): stored as NULL, read from the rowid. */
  rowidColumn?: string;
  withoutRowid: boolean;
}

export interface SqliteIndex {
  name: string;
  table: string;
  rootPage: number;
  /** Indexed columns in order; undefined for indexes on expressions. */
  columns: string[] | undefined;
}

export type SqlRow = Record<string, SqlValue>;

/**
 * A read-only view of a SQLite database file, read page by page. Enough SQL-less querying for
 * run stores: scan a table, look up rows through an index on a column.
 */
export class SqliteDatabase {
  private tables = new Map<string, SqliteTable>();
  private indexes: SqliteIndex[] = [];
  private readonly btree: BtreeReader;

  private constructor(private readonly pager: SqlitePager) {
    this.btree = new BtreeReader(pager);
  }

  static async open(path: string, options: { cachePages?: number } = {}): Promise<SqliteDatabase> {
    const pager = await SqlitePager.open(path, options);
    const db = new SqliteDatabase(pager);
    try {
      await db.loadSchema();
    } catch (error) {
      await pager.close();
      throw error;
    }
    return db;
  }

  get pageSize(): number {
    return this.pager.header.pageSize;
  }

  /** Committed frames read from the `-wal` file beside the database (0 when there is none). */
  get walFrames(): number {
    return this.pager.walFrames;
  }

  /** A number that changes whenever a writer commits (the file's change counter and WAL state). */
  get version(): string {
    return `${this.pager.header.changeCounter}:${this.pager.walFrames}`;
  }

  /** Picks up commits made since the last call. Returns true when the database changed. */
  async refresh(): Promise<boolean> {
    const changed = await this.pager.refresh();
    if (changed) await this.loadSchema();
    return changed;
  }

  table(name: string): SqliteTable | undefined {
    return this.tables.get(name.toLowerCase());
  }

  tableNames(): string[] {
    return [...this.tables.values()].map((t) => t.name);
  }

  /** Visits each row of a table as an object keyed by column name; `visit` returning false stops. */
  async scan(tableName: string, visit: (row: SqlRow, rowid: number) => boolean | void): Promise<void> {
    const table = this.requireTable(tableName);
    await this.btree.scanTable(table.rootPage, (rowid, values) => visit(this.toRow(table, rowid, values), rowid));
  }

  /**
   * Visits each row as positional values, in the order of `columns` (cheaper than objects when a
   * table has hundreds of thousands of rows).
   */
  async scanColumns(tableName: string, columns: string[], visit: (values: SqlValue[], rowid: number) => boolean | void): Promise<void> {
    const table = this.requireTable(tableName);
    const positions = this.positionsOf(table, columns);
    const keep = table.columns.map((_, i) => positions.includes(i));
    await this.btree.scanTable(
      table.rootPage,
      (rowid, values) =>
        visit(
          positions.map((p) => (p < 0 ? rowid : (values[p] ?? null))),
          rowid,
        ),
      keep,
    );
  }

  /** Visits the rows with these rowids, as positional values in the order of `columns`, in rowid order. */
  async scanColumnsByRowid(
    tableName: string,
    rowids: readonly number[],
    columns: string[],
    visit: (values: SqlValue[], rowid: number) => void,
  ): Promise<void> {
    const table = this.requireTable(tableName);
    if (table.withoutRowid) throw new SqliteFormatError(this.pager.path, `its table ${table.name} has no rowids`);
    const positions = this.positionsOf(table, columns);
    const sorted = [...new Set(rowids)].sort((a, b) => a - b);
    await this.btree.findRows(table.rootPage, sorted, (rowid, record) =>
      visit(
        positions.map((p) => (p < 0 ? rowid : (record[p] ?? null))),
        rowid,
      ),
    );
  }

  /**
   * Rows whose `column` equals `value`, through an index whose first column is `column` when the
   * database has one (reading only the pages that hold them), else by scanning the table.
   */
  async rowsWhere(tableName: string, column: string, value: SqlValue): Promise<SqlRow[]> {
    const table = this.requireTable(tableName);
    const index = this.indexOn(table, column);
    const rows: SqlRow[] = [];
    if (index && !table.withoutRowid) {
      const rowids: number[] = [];
      await this.btree.seekIndex(index.rootPage, [value], (entry) => {
        const rowid = entry[entry.length - 1];
        if (typeof rowid === 'number') rowids.push(rowid);
      });
      for (const rowid of rowids) {
        const values = await this.btree.findRow(table.rootPage, rowid);
        if (values) rows.push(this.toRow(table, rowid, values));
      }
      return rows;
    }
    await this.scan(tableName, (row) => {
      if (row[column] === value) rows.push(row);
    });
    return rows;
  }

  /**
   * Visits, as positional values in the order of `columns`, the rows whose `column` is one of
   * `values`, in rowid order: through an index whose first column is `column` when there is one
   * (only the pages holding those rows are read, each once), else by a scan.
   */
  async scanColumnsWhereIn(
    tableName: string,
    column: string,
    values: readonly SqlValue[],
    columns: string[],
    visit: (values: SqlValue[], rowid: number) => void,
  ): Promise<void> {
    const table = this.requireTable(tableName);
    const positions = this.positionsOf(table, columns);
    const pick = (rowid: number, record: SqlValue[]): SqlValue[] => positions.map((p) => (p < 0 ? rowid : (record[p] ?? null)));
    const index = this.indexOn(table, column);
    if (index && !table.withoutRowid) {
      const rowids: number[] = [];
      await this.btree.seekIndexMany(index.rootPage, [...new Set(values)].sort(compareValues), (entry) => {
        const rowid = entry[entry.length - 1];
        if (typeof rowid === 'number') rowids.push(rowid);
      });
      const sorted = [...new Set(rowids)].sort((a, b) => a - b);
      await this.btree.findRows(table.rootPage, sorted, (rowid, record) => visit(pick(rowid, record), rowid));
      return;
    }
    const wanted = new Set(values);
    const at = this.positionsOf(table, [column])[0] ?? 0;
    await this.btree.scanTable(table.rootPage, (rowid, record) => {
      if (wanted.has(at < 0 ? rowid : (record[at] ?? null))) visit(pick(rowid, record), rowid);
    });
  }

  async close(): Promise<void> {
    await this.pager.close();
  }

  /** Where each column is in a record; -1 for the rowid alias (stored as NULL, read from the rowid). */
  private positionsOf(table: SqliteTable, columns: string[]): number[] {
    return columns.map((c) => {
      const at = table.columns.findIndex((name) => name.toLowerCase() === c.toLowerCase());
      if (at < 0) throw new SqliteFormatError(this.pager.path, `its table ${table.name} has no column ${c}`);
      return table.rowidColumn === table.columns[at] ? -1 : at;
    });
  }

  private indexOn(table: SqliteTable, column: string): SqliteIndex | undefined {
    return this.indexes.find(
      (i) => i.table.toLowerCase() === table.name.toLowerCase() && i.columns?.[0]?.toLowerCase() === column.toLowerCase(),
    );
  }

  private requireTable(name: string): SqliteTable {
    const table = this.table(name);
    if (!table) throw new SqliteFormatError(this.pager.path, `it has no table named ${name}`);
    return table;
  }

  private toRow(table: SqliteTable, rowid: number, values: SqlValue[]): SqlRow {
    const row: SqlRow = {};
    // Columns added by ALTER TABLE after a row was written are missing from its record: NULL.
    table.columns.forEach((name, i) => {
      row[name] = values[i] ?? null;
    });
    if (table.rowidColumn) row[table.rowidColumn] = rowid;
    return row;
  }

  private async loadSchema(): Promise<void> {
    const tables = new Map<string, SqliteTable & ParsedTable>();
    const indexes: SqliteIndex[] = [];
    await this.btree.scanTable(1, (_rowid, values) => {
      const [type, name, tblName, rootPage, sql] = values;
      if (typeof name !== 'string' || typeof rootPage !== 'number' || rootPage <= 0) return;
      if (type === 'table' && typeof sql === 'string') {
        tables.set(name.toLowerCase(), { name, rootPage, ...parseCreateTable(sql) });
      } else if (type === 'index' && typeof tblName === 'string') {
        indexes.push({ name, table: tblName, rootPage, columns: typeof sql === 'string' ? parseCreateIndex(sql) : undefined });
      }
    });
    // Automatic indexes (PRIMARY KEY / UNIQUE) have no SQL: their columns come from the table's constraint.
    for (const index of indexes) {
      if (index.columns === undefined && index.name.startsWith('sqlite_autoindex_')) {
        // The first automatic index is the primary key's when the table has one that is not the rowid.
        index.columns = index.name.endsWith('_1') ? tables.get(index.table.toLowerCase())?.primaryKey : undefined;
      }
    }
    this.tables = new Map(
      [...tables].map(([k, t]) => [
        k,
        { name: t.name, rootPage: t.rootPage, columns: t.columns, rowidColumn: t.rowidColumn, withoutRowid: t.withoutRowid },
      ]),
    );
    this.indexes = indexes;
  }
}

interface ParsedTable {
  columns: string[];
  rowidColumn?: string;
  primaryKey?: string[];
  withoutRowid: boolean;
}

const CONSTRAINT_WORDS = new Set(['constraint', 'primary', 'unique', 'check', 'foreign']);

/** Column names, the rowid alias and the primary key of a CREATE TABLE statement. */
export function parseCreateTable(sql: string): ParsedTable {
  const open = sql.indexOf('(');
  const close = sql.lastIndexOf(')');
  if (open < 0 || close < open) return { columns: [], withoutRowid: false };
  const withoutRowid = /without\s+rowid/i.test(sql.slice(close));
  const columns: string[] = [];
  const types: string[] = [];
  let rowidColumn: string | undefined;
  let primaryKey: string[] | undefined;
  for (const part of splitTopLevel(sql.slice(open + 1, close))) {
    const tokens = tokenize(part);
    const first = tokens[0];
    if (first === undefined) continue;
    if (CONSTRAINT_WORDS.has(first.toLowerCase()) && !first.startsWith('"')) {
      const pk = /primary\s+key\s*\(([^)]*)\)/i.exec(part);
      if (pk?.[1]) primaryKey = splitTopLevel(pk[1]).map((c) => unquote(tokenize(c)[0] ?? ''));
      continue;
    }
    const name = unquote(first);
    columns.push(name);
    const type = (tokens[1] ?? '').toUpperCase();
    types.push(type);
    if (/\bprimary\s+key\b/i.test(part)) {
      primaryKey = [name];
      if (type === 'INTEGER' && !/\bprimary\s+key\s+desc\b/i.test(part)) rowidColumn = name;
    }
  }
  if (!rowidColumn && primaryKey?.length === 1) {
    const at = columns.findIndex((c) => c.toLowerCase() === primaryKey?.[0]?.toLowerCase());
    if (at >= 0 && types[at] === 'INTEGER') rowidColumn = columns[at];
  }
  if (withoutRowid) rowidColumn = undefined;
  return { columns, rowidColumn, primaryKey: rowidColumn ? undefined : primaryKey, withoutRowid };
}

function parseCreateIndex(sql: string): string[] | undefined {
  const open = sql.indexOf('(');
  const close = sql.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const columns = splitTopLevel(sql.slice(open + 1, close)).map((part) => tokenize(part));
  if (columns.some((tokens) => tokens.length === 0 || (tokens[0] ?? '').includes('('))) return undefined;
  return columns.map((tokens) => unquote(tokens[0] ?? ''));
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === '`' || ch === '[') {
      quote = ch === '[' ? ']' : ch;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      depth--;
    } else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function tokenize(text: string): string[] {
  return text.match(/"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|'(?:[^']|'')*'|[^\s(),]+|\(/g) ?? [];
}

function unquote(token: string): string {
  if (/^".*"$/.test(token)) return token.slice(1, -1).replace(/""/g, '"');
  if (/^`.*`$/.test(token) || /^\[.*\]$/.test(token)) return token.slice(1, -1);
  return token;
}
