import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface FuzzReport {
  target: string;
  tried: number;
  slowestMs: number;
  /** Inputs that crashed, hung or gave a bad result; each saved to a file named in `how`. */
  failures: Array<{ index: number; how: string; problems: string[]; savedAt: string }>;
}

/**
 * Feeds every input to `target` in a worker thread. Each input must finish within `deadlineMs`;
 * one that does not is a hang: the worker is terminated, the input recorded, and a new worker
 * carries on with the next input. Failing inputs are written to a temporary folder to replay.
 */
export async function fuzzInWorker(
  target: string,
  inputs: ReadonlyArray<{ text: string; how: string }>,
  deadlineMs: number,
): Promise<FuzzReport> {
  const report: FuzzReport = { target, tried: 0, slowestMs: 0, failures: [] };
  const saveDir = join(tmpdir(), 'mlops-fuzz-failures', target);
  const fail = (index: number, problems: string[]): void => {
    const input = inputs[index];
    if (!input || report.failures.length >= 20) return;
    mkdirSync(saveDir, { recursive: true });
    const savedAt = join(saveDir, `input-${index}.txt`);
    writeFileSync(savedAt, input.text);
    report.failures.push({ index, how: input.how, problems: problems.slice(0, 3), savedAt });
  };
  let next = 0;
  while (next < inputs.length) {
    const start = next;
    next = await new Promise<number>((resolve, reject) => {
      // The stack of the editor's own threads (about 1 MB), not a worker's larger default: deep nesting
      // must be measured against the stack the language server really has.
      const worker = new Worker(join(__dirname, 'fuzzWorker.js'), { resourceLimits: { stackSizeMb: 1 } });
      let timer: NodeJS.Timeout | undefined;
      let running = start;
      let settled = false;
      const stop = (resume: number): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        void worker.terminate();
        resolve(resume);
      };
      worker.on('message', (m: { type: string; i: number; ms: number; problems: string[] }) => {
        if (m.type === 'start') {
          running = start + m.i;
          timer = setTimeout(() => {
            fail(running, [`no answer within ${deadlineMs} ms (hang)`]);
            report.tried++;
            stop(running + 1);
          }, deadlineMs);
        } else if (m.type === 'done') {
          if (timer) clearTimeout(timer);
          report.tried++;
          report.slowestMs = Math.max(report.slowestMs, m.ms);
          if (m.ms > deadlineMs) fail(start + m.i, [`took ${Math.round(m.ms)} ms, over the ${deadlineMs} ms deadline`]);
          if (m.problems.length > 0) fail(start + m.i, m.problems);
        } else if (m.type === 'problem') {
          fail(start + m.i, m.problems);
        } else if (m.type === 'finished') {
          stop(inputs.length);
        }
      });
      worker.on('error', (error) => {
        fail(running, [`worker crashed: ${String(error?.stack ?? error)}`]);
        stop(running + 1);
      });
      worker.on('exit', (code) => {
        if (settled) return;
        if (code !== 0) reject(new Error(`the fuzz worker exited with code ${code}`));
        fail(running, ['the worker exited before the input finished']);
        stop(running + 1);
      });
      worker.postMessage({ target, inputs: inputs.slice(start).map((input) => input.text) });
    });
  }
  return report;
}

/** One line per target for the test log, e.g. `# fuzz parseDvcPipeline: 2000 inputs, slowest 41 ms`. */
export function describeReport(report: FuzzReport): string {
  return `# fuzz ${report.target}: ${report.tried} inputs, slowest ${Math.round(report.slowestMs)} ms, ${report.failures.length} failing`;
}
