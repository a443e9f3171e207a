import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './tools';

/**
 * A fresh copy of examples/wine-quality in a temporary folder, made a Git repository with one
 * commit (DVC experiments and Git-history runs need one). Run outputs of the original are left out.
 */
export function copyExampleProject(options: { git?: boolean } = {}): string {
  const target = join(mkdtempSync(join(tmpdir(), 'mlops-example-')), 'wine-quality');
  cpSync(join(repoRoot, 'examples', 'wine-quality'), target, {
    recursive: true,
    filter: (source) => !/[\\/](artifacts|mlruns|\.mlops|tmp|__pycache__)$|mlflow\.db$|dvc\.lock$|metrics\.json$/.test(source),
  });
  if (options.git !== false) {
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'user.name=MLOps Tests', '-c', 'user.email=tests@example.invalid', ...args], {
        cwd: target,
        stdio: 'pipe',
      });
    };
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'wine-quality example');
  }
  return target;
}

/** Environment for running the example's Python code and DVC: the project's .venv on PATH. */
export function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const venvBin = join(repoRoot, '.venv', 'bin');
  return {
    ...process.env,
    PATH: `${venvBin}:${process.env.PATH ?? ''}`,
    DVC_NO_ANALYTICS: '1',
    ...extra,
  };
}
