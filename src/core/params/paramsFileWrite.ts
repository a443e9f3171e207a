import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setParamValues, type ParamEdit } from './editParams';

/** What a params file held when it was read; a write is refused if the disk no longer matches it. */
export interface ParamsFileSnapshot {
  path: string;
  text: string;
  mtimeMs: number;
  size: number;
}

export type ParamsWriteResult = { written: true } | { error: string };

export async function readParamsFile(path: string): Promise<ParamsFileSnapshot> {
  const real = await fs.realpath(path);
  const text = await fs.readFile(real, 'utf8');
  const stat = await fs.stat(real);
  return { path: real, text, mtimeMs: stat.mtimeMs, size: stat.size };
}

/**
 * Replaces a params file with `newText` so that a reader (DVC, a training script, the editor) sees
 * either the old file or the new one, never half of it: the text goes to a temporary file in the
 * same folder, is flushed to disk, and is renamed over the original. Refuses, without touching the
 * file, when it changed on disk after `snapshot` was read. A symbolic link is followed, not replaced.
 */
export async function writeParamsFile(snapshot: ParamsFileSnapshot, newText: string): Promise<ParamsWriteResult> {
  const target = snapshot.path;
  const name = basename(target);
  const changed = await changedSince(snapshot);
  if (changed) return { error: changed };
  let mode: number | undefined;
  try {
    mode = (await fs.stat(target)).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const temp = join(dirname(target), `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx', mode ?? 0o644);
    await handle.writeFile(newText, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    // Checked again right before the rename: an editor may have saved while we were writing.
    const changedNow = await changedSince(snapshot);
    if (changedNow) {
      await fs.rm(temp, { force: true });
      return { error: changedNow };
    }
    await fs.rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission was denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : (code ?? 'an error occurred');
    return { error: `${name} was not changed because ${why} while writing it; check the folder and try again.` };
  }
  await syncFolder(dirname(target));
  return { written: true };
}

/** Reads a params file, sets the values and writes it back atomically; nothing is written on any error. */
export async function editParamsFile(path: string, edits: readonly ParamEdit[]): Promise<ParamsWriteResult> {
  let snapshot: ParamsFileSnapshot;
  try {
    snapshot = await readParamsFile(path);
  } catch {
    return { error: `${basename(path)} could not be read; check that it exists and is readable.` };
  }
  const result = setParamValues(snapshot.text, edits);
  if ('error' in result) return result;
  if (result.text === snapshot.text) return { written: true };
  return writeParamsFile(snapshot, result.text);
}

async function changedSince(snapshot: ParamsFileSnapshot): Promise<string | undefined> {
  const name = basename(snapshot.path);
  const message = `${name} changed on disk after it was read; nothing was written, so reopen it and set the values again.`;
  try {
    const stat = await fs.stat(snapshot.path);
    if (stat.size !== snapshot.size || stat.mtimeMs !== snapshot.mtimeMs) return message;
    // Same size and time can still hide a change made within the clock's resolution.
    const text = await fs.readFile(snapshot.path, 'utf8');
    return text === snapshot.text ? undefined : message;
  } catch {
    return `${name} was deleted or moved after it was read; nothing was written.`;
  }
}

async function syncFolder(folder: string): Promise<void> {
  // Makes the rename itself durable; not every platform can open a folder, which is fine.
  try {
    const handle = await fs.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    /* best effort */
  }
}
