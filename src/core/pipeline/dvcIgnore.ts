import { promises as fs } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * `.dvcignore` files (gitignore syntax) as DVC applies them when it hashes a directory: every
 * `.dvcignore` from the repository root down applies to the paths below its folder, the last
 * matching pattern wins, and `.git`, `.hg` and `.dvc` are always ignored.
 */
interface IgnorePattern {
  regex: RegExp;
  negated: boolean;
  directoryOnly: boolean;
}

const DEFAULT_PATTERNS = ['.hg/', '.git/', '.git', '.dvc/'];

export function parseIgnorePatterns(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negated = false;
    if (line.startsWith('!')) {
      negated = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let directoryOnly = false;
    if (line.endsWith('/')) {
      directoryOnly = true;
      line = line.slice(0, -1);
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    patterns.push({ regex, negated, directoryOnly });
  }
  return patterns;
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length || glob[i + 2] === '/';
        if (atStart && atEnd) {
          // `**/` matches any number of folders, a trailing `/**` everything inside.
          if (i + 2 === glob.length) out += '.*';
          else {
            out += '(?:.*/)?';
            i++;
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (ch === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[++i] ?? '');
    } else {
      out += escapeRegex(ch);
    }
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Decides what DVC leaves out of directory hashes in one repository. */
export class DvcIgnore {
  private readonly cache = new Map<string, Promise<IgnorePattern[]>>();
  private readonly defaults = DEFAULT_PATTERNS.flatMap((p) => parseIgnorePatterns(p));

  constructor(readonly root: string) {}

  private patternsOf(dir: string): Promise<IgnorePattern[]> {
    let found = this.cache.get(dir);
    if (!found) {
      found = fs.readFile(join(dir, '.dvcignore'), 'utf8').then(parseIgnorePatterns, () => []);
      this.cache.set(dir, found);
    }
    return found;
  }

  /** Whether an absolute path under the root is ignored (its folders are checked first by the caller's walk). */
  async isIgnored(path: string, isDirectory: boolean): Promise<boolean> {
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..')) return false;
    let ignored = match(this.defaults, rel.split(sep).join('/'), isDirectory);
    const dirs: string[] = [];
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      dirs.unshift(dir);
      if (dir === this.root || dirname(dir) === dir) break;
    }
    for (const dir of dirs) {
      const patterns = await this.patternsOf(dir);
      if (patterns.length === 0) continue;
      const result = match(patterns, relative(dir, path).split(sep).join('/'), isDirectory);
      if (result !== undefined) ignored = result;
    }
    return ignored === true;
  }
}

function match(patterns: IgnorePattern[], rel: string, isDirectory: boolean): boolean | undefined {
  let result: boolean | undefined;
  for (const pattern of patterns) {
    if (pattern.directoryOnly && !isDirectory) continue;
    if (pattern.regex.test(rel)) result = !pattern.negated;
  }
  return result;
}
