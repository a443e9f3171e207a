import { posix } from 'node:path';

/**
 * `.dockerignore` exactly as the Docker CLI reads and applies it (docker/cli `dockerignore.ReadAll`,
 * moby `fileutils.PatternMatcher`, and the walk of `archive.TarWithOptions`), including its quirks:
 * the last matching pattern wins, a pattern also matches a file when it matches the file's parent
 * folder of the same depth, `**` spans any number of folders, and an excluded folder is only walked
 * into when a `!` pattern names something below it literally.
 */
export interface IgnorePattern {
  /** The cleaned pattern without its leading `!`. */
  text: string;
  exclusion: boolean;
  regex: RegExp;
  dirs: number;
}

/** Reads `.dockerignore` text into patterns, as `docker build` does. */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** Go's `filepath.Clean` for slash paths. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const cleaned = posix.normalize(path);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

export class DockerignoreError extends Error {}

function compile(text: string): RegExp {
  let re = '^';
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        re += escapeRegex(next);
        i++;
      } else {
        re += '\\\\';
      }
    } else if (ch === '[') {
      // Docker hands a character class to the regexp engine unchanged (so "[!a]" is a class of
      // "!" and "a" there, unlike Go's filepath.Match); the same happens here.
      const close = chars.indexOf(']', i + 2);
      if (close < 0) throw new DockerignoreError(`syntax error in pattern: ${text}`);
      re += `[${chars.slice(i + 1, close).join('')}]`;
      i = close;
    } else {
      re += escapeRegex(ch);
    }
  }
  try {
    return new RegExp(`${re}$`, 'u');
  } catch {
    throw new DockerignoreError(`syntax error in pattern: ${text}`);
  }
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/** The matcher over cleaned patterns; `matches(path)` says whether a context path is excluded. */
export class PatternMatcher {
  readonly patterns: IgnorePattern[];

  constructor(patterns: string[]) {
    this.patterns = [];
    for (const raw of patterns) {
      let text = raw.trim();
      if (text === '') continue;
      text = cleanPath(text);
      const exclusion = text.startsWith('!');
      if (exclusion) {
        if (text.length === 1) throw new DockerignoreError('illegal exclusion pattern: "!"');
        text = text.slice(1);
      }
      this.patterns.push({ text, exclusion, regex: compile(text), dirs: text.split('/').length });
    }
  }

  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** `path` is slash-separated and relative to the context root. */
  matches(path: string): boolean {
    let matched = false;
    const parent = posix.dirname(path);
    const parentDirs = parent.split('/');
    for (const pattern of this.patterns) {
      let match = pattern.regex.test(path);
      if (!match && parent !== '.' && pattern.dirs <= parentDirs.length) {
        match = pattern.regex.test(parentDirs.slice(0, pattern.dirs).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /** For an excluded folder: whether the walk must still enter it (a `!` pattern lies below it). */
  mustWalkExcludedDir(dir: string): boolean {
    if (!this.hasExclusions) return false;
    const prefix = `${dir}/`;
    return this.patterns.some((p) => p.exclusion && `${p.text}/`.startsWith(prefix));
  }
}

/**
 * The patterns the CLI sends with: when `.dockerignore` or the Dockerfile are excluded, they are
 * still sent (the engine reads them, then removes them from the context).
 */
export function patternsForBuild(patterns: string[], dockerfile: string): string[] {
  const result = [...patterns];
  if (new PatternMatcher(result).matches('.dockerignore')) result.push('!.dockerignore');
  const file = dockerfile.replace(/\\/g, '/');
  if (new PatternMatcher(result).matches(file)) result.push(`!${file}`);
  return result;
}
