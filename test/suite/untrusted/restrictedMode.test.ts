import * as assert from 'node:assert/strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object, not an import wrapper
import childProcess = require('node:child_process');
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID, waitFor, workspaceRoot } from '../helpers';

type Spawned = { fn: string; what: string };

/**
 * Records every process start through node:child_process while the tests run. The extension's
 * bundle calls these functions through the module object, so the patch sees its calls (and those
 * of simple-git and the language client).
 */
function recordProcesses(ownCode: string): { spawned: Spawned[]; restore(): void } {
  const spawned: Spawned[] = [];
  const names = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;
  const module = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  for (const name of names) {
    const original = module[name];
    if (!original) continue;
    originals.set(name, original);
    try {
      module[name] = function (this: unknown, ...args: unknown[]) {
        // Only starts from this extension's code count (VS Code itself polls `ps` for port forwarding).
        const stack = new Error().stack ?? '';
        if (stack.includes(ownCode)) {
          spawned.push({ fn: name, what: [args[0], ...(Array.isArray(args[1]) ? (args[1] as unknown[]) : [])].map(String).join(' ') });
        }
        return original.apply(this, args);
      };
    } catch {
      // A non-writable export cannot be watched this way; the process table check still covers it.
    }
  }
  return {
    spawned,
    restore: () => {
      for (const [name, original] of originals) {
        try {
          module[name] = original;
        } catch {
          // never patched
        }
      }
    },
  };
}

/** Child processes of the extension host working in the workspace (pid → command line), from /proc. */
function children(workspace: string): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readlinkSync(`/proc/${entry}/cwd`).startsWith(workspace))
        found.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

const isLanguageServer = (what: string): boolean => /dist[\\/]server\.js/.test(what);
/**
 * VS Code's own programs (its ripgrep-based file search, the JSON language server of a built-in
 * extension): started by the editor, whichever extension asked; our own starts are caught above.
 */
const vscodeRoot = vscode.env.appRoot;
const isBuiltIn = (what: string): boolean => what.includes(vscodeRoot);

describe('Restricted mode (untrusted workspace)', () => {
  it('runs in a window whose folder is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('starts no process while every command and view is exercised, and still validates', async function () {
    this.timeout(180_000);
    const api = await activateExtension<{
      pipelines: {
        getRoots(): Promise<unknown[]>;
        getChildren(n?: unknown): Promise<unknown[]>;
        getTreeItem(n: unknown): vscode.TreeItem;
        stages(): Promise<unknown[]>;
      };
      runs: { getRoots(): Promise<unknown[]>; refresh(): void };
    }>();
    const root = workspaceRoot().fsPath;
    const before = children(root);
    const recorder = recordProcesses(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist'));
    const seen = new Map<number, string>();
    const poll = setInterval(() => {
      for (const [pid, cmd] of children(root)) if (!before.has(pid)) seen.set(pid, cmd);
    }, 20);
    try {
      // The views still show the pipeline, its status from files, and the runs stores read in-process.
      const stageRows = await api.pipelines.stages();
      assert.equal(stageRows.length, 5, 'the Pipelines view lists the five stages');
      api.runs.refresh();
      await api.runs.getRoots();

      // Every contributed command, with the arguments the views would pass where we have them.
      const stageNode = (await api.pipelines.getChildren((await api.pipelines.getRoots())[0])).find(
        (n) => api.pipelines.getTreeItem(n).contextValue === 'stage',
      );
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: { command: string }[] } };
      const skip = new Set(['mlops.openExample', 'mlops.showReadme']); // open another window / a preview: no process either way
      for (const { command } of manifest.contributes.commands) {
        if (skip.has(command)) continue;
        const pending = Promise.resolve(vscode.commands.executeCommand(command, stageNode)).catch(() => undefined);
        await Promise.race([pending, new Promise((r) => setTimeout(r, 400))]);
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        await vscode.commands.executeCommand('notifications.clearAll');
      }
      // Validation works without trust: a duplicate key is reported.
      const uri = vscode.Uri.joinPath(workspaceRoot(), 'params.yaml');
      const document = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(document);
      const original = document.getText();
      await editor.edit((e) => e.insert(document.positionAt(original.length), '\nsplit:\n  seed: 1\n'));
      await waitFor('a duplicate-key diagnostic', () =>
        vscode.languages.getDiagnostics(uri).some((d) => (typeof d.code === 'object' ? d.code.value : d.code) === 'yaml-duplicate-key'),
      );
      await editor.edit((e) => e.replace(new vscode.Range(0, 0, document.lineCount, 0), original));
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      clearInterval(poll);
      recorder.restore();
    }
    const started = recorder.spawned.filter((s) => !isLanguageServer(s.what));
    const appeared = [...seen.values()].filter((cmd) => !isLanguageServer(cmd) && !isBuiltIn(cmd));
    console.log(
      `restricted mode: ${recorder.spawned.length - started.length} language server start(s), ${started.length} other process starts, ${appeared.length} new child processes`,
    );
    assert.deepEqual(started, [], 'no process is started in an untrusted workspace');
    assert.deepEqual(appeared, [], 'no child process appears in the process table');
  });
});
