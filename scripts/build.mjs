// Bundles each entry point into one file with esbuild: the extension, the language server, the
// `mlops` CLI and the compare-panel webview. `--production` minifies; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // Optional native add-ons of dockerode's ssh transport: absent is fine, it falls back to JS.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
};

const builds = [
  { ...node, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/server/server.ts'], outfile: 'dist/server.js' },
  {
    ...node,
    entryPoints: ['src/cli/cli.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  },
];

const webviewEntries = existsSync('webview/src')
  ? readdirSync('webview/src').filter((f) => /^[a-zA-Z]+\.ts$/.test(f) && f !== 'protocol.ts')
  : [];
if (webviewEntries.length > 0) {
  builds.push({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: webviewEntries.map((f) => join('webview/src', f)),
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
  });
}

mkdirSync('dist', { recursive: true });
// VS Code's icon font for the panel's buttons, served beside the bundle (the CSP allows fonts and
// styles from the webview's own origin only).
mkdirSync('dist/webview', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf'])
  copyFileSync(join('node_modules/@vscode/codicons/dist', file), join('dist/webview', file));
if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log('watching for changes…');
} else {
  const started = Date.now();
  await Promise.all(builds.map((options) => esbuild.build(options)));
  chmodSync('dist/cli.js', 0o755);
  console.log(`built ${builds.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
