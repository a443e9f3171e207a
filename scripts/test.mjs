// `npm test`: every tier, in order, with nothing skipped in CI (CI=true turns a missing tool into
// a failure). Prints one closing line: "tests: N passed, M failed".
//   node scripts/test.mjs [--only step,step] [--from step]
import { spawn } from 'node:child_process';

const steps = [
  { name: 'format', cmd: ['npx', 'prettier', '--check', '.'] },
  { name: 'lint', cmd: ['npx', 'eslint', '.'] },
  { name: 'typecheck', cmd: ['npm', 'run', '-s', 'typecheck'] },
  { name: 'build', cmd: ['npm', 'run', '-s', 'build'] },
  { name: 'compile-tests', cmd: ['npm', 'run', '-s', 'compile:tests'] },
  { name: 'unit', cmd: ['node', '--test', '--test-reporter=tap', 'out/test/unit/'], counts: true },
  { name: 'tools', cmd: ['node', '--test', '--test-concurrency=1', '--test-reporter=tap', 'out/test/tools/'], counts: true },
  { name: 'package', cmd: ['npm', 'run', '-s', 'package'] },
  { name: 'vscode', cmd: ['node', 'scripts/test-vscode.mjs'], counts: true },
  { name: 'e2e', cmd: ['node', 'scripts/test-e2e.mjs'], counts: true },
];

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : undefined;
const from = args.includes('--from') ? args[args.indexOf('--from') + 1] : undefined;
let selected = only ? steps.filter((s) => only.includes(s.name)) : steps;
if (from) selected = selected.slice(selected.findIndex((s) => s.name === from));

let passed = 0;
let failed = 0;
const timings = [];
for (const step of selected) {
  const started = Date.now();
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const { code, text } = await run(step.cmd);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${step.name} ${seconds}s`);
  if (step.counts) {
    const c = countResults(text);
    passed += c.passed;
    failed += c.failed;
    if (code !== 0 && c.failed === 0) failed += 1;
  } else if (code !== 0) {
    failed += 1;
  }
  if (code !== 0) {
    console.error(`\n${step.name} failed (exit ${code}) after ${seconds}s`);
    if (process.env.CI === 'true' || !args.includes('--keep-going')) {
      console.log(`\n${timings.join(', ')}`);
      console.log(`tests: ${passed} passed, ${failed} failed`);
      process.exit(1);
    }
  }
}
console.log(`\n${timings.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function run([cmd, ...rest]) {
  return new Promise((resolve) => {
    const child = spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let text = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      text += d.toString();
      if (text.length > 2_000_000) text = text.slice(-1_000_000);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

function countResults(text) {
  let p = 0;
  let f = 0;
  for (const m of text.matchAll(/^# pass (\d+)$/gm)) p += Number(m[1]);
  for (const m of text.matchAll(/^# fail (\d+)$/gm)) f += Number(m[1]);
  for (const m of text.matchAll(/: (\d+) passed, (\d+) failed$/gm)) {
    p += Number(m[1]);
    f += Number(m[2]);
  }
  return { passed: p, failed: f };
}
