// Builds each bench/*.bench.ts with esbuild and runs them one after another, or only those named
// (`npm run bench -- runsList compare`), then prints each benchmark's SUMMARY line again at the end.
// The `mlops` CLI is built first because some benchmarks time it as a user runs it.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const all = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
// Names come first; everything from the first option on is passed to each benchmark.
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('-'));
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const passThrough = firstOption < 0 ? [] : args.slice(firstOption);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`No benchmark named ${unknown.join(', ')}; there are: ${all.join(', ')}.`);
  process.exit(2);
}
const chosen = wanted.length > 0 ? wanted : all;

await new Promise((resolve, reject) => {
  const build = spawn(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the build failed (exit ${code})`))));
});
await esbuild.build({
  entryPoints: chosen.map((name) => join('bench', `${name}.bench.ts`)),
  outdir: join('out', 'bench'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  // playwright-core (the browser benchmark's driver) and esbuild load files of their own at run time.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node', 'playwright-core', 'esbuild'],
});

const summaries = [];
let failed = 0;
for (const name of chosen) {
  console.log(`\n== ${name}`);
  const lines = [];
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join('out', 'bench', `${name}.bench.js`), ...passThrough], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let rest = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
    });
    child.on('exit', (exitCode) => {
      if (rest) lines.push(rest);
      resolve(exitCode ?? 1);
    });
  });
  const summary = lines.filter((l) => l.startsWith('SUMMARY'));
  summaries.push(...(summary.length > 0 ? summary : [`SUMMARY ${name}: ${lines.at(-1) ?? '(no output)'}`]));
  if (code !== 0) {
    failed++;
    summaries.push(`  ${name} exited with ${code}`);
  }
}
console.log('\n== summary');
for (const line of summaries) console.log(line);
process.exitCode = failed > 0 ? 1 : 0;
