// Runs the mocha suite in test/suite inside a real VS Code extension host: code-server (VS Code
// for the browser, Node extension host) driven by headless Chromium through the workbench's
// `payload` parameter — the mechanism VS Code uses for its own browser integration tests.
// Prints "VS Code <version> extension host: N passed, M failed"; fails on M > 0 or N = 0.
//   node scripts/test-vscode.mjs [--grep text] [--suite main|untrusted] [--workspace folder] [--keep]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerBinary, launchChromium, makeProfile, missingDockerTools, repoRoot, startCodeServer } from './lib/codeServer.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const verbose = args.includes('--verbose');

if (!existsSync(join(repoRoot, 'dist', 'extension.js'))) execFileSync('npm', ['run', '-s', 'build'], { cwd: repoRoot, stdio: 'inherit' });
if (!existsSync(join(repoRoot, 'out', 'test', 'suite', 'index.js')))
  execFileSync('npm', ['run', '-s', 'compile:tests'], { cwd: repoRoot, stdio: 'inherit' });

const started = Date.now();
const binary = codeServerBinary();
const docker = option('--suite') === 'untrusted' ? { env: {}, stop: () => {} } : startDocker();
const runs = [];
try {
  // The main suite in a trusted window; then the restricted-mode suite in a window whose folder is
  // not trusted (a separate launch: trust is decided when the window opens).
  if (option('--suite') !== 'untrusted') runs.push(await runSuite({ suite: 'main', trusted: true, env: docker.env }));
  if (!option('--grep') && option('--suite') !== 'main') runs.push(await runSuite({ suite: 'untrusted', trusted: false, env: {} }));
} finally {
  docker.stop();
}
const passed = runs.reduce((n, r) => n + r.passed, 0);
const failed = runs.reduce((n, r) => n + r.failed, 0);
console.log(`VS Code ${runs[0]?.version ?? ''} extension host: ${passed} passed, ${failed} failed`);
console.error(`extension-host tests took ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

async function runSuite({ suite, trusted, env }) {
  // The suite edits files: give it a copy of the example project.
  const workspace = option('--workspace') ?? copyExample();
  const profile = makeProfile(
    trusted
      ? {}
      : {
          'security.workspace.trust.enabled': true,
          'security.workspace.trust.startupPrompt': 'never',
          'security.workspace.trust.emptyWindow': false,
        },
  );
  const resultsFile = join(profile.root, 'results.json');
  const server = await startCodeServer({
    binary,
    profile,
    trust: trusted,
    env: {
      MLOPS_TEST_RESULTS: resultsFile,
      MLOPS_TEST_GREP: option('--grep') ?? '',
      MLOPS_TEST_SUITE: suite,
      DVC_NO_ANALYTICS: '1',
      WINE_QUALITY_MLFLOW: '0',
      PATH: `${join(repoRoot, '.venv', 'bin')}:${process.env.PATH ?? ''}`,
      ...env,
    },
    log: verbose ? (text) => process.stderr.write(text) : undefined,
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const settled = new Promise((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type, logArgs) => {
      const text = (Array.isArray(logArgs) ? logArgs : [logArgs]).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      if (verbose || (/passing|failing|pending|✔|[0-9]+\) |restricted mode:/.test(text) && !/extension host:/.test(text)))
        console.log(text.replace(/%[sd] ?/g, ''));
    });
    const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${path}`;
    const payload = [
      ['extensionDevelopmentPath', remote(repoRoot)],
      ['extensionTestsPath', remote(join(repoRoot, 'out', 'test', 'suite', 'index.js'))],
    ];
    const url = `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 10 * 60_000).unref());
    const outcome = await Promise.race([settled, timeout]);
    if (outcome === 'timeout') console.error(`the ${suite} extension-host tests did not finish within 10 minutes`);
    if (existsSync(resultsFile)) {
      const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
      for (const failure of results.failures) console.error(`\nFAILED: ${failure.title}\n${failure.error}`);
      console.error(`${suite} suite (${trusted ? 'trusted' : 'untrusted'} folder): ${results.passed} passed, ${results.failed} failed`);
      return results;
    }
    console.error(`the extension host wrote no results (exit ${String(outcome)}); code-server said:\n${server.output().slice(-4000)}`);
    return { version: '', passed: 0, failed: 1, failures: [] };
  } finally {
    await browser.close();
    server.stop();
    if (!args.includes('--keep')) rmSync(profile.root, { recursive: true, force: true });
  }
}

// The Images test needs an engine and a registry; the extension host cannot start them itself.
// Only what was not already running is stopped afterwards. A missing Docker fails in CI.
function startDocker() {
  const none = { env: {}, stop: () => {} };
  if (process.env.MLOPS_DOCKER_TESTS === '0') return none;
  const script = join(repoRoot, 'scripts', 'docker-services.sh');
  const missing = missingDockerTools();
  if (missing.length > 0) {
    const message = `the Images tests need ${missing.join(', ')} (apt-get install -y docker.io docker-registry apache2-utils)`;
    if (process.env.CI === 'true') throw new Error(message);
    console.error(`${message}: they are skipped`);
    return none;
  }
  const probe = (...probeArgs) => {
    try {
      execFileSync('bash', [script, ...probeArgs], { stdio: 'ignore', timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  };
  const wasRunning = probe('running');
  const values = Object.fromEntries(
    execFileSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 120_000 })
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return {
    env: { DOCKER_HOST: `unix://${values.DOCKER_SOCKET}`, MLOPS_TEST_REGISTRY: values.REGISTRY_OPEN },
    stop: () => {
      if (!wasRunning) execFileSync('bash', [script, 'stop'], { stdio: 'inherit', timeout: 60_000 });
    },
  };
}

function copyExample() {
  const target = join(mkdtempSync(join(tmpdir(), 'mlops-ws-')), 'wine-quality');
  cpSync(join(repoRoot, 'examples', 'wine-quality'), target, {
    recursive: true,
    // A .venv link left by `npm run demo` is not copied: the project's own one is linked below.
    filter: (source) => !/[\\/](artifacts|mlruns|\.mlops|\.venv|tmp|__pycache__)$|mlflow\.db$|dvc\.lock$/.test(source),
  });
  // The project's Python tools, as a user's project has them in its own .venv.
  if (existsSync(join(repoRoot, '.venv'))) symlinkSync(join(repoRoot, '.venv'), join(target, '.venv'));
  // DVC needs a Git repository (its stages are tracked next to the code).
  const git = (...gitArgs) =>
    execFileSync('git', ['-c', 'user.name=MLOps Tests', '-c', 'user.email=tests@example.invalid', ...gitArgs], {
      cwd: target,
      stdio: 'pipe',
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'wine-quality example');
  return target;
}
