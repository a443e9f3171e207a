// `npm run demo`: builds and packages the extension, prepares the example project's Python tools
// (DVC, MLflow, scikit-learn in .venv), and opens examples/wine-quality in VS Code with the
// extension installed: the desktop `code` command when there is one, else VS Code for the browser
// (code-server) on 127.0.0.1, printing the address to open.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const example = resolve(root, 'examples', 'wine-quality');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

run('npm', ['run', '-s', 'package']);
try {
  run('bash', ['scripts/setup-python.sh']);
  // The example finds DVC, MLflow and scikit-learn in its own .venv, as a user's project would.
  const venv = resolve(example, '.venv');
  if (!existsSync(venv)) symlinkSync(resolve(root, '.venv'), venv);
} catch {
  console.warn('Python tools could not be installed into .venv; the views still work, running stages needs DVC (npm run setup:python).');
}
const desktop = process.env.MLOPS_DEMO_WEB ? undefined : spawnSync('code', ['--version'], { encoding: 'utf8' });
if (desktop && desktop.status === 0) {
  run('code', ['--install-extension', resolve(root, 'out', 'mlops-workbench.vsix'), '--force']);
  run('code', ['--new-window', example]);
  console.log(`opened ${example} in VS Code ${desktop.stdout.split('\n')[0]} with MLOps Workbench installed`);
} else {
  const args = ['scripts/vscode-web.mjs', example, '--no-package', ...process.argv.slice(2)];
  execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
}
