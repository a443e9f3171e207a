// `npm run test:electron`: the same mocha suite as scripts/test-vscode.mjs, in a desktop VS Code
// downloaded by @vscode/test-electron (for machines and CI runners with internet access; under
// Linux CI it needs a display, e.g. xvfb-run).
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const workspace = join(mkdtempSync(join(tmpdir(), 'mlops-electron-')), 'wine-quality');
  cpSync(join(root, 'examples', 'wine-quality'), workspace, { recursive: true });
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'suite', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: { DVC_NO_ANALYTICS: '1' },
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
