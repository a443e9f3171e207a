/**
 * Build-context packing and upload: our streamed tar through the Engine API (`POST /build`) against
 * `docker build` with the classic builder (DOCKER_BUILDKIT=0), so both send a tar of the same
 * context to the same engine endpoint and the engine does the same work with it. The context is
 * random files of 1–8 MB in `keep/` and `drop/`, with a `.dockerignore` that excludes `drop/`; the
 * Dockerfile is `FROM scratch` + `COPY keep/ /keep/`, so nothing is pulled.
 *
 * Each tool builds MLOPS_BENCH_ROUNDS times (default 3) per mode, alternating, after one warm-up
 * build that fills the page cache and the layer cache; the medians are compared (best times too):
 *   cached   — the COPY layer is a cache hit: the time is the context upload plus the engine's
 *              checksum of the copied files;
 *   no-cache — the layer is written again as well.
 *
 *   npx esbuild bench/buildContext.bench.ts --bundle --platform=node --external:cpu-features \
 *     --external:./crypto/build/Release/sshcrypto.node --outfile=out/bench/buildContext.bench.js
 *   MLOPS_BENCH_MB=1024 node out/bench/buildContext.bench.js
 * MLOPS_BENCH_MB sets the whole context size in MB (default 1024); DOCKER_CLI the docker binary.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine, defaultEngineEnvironment, pingEngine, resolveEngine } from '../src/core/docker/engineConnection';
import { buildImage } from '../src/core/docker/imageBuild';

const TOTAL_MB = Number(process.env.MLOPS_BENCH_MB ?? 1024);
const ROUNDS = Number(process.env.MLOPS_BENCH_ROUNDS ?? 3);
const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'scripts', 'docker-services.sh');
const cli = process.env.DOCKER_CLI ?? ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p)) ?? 'docker';

function makeContext(root: string): { files: number; keptBytes: number } {
  let files = 0;
  let keptBytes = 0;
  for (const half of ['keep', 'drop']) {
    mkdirSync(join(root, half, 'a'), { recursive: true });
    mkdirSync(join(root, half, 'b'), { recursive: true });
    let left = (TOTAL_MB / 2) * (1 << 20);
    for (let i = 0; left > 0; i++) {
      const size = Math.min(left, (1 + Math.floor(Math.random() * 8)) << 20);
      writeFileSync(join(root, half, i % 2 === 0 ? 'a' : 'b', `part-${String(i).padStart(4, '0')}.bin`), randomBytes(size));
      left -= size;
      files++;
      if (half === 'keep') keptBytes += size;
    }
  }
  writeFileSync(join(root, '.dockerignore'), 'drop/\n');
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\nCOPY keep/ /keep/\n');
  return { files, keptBytes };
}

function run(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${binary} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

async function main(): Promise<void> {
  const wasRunning = (() => {
    try {
      execFileSync('bash', [script, 'running'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const services = Object.fromEntries(
    execFileSync('bash', [script, 'start'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const host = `unix://${services.DOCKER_SOCKET}`;
  const endpoint = resolveEngine(defaultEngineEnvironment({ host }));
  const docker = connectEngine(endpoint);
  await pingEngine(docker, endpoint.where);
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-context-'));
  const tags = new Set<string>();
  try {
    const started = Date.now();
    const { files, keptBytes } = makeContext(dir);
    console.log(
      `context: ${TOTAL_MB} MB in ${files} files, ${(keptBytes / (1 << 20)).toFixed(0)} MB kept by .dockerignore (made in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    const server = (await docker.version()) as { Version: string };
    const client = execFileSync(cli, ['--version'], { encoding: 'utf8' }).trim();
    console.log(`engine ${server.Version} at ${host}; reference: ${cli} (${client}) with DOCKER_BUILDKIT=0`);

    const ours = async (tag: string, noCache: boolean): Promise<{ total: number; upload: number }> => {
      tags.add(tag);
      const t0 = process.hrtime.bigint();
      let uploadEnd = t0;
      const result = await buildImage(
        docker,
        endpoint.where,
        { context: dir, dockerfile: join(dir, 'Dockerfile'), tags: [tag], noCache },
        { upload: () => (uploadEnd = process.hrtime.bigint()) },
      );
      const total = Number(process.hrtime.bigint() - t0) / 1e9;
      if (result.context.bytes < keptBytes) throw new Error(`only ${result.context.bytes} of ${keptBytes} bytes were sent`);
      return { total, upload: Number(uploadEnd - t0) / 1e9 };
    };
    const theirs = async (tag: string, noCache: boolean): Promise<number> => {
      tags.add(tag);
      const t0 = process.hrtime.bigint();
      await run(cli, ['-H', host, 'build', '-q', ...(noCache ? ['--no-cache'] : []), '-t', tag, dir], { DOCKER_BUILDKIT: '0' });
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };

    // Warm-up: page cache for the files, layer cache for the cached mode.
    await ours('mlops-bench:warm', false);
    await theirs('mlops-bench:warm-cli', false);

    for (const noCache of [false, true]) {
      const mode = noCache ? 'no-cache' : 'cached';
      const oursTimes: number[] = [];
      const uploads: number[] = [];
      const cliTimes: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const a = await ours(`mlops-bench:ours-${mode}-${round}`, noCache);
        oursTimes.push(a.total);
        uploads.push(a.upload);
        cliTimes.push(await theirs(`mlops-bench:cli-${mode}-${round}`, noCache));
      }
      const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
      const best = (xs: number[]): number => Math.min(...xs);
      const line =
        `${mode.padEnd(8)}  median: ours ${median(oursTimes).toFixed(2)} s (context sent in ${median(uploads).toFixed(2)} s)` +
        `, docker build ${median(cliTimes).toFixed(2)} s, ratio ${(median(oursTimes) / median(cliTimes)).toFixed(2)}×` +
        `; best: ratio ${(best(oursTimes) / best(cliTimes)).toFixed(2)}×` +
        `  [ours ${oursTimes.map((t) => t.toFixed(2)).join(', ')}; docker ${cliTimes.map((t) => t.toFixed(2)).join(', ')}]`;
      console.log(line);
    }
  } finally {
    for (const tag of tags)
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (!wasRunning) execFileSync('bash', [script, 'stop'], { stdio: 'inherit' });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
