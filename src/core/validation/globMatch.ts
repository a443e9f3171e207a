import { dirname, isAbsolute, relative, resolve } from 'node:path';

/** `*` within a path segment, `**` across segments, `?` one character; `/` on every platform. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Finds the value of the first setting entry whose glob matches a file. A glob matches the path
 * relative to `root` (the workspace folder), the absolute path, or — without a slash — the file
 * name. Relative values are resolved against `root` (else the file's folder).
 */
export function lookupByGlob(map: Record<string, string> | undefined, file: string, root: string | undefined): string | undefined {
  if (map === undefined) return undefined;
  const slash = (p: string): string => p.split('\\').join('/');
  const abs = slash(file);
  const rel = root === undefined ? undefined : slash(relative(root, file));
  const name = abs.slice(abs.lastIndexOf('/') + 1);
  for (const [glob, value] of Object.entries(map)) {
    const re = globToRegExp(slash(glob));
    const matches = re.test(abs) || (rel !== undefined && re.test(rel)) || (!glob.includes('/') && re.test(name));
    if (matches) return isAbsolute(value) ? value : resolve(root ?? dirname(file), value);
  }
  return undefined;
}
