import { parentPort } from 'node:worker_threads';
import { FUZZ_TARGETS } from './fuzzTargets';

/**
 * Runs fuzz inputs away from the test's own thread, so an input that makes a parser loop forever
 * (which would also stop the test's timers) can be detected and the worker terminated.
 * Messages: in `{ target, inputs }`; out `{ type: 'start', i }`, `{ type: 'done', i, ms, problems }`, `{ type: 'problem', i, problems }`,
 * `{ type: 'finished' }`.
 */
const port = parentPort;
if (!port) throw new Error('fuzzWorker runs as a worker thread');

let current = -1;
process.on('unhandledRejection', (reason) => {
  port.postMessage({
    type: 'problem',
    i: current,
    ms: 0,
    problems: [`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`],
  });
});

port.on('message', (message: { target: string; inputs: string[] }) => {
  void (async () => {
    const target = FUZZ_TARGETS[message.target];
    if (!target) throw new Error(`unknown fuzz target ${message.target}`);
    for (let i = 0; i < message.inputs.length; i++) {
      current = i;
      port.postMessage({ type: 'start', i });
      const started = performance.now();
      let problems: string[];
      try {
        problems = await target(message.inputs[i] as string);
      } catch (error) {
        problems = [`threw: ${String((error as Error)?.stack ?? error)}`];
      }
      // A turn of the event loop, so a rejection nobody handled is blamed on this input.
      await new Promise((resolve) => setImmediate(resolve));
      port.postMessage({ type: 'done', i, ms: performance.now() - started, problems });
    }
    port.postMessage({ type: 'finished' });
  })();
});
