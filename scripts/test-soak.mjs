// `npm run test:soak`: the fuzzing and fault suites with many more inputs per target than `npm test`
// (MLOPS_SOAK=1 raises the counts). Compiles the tests, builds the server when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env, MLOPS_SOAK: '1' };
function step(cmd, args) {
  console.log(`\n=== ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

step('npx', ['tsc', '-p', 'tsconfig.test.json']);
if (!existsSync('dist/server.js')) step('node', ['scripts/build.mjs']);
step('node', ['--test', '--test-concurrency=1', 'out/test/unit/fuzz/', 'out/test/unit/params/']);
step('node', ['--test', '--test-concurrency=1', 'out/test/tools/faults.test.js', 'out/test/tools/processes.test.js']);
