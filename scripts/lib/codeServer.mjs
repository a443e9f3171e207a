// Starts and stops code-server (a real VS Code served to a browser) for the extension-host tests,
// the UI tests, `npm run vscode:web` and `npm run demo`. code-server is installed once into a cache
// folder by scripts/install-code-server.sh.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the code-server binary, installing it on first use. */
export function codeServerBinary() {
  const out = execFileSync('bash', [join(repoRoot, 'scripts', 'install-code-server.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop();
}

/** The Docker tools the container tests start (an engine, registries, htpasswd) that are not installed. */
export function missingDockerTools() {
  return ['dockerd', 'docker', 'docker-registry', 'htpasswd'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Fresh user-data and extensions folders: settings that keep the workbench quiet and
 * deterministic (no trust prompt, no welcome page, no telemetry).
 */
export function makeProfile(settings = {}) {
  const root = mkdtempSync(join(tmpdir(), 'mlops-vscode-'));
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'update.mode': 'none',
        'git.enabled': false,
        'window.restoreWindows': 'none',
        ...settings,
      },
      null,
      2,
    ),
  );
  return { root, userData, extensions };
}

export function installVsix(binary, profile, vsix) {
  execFileSync(binary, ['--extensions-dir', profile.extensions, '--user-data-dir', profile.userData, '--install-extension', vsix], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Starts code-server on 127.0.0.1 and resolves when the workbench answers. `trust: false` keeps
 * workspace trust on (the folder opens in Restricted Mode).
 */
export async function startCodeServer({ binary, profile, folder, port, trust = true, env = {}, log = () => {} }) {
  port ??= await freePort();
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    profile.userData,
    '--extensions-dir',
    profile.extensions,
  ];
  if (trust) args.push('--disable-workspace-trust');
  if (folder) args.push(folder);
  const child = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached: true,
  });
  let output = '';
  const collect = (data) => {
    output += data.toString();
    log(data.toString());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}) before it was ready:\n${output}`);
    try {
      const response = await fetch(`${url}healthz`);
      if (response.ok) {
        return {
          url,
          port,
          child,
          output: () => output,
          stop: () => stopProcessTree(child),
        };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopProcessTree(child);
  throw new Error(`code-server did not answer on ${url} within 60 s:\n${output}`);
}

/** Kills code-server and everything it started (extension hosts, language servers). */
export function stopProcessTree(child) {
  if (child.exitCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 3000).unref();
}

/** Launches Debian's Chromium through playwright-core. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
