import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

/** The repository root (tests run from out/test/..., sources live in test/...). */
export const repoRoot = resolve(__dirname, '..', '..', existsSync(resolve(__dirname, '..', '..', 'package.json')) ? '' : '..');

/** Where a tool is: the project's .venv first (made by `npm run setup:python`), then PATH. */
export function toolPath(name: string): string | undefined {
  const venv = join(repoRoot, '.venv', 'bin', name);
  if (existsSync(venv)) return venv;
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found.length > 0 ? found : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the tool's path, or skips the test with what to run to get it. In CI (CI=true) a
 * missing tool is a failure, never a silent skip.
 */
export function requireTool(t: TestContext, name: string, install = 'npm run setup:python'): string | undefined {
  const path = toolPath(name);
  if (path) return path;
  if (process.env.CI === 'true') throw new Error(`${name} is not installed, and CI runs every test (install it with: ${install})`);
  t.skip(`${name} is not installed: ${install}`);
  return undefined;
}

/** Polls until `check` returns a value other than undefined, or fails after the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
