import { createReadStream } from 'node:fs';
import type { FileAccess } from '../fileAccess';

/** Longest first line we read before giving up on finding a header. */
const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * The column names in the first line of a CSV file, read by streaming only until the first line
 * break (data files are often gigabytes). Undefined when the file cannot be read.
 */
export async function readCsvHeader(path: string, files?: FileAccess): Promise<string[] | undefined> {
  const line = await readFirstLine(path);
  if (line !== undefined) return splitCsvLine(line);
  // A file that is not on disk may still exist for the caller (an editor buffer, a test double).
  if (files !== undefined && (await files.exists(path))) {
    const text = await files.readText(path);
    if (text !== undefined) return splitCsvLine(text.split(/\r?\n/, 1)[0] ?? '');
  }
  return undefined;
}

function readFirstLine(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      stream.destroy();
      resolve(value);
    };
    stream.on('data', (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = buffer.indexOf(10);
      if (newline >= 0) {
        chunks.push(buffer.subarray(0, newline));
        finish(Buffer.concat(chunks).toString('utf8'));
        return;
      }
      chunks.push(buffer);
      size += buffer.length;
      if (size > MAX_HEADER_BYTES) finish(undefined);
    });
    stream.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', () => finish(undefined));
  });
}

/** Splits one CSV line (RFC 4180 quoting), dropping a byte-order mark and a trailing CR. */
export function splitCsvLine(lineIn: string): string[] {
  const line = lineIn.replace(/^\uFEFF/, '').replace(/\r$/, '');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}
