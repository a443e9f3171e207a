// Relative README links are kept as they are (the .vsix carries media/ itself).
// Builds for production and packages the extension as out/mlops-workbench.vsix (bundled, so no
// node_modules inside), then checks the size budget.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';

const target = 'out/mlops-workbench.vsix';
const budget = 3 * 1024 * 1024;
mkdirSync('out', { recursive: true });
execFileSync(
  process.execPath,
  [
    'node_modules/@vscode/vsce/vsce',
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--no-rewrite-relative-links',
    '--skip-license',
    '-o',
    target,
  ],
  { stdio: 'inherit' },
);
const size = statSync(target).size;
console.log(`${target}: ${(size / 1024).toFixed(0)} KiB (budget ${budget / 1024} KiB)`);
if (size > budget) {
  console.error(`the .vsix is over its ${budget / 1024 / 1024} MiB budget`);
  process.exit(1);
}
