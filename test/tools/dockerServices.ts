import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot, requireTool } from '../support/tools';

/** The engine and loopback registries the container tests use, from scripts/docker-services.sh. */
export interface DockerServices {
  socket: string;
  openRegistry: string;
  authRegistry: string;
  user: string;
  password: string;
}

const script = join(repoRoot, 'scripts', 'docker-services.sh');

/** Starts the services (idempotent); undefined when the tools are missing locally (skipped). */
export function startDockerServices(t: TestContext): DockerServices | undefined {
  const install = 'apt-get install -y docker.io docker-registry apache2-utils';
  for (const tool of ['dockerd', 'docker', 'docker-registry', 'htpasswd']) {
    if (!requireTool(t, tool, install)) return undefined;
  }
  const text = execFileSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 60_000 });
  const values = new Map(text.split('\n').map((line) => line.split('=', 2) as [string, string]));
  return {
    socket: values.get('DOCKER_SOCKET') ?? '/var/run/docker.sock',
    openRegistry: values.get('REGISTRY_OPEN') ?? '',
    authRegistry: values.get('REGISTRY_AUTH') ?? '',
    user: values.get('REGISTRY_USER') ?? '',
    password: values.get('REGISTRY_PASSWORD') ?? '',
  };
}

/** Stops what the script started (nothing that was already running before). */
export function stopDockerServices(): void {
  execFileSync('bash', [script, 'stop'], { encoding: 'utf8', timeout: 60_000 });
}

/** Runs the docker CLI (the reference the tests compare with); resolves with stdout. */
export function dockerCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'docker',
      args,
      { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`docker ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The files inside an image, as `docker export | tar -t` lists them (sorted, folders without "/"). */
export async function imageFiles(image: string): Promise<string[]> {
  const id = (await dockerCli(['create', image, '/nothing'])).trim();
  try {
    const listing = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-c', `docker export ${id} | tar -t`], { encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    return listing
      .split('\n')
      .map((l) => l.replace(/\/$/, ''))
      .filter((l) => l.length > 0 && !/^(\.dockerenv|dev|etc|proc|sys)(\/|$)/.test(l))
      .sort();
  } finally {
    await dockerCli(['rm', '-f', id]);
  }
}
