import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { promisify } from 'node:util';
import { toolPath } from '../support/tools';
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

  it('shows the first page of an experiment with a Load more node, loads the next pages, and filters and sorts every run', async function () {
    this.timeout(180_000);
    const python = toolPath('python');
    if (!python) {
      if (process.env.CI === 'true') assert.fail('python with MLflow is needed: npm run setup:python');
      this.skip();
    }
    const { runs } = await activateExtension<{
      runs: TreeLike & { setFilter(filter: unknown): void; onDidChangeTreeData: vscode.Event<unknown> };
    }>();
    const root = workspaceRoot().fsPath;
    // A store written by MLflow itself: 25 runs a second apart in "sweep", 2 older ones in "baseline".
    const store = join(root, 'paging-store');
    mkdirSync(store, { recursive: true });
    const script = [
      'import sys',
      'from mlflow.tracking import MlflowClient',
      `client = MlflowClient("sqlite:///${join(store, 'mlflow.db')}")`,
      'def log(experiment, name, start, loss):',
      '    run = client.create_run(experiment, start_time=start, run_name=name)',
      '    client.log_metric(run.info.run_id, "loss", loss, timestamp=start)',
      '    client.set_terminated(run.info.run_id, "FINISHED", end_time=start + 500)',
      'baseline = client.create_experiment("baseline")',
      'for i in range(2): log(baseline, f"baseline-{i}", 1_790_000_000_000 - 10_000 + i, 1.0)',
      'sweep = client.create_experiment("sweep")',
      'for i in range(25): log(sweep, f"sweep-{i:02d}", 1_790_000_000_000 + i * 1000, 1 / (i + 1))',
    ].join('\n');
    await promisify(execFile)(python as string, ['-c', script], { cwd: store, env: { ...process.env, GIT_PYTHON_REFRESH: 'quiet' } });
    await vscode.workspace.getConfiguration('mlops').update('runs.pageSize', 10, vscode.ConfigurationTarget.Workspace);
    try {
      const label = (node: unknown): string => String(runs.getTreeItem(node).label);
      const description = (node: unknown): string => String(runs.getTreeItem(node).description);
      const names = (nodes: unknown[]): string[] => nodes.filter((n) => runs.getTreeItem(n).contextValue === 'run.mlflow').map(label);
      const newest = (from: number, to: number): string[] =>
        Array.from({ length: from - to + 1 }, (_, k) => `sweep-${String(from - k).padStart(2, '0')}`);
      // The store, its experiments and the first page, read in one go after a refresh: a refresh
      // that the new store or the page size setting starts meanwhile makes the nodes read before it
      // stale, and the probe reads them again.
      const read = async (): Promise<{ source: unknown; experiments: unknown[]; sweep: unknown; firstPage: unknown[] } | undefined> => {
        const source = (await runs.getRoots()).find((n) => label(n) === 'paging-store/mlflow.db');
        if (source === undefined) return undefined;
        const experiments = await runs.getChildren(source);
        const sweep = experiments[0];
        if (sweep === undefined) return undefined;
        const firstPage = await runs.getChildren(sweep);
        return names(firstPage).length > 0 ? { source, experiments, sweep, firstPage } : undefined;
      };
      await waitFor(
        'the first page of the MLflow store in the Runs view',
        async () => {
          runs.refresh();
          return read();
        },
        60_000,
      );
      // File events about the new store may still come and refresh the view (making these nodes
      // stale): the pages below are read once it has been quiet for a while.
      let changedAt = Date.now();
      const listening = runs.onDidChangeTreeData(() => (changedAt = Date.now()));
      try {
        await waitFor('the Runs view to settle', () => Date.now() - changedAt > 1500, 30_000);
      } finally {
        listening.dispose();
      }
      const { source, experiments, sweep, firstPage } = await waitFor('the first page once settled', read);
      assert.equal(description(source), '27 runs');
      assert.deepEqual(
        experiments.map((n) => [label(n), description(n)]),
        [
          ['sweep', '25 runs'],
          ['baseline', '2 runs'],
        ],
      );
      let children = firstPage;
      assert.deepEqual(names(children), newest(24, 15), 'the first page: the 10 newest runs');
      let more = children.at(-1);
      assert.equal(runs.getTreeItem(more).contextValue, 'runsMore');
      assert.equal(label(more), 'Load 10 more');
      assert.equal(description(more), '10 of 25 shown');
      assert.equal(runs.getTreeItem(more).command?.command, 'mlops.loadMoreRuns');

      // Clicking the node runs its command with the node.
      const command = runs.getTreeItem(more).command as vscode.Command;
      await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
      children = await runs.getChildren(sweep);
      assert.deepEqual(names(children), newest(24, 5));
      more = children.at(-1);
      assert.equal(label(more), 'Load 5 more');
      assert.equal(description(more), '20 of 25 shown');
      await vscode.commands.executeCommand('mlops.loadMoreRuns', more);
      children = await runs.getChildren(sweep);
      assert.deepEqual(names(children), newest(24, 0), 'every run, and no Load more node after the last page');
      assert.equal(children.length, 25);

      // After a refresh only the first page is read again; a filter still applies to every run.
      runs.refresh();
      const again = await waitFor('the store after a refresh', async () =>
        (await runs.getRoots()).find((n) => label(n) === 'paging-store/mlflow.db'),
      );
      const sweepAgain = (await runs.getChildren(again))[0];
      assert.equal((await runs.getChildren(sweepAgain)).length, 11, '10 runs and the Load more node');
      const { parseRunFilter } = (await import('../../src/core/runs/runFilter')) as typeof import('../../src/core/runs/runFilter');
      const filter = parseRunFilter('metrics.loss > 0.3 and metrics.loss < 0.9');
      assert.ok(!('error' in filter));
      runs.setFilter(filter);
      const filtered = await waitFor('the filter over every run', async () => {
        const roots = await runs.getRoots();
        const node = roots.find((n) => label(n) === 'paging-store/mlflow.db');
        return node && description(node) === '2 of 27 runs' ? node : undefined;
      });
      const filteredExperiments = await runs.getChildren(filtered);
      assert.deepEqual(
        filteredExperiments.map((n) => [label(n), description(n)]),
        [['sweep', '2 of 25 runs']],
        'only the experiment with matching runs',
      );
      assert.deepEqual(names(await runs.getChildren(filteredExperiments[0])), ['sweep-02', 'sweep-01'], 'runs from the last page match');
      runs.setFilter(undefined);

      // A sort by a metric reads every run again after a refresh, orders them, and shows them a page at a time.
      runs.refresh();
      const sorted = runs as unknown as { setSort(sort: { key: string; descending: boolean }): void };
      sorted.setSort({ key: 'loss', descending: true });
      const bySort = await waitFor('the sort over every run', async () => {
        const node = (await runs.getRoots()).find((n) => label(n) === 'paging-store/mlflow.db');
        const sweepNode = node ? (await runs.getChildren(node))[0] : undefined;
        const shown = sweepNode ? await runs.getChildren(sweepNode) : [];
        return names(shown)[0] === 'sweep-00' ? shown : undefined;
      });
      assert.deepEqual(names(bySort), [
        'sweep-00',
        'sweep-01',
        'sweep-02',
        'sweep-03',
        'sweep-04',
        'sweep-05',
        'sweep-06',
        'sweep-07',
        'sweep-08',
        'sweep-09',
      ]);
      assert.equal(description(bySort.at(-1)), '10 of 25 shown');
      sorted.setSort({ key: 'startTime', descending: true });
    } finally {
      await vscode.workspace.getConfiguration('mlops').update('runs.pageSize', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
