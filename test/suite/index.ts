// Entry point VS Code calls in the extension host (`extensionTestsPath`): runs every
// `*.test.js` beside this file with mocha, prints one summary line, and writes the results to the
// file named by MLOPS_TEST_RESULTS so the launcher can read them whatever the host does with logs.
import { writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export interface SuiteResults {
  version: string;
  passed: number;
  failed: number;
  failures: { title: string; error: string }[];
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const filter = process.env.MLOPS_TEST_GREP;
  if (filter) mocha.grep(filter);
  // The restricted-mode suite runs in a window whose folder is not trusted (a second launch).
  const dir = process.env.MLOPS_TEST_SUITE === 'untrusted' ? join(__dirname, 'untrusted') : __dirname;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort()) {
    mocha.addFile(join(dir, file));
  }
  return new Promise((resolve, reject) => {
    const results: SuiteResults = { version: vscode.version, passed: 0, failed: 0, failures: [] };
    const runner = mocha.run(() => {
      const line = `VS Code ${vscode.version} extension host: ${results.passed} passed, ${results.failed} failed`;
      console.log(line);
      if (process.env.MLOPS_TEST_RESULTS) writeFileSync(process.env.MLOPS_TEST_RESULTS, JSON.stringify(results, null, 2));
      if (results.failed > 0 || results.passed === 0) reject(new Error(line));
      else resolve();
    });
    runner.on('pass', () => results.passed++);
    runner.on('fail', (test, error: Error) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), error: String(error?.stack ?? error) });
    });
  });
}
