// Serves a folder in VS Code for the browser (code-server on 127.0.0.1) with the freshly packaged
// extension installed, and prints "ready: <url>" when the workbench answers. Ctrl+C stops it.
//   npm run vscode:web -- [folder] [--port N] [--no-package]
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { codeServerBinary, installVsix, makeProfile, repoRoot, startCodeServer } from './lib/codeServer.mjs';

const args = process.argv.slice(2);
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : undefined;
const folder = resolve(
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--port') ?? resolve(repoRoot, 'examples', 'wine-quality'),
);

if (!args.includes('--no-package')) execFileSync('npm', ['run', '-s', 'package'], { cwd: repoRoot, stdio: 'inherit' });
const binary = codeServerBinary();
const profile = makeProfile();
installVsix(binary, profile, resolve(repoRoot, 'out', 'mlops-workbench.vsix'));
const server = await startCodeServer({
  binary,
  profile,
  folder,
  port: portArg,
  env: { PATH: `${resolve(repoRoot, '.venv', 'bin')}:${process.env.PATH ?? ''}`, DVC_NO_ANALYTICS: '1' },
});
console.log(`ready: ${server.url}`);
console.log(`serving ${folder} with MLOps Workbench; press Ctrl+C to stop`);
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', (code) => {
  console.error(`code-server stopped (${code})`);
  process.exit(code ?? 1);
});
