import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

interface TreeLike {
  getRoots(): Promise<unknown[]>;
  getChildren(node?: unknown): Promise<unknown[]>;
  getTreeItem(node: unknown): vscode.TreeItem;
  refresh(): void;
}

async function flatten(tree: TreeLike): Promise<{ item: vscode.TreeItem; node: unknown; depth: number }[]> {
  const rows: { item: vscode.TreeItem; node: unknown; depth: number }[] = [];
  const visit = async (node: unknown, depth: number): Promise<void> => {
    rows.push({ item: tree.getTreeItem(node), node, depth });
    for (const child of await tree.getChildren(node)) await visit(child, depth + 1);
  };
  for (const root of await tree.getRoots()) await visit(root, 0);
  return rows;
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=MLOps Tests', '-c', 'user.email=tests@example.invalid', ...args], { cwd, stdio: 'pipe' });
}

describe('Runs view', () => {
  it('shows runs from the Git history of metrics files and from run records, and compares two of them in a panel', async function () {
    this.timeout(120_000);
    const { runs } = await activateExtension<{ runs: TreeLike }>();
    const root = workspaceRoot().fsPath;
    // Two commits with different params and metrics: two Git-history runs.
    for (const [accuracy, depth] of [
      [0.81, 2],
      [0.86, 3],
    ] as const) {
      writeFileSync(join(root, 'metrics.json'), JSON.stringify({ accuracy, best_model: 'rf' }));
      const params = execFileSync('sed', [`s/max_depth: [0-9]*/max_depth: ${depth}/`, join(root, 'params.yaml')], { encoding: 'utf8' });
      writeFileSync(join(root, 'params.yaml'), params);
      git(root, 'add', 'metrics.json', 'params.yaml');
      git(root, 'commit', '-q', '-m', `rf depth ${depth}`);
    }
    // A run record as the runner writes it, with a name that must stay text.
    mkdirSync(join(root, '.mlops', 'runs'), { recursive: true });
    writeFileSync(
      join(root, '.mlops', 'runs', '20261123T000000000Z-abc123.json'),
      JSON.stringify({
        id: '20261123T000000000Z-abc123',
        stages: ['<img src=x onerror=alert(1)>'],
        startTime: '2026-11-23T00:00:00.000Z',
        endTime: '2026-11-23T00:01:00.000Z',
        status: 'failed',
        exitCode: 1,
        params: { 'split.test_size': 0.4 },
        metrics: { accuracy: 0.5 },
      }),
    );
    const rows = await waitFor(
      'the Git history and run-record sources',
      async () => {
        // no explicit refresh: the view follows the stores on its own
        const all = await flatten(runs);
        const labels = all.map((r) => String(r.item.label));
        return labels.includes('rf depth 3') && labels.includes('rf depth 2') && labels.some((l) => l.includes('<img')) ? all : undefined;
      },
      60_000,
    );
    const depth3 = rows.find((r) => r.item.label === 'rf depth 3');
    assert.match(String(depth3?.item.description), /accuracy 0\.86/);
    const record = rows.find((r) => r.item.contextValue === 'run.workbench' && String(r.item.label).includes('<img src=x'));
    assert.ok(record, 'the recorded run is listed with its stage name as plain text');
    assert.match(String((record?.item.iconPath as vscode.ThemeIcon).id), /error/, 'a failed run shows the error icon');

    // The filter keeps the tree's runs and shows only those that match.
    const tree = runs as TreeLike & { setFilter(filter: unknown): void };
    const { parseRunFilter } = (await import('../../src/core/runs/runFilter')) as typeof import('../../src/core/runs/runFilter');
    const filter = parseRunFilter('metrics.accuracy > 0.85');
    assert.ok(!('error' in filter));
    tree.setFilter(filter);
    const filtered = (await flatten(runs)).filter((r) => r.item.contextValue?.startsWith('run.'));
    const gitFiltered = filtered.filter((r) => r.item.contextValue === 'run.git').map((r) => String(r.item.label));
    assert.deepEqual(gitFiltered, ['rf depth 3'], 'of the Git runs, only the one with accuracy 0.86');
    assert.ok(
      filtered.every((r) => !String(r.item.label).includes('<img')),
      'the recorded run (accuracy 0.5) is filtered out',
    );
    tree.setFilter(undefined);

    const gitRuns = rows.filter((r) => r.item.contextValue === 'run.git');
    assert.ok(gitRuns.length >= 2);
    await vscode.commands.executeCommand('mlops.compareSelectedRuns', gitRuns[0]!.node, [gitRuns[0]!.node, gitRuns[1]!.node]);
    const tab = await waitFor('the compare panel tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && /Compare 2 Runs/.test(t.label)),
    );
    assert.ok(tab);
  });
});
