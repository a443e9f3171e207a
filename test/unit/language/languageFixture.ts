import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Position } from '../../../src/core/diagnostic';

/** A fresh copy of the wine-quality example (small: no data, no artifacts), for one test. */
export function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-language-'));
  cpSync(join(__dirname, '../../../../examples/wine-quality'), dir, {
    recursive: true,
    filter: (source) => !/[\\/](artifacts|\.dvc|mlruns|__pycache__)$/.test(source),
  });
  return dir;
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

export function write(path: string, text: string): void {
  writeFileSync(path, text);
}

/** The position of the `at`-th character of the first occurrence of `needle` (default: its end). */
export function positionOf(text: string, needle: string, at: number = needle.length): Position {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  const offset = index + at;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}
