import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, waitFor, workspaceRoot } from './helpers';

interface TreeLike {
  getRoots(): Promise<unknown[]>;
  getChildren(node?: unknown): Promise<unknown[]>;
  getTreeItem(node: unknown): vscode.TreeItem;
  resolveTreeItem(item: vscode.TreeItem, node: unknown): vscode.TreeItem;
  refresh(): void;
  whenStatusReady(): Promise<void>;
}

async function api(): Promise<{ pipelines: TreeLike }> {
  return activateExtension<{ pipelines: TreeLike }>();
}

/** Every stage row of the tree as the user sees it: label and description, in tree order. */
async function stageRows(tree: TreeLike): Promise<{ label: string; description: string; contextValue?: string; node: unknown }[]> {
  const rows: { label: string; description: string; contextValue?: string; node: unknown }[] = [];
  const visit = async (node: unknown): Promise<void> => {
    const item = tree.getTreeItem(node);
    if (item.contextValue?.startsWith('stage')) {
      rows.push({ label: String(item.label), description: String(item.description ?? ''), contextValue: item.contextValue, node });
      return;
    }
    if (item.contextValue === 'pipeline' || item.contextValue === 'template')
      for (const child of await tree.getChildren(node)) await visit(child);
  };
  for (const root of await tree.getRoots()) await visit(root);
  return rows;
}

describe('Pipelines view', () => {
  it('lists the example stages in DAG order with DVC names, never run yet', async () => {
    const { pipelines } = await api();
    await pipelines.whenStatusReady();
    const rows = await stageRows(pipelines);
    assert.deepEqual(
      rows.map((r) => r.label),
      ['ingest', 'validate', 'train@rf', 'train@logreg', 'evaluate'],
    );
    for (const row of rows) assert.match(row.description, /never run/, `${row.label}: ${row.description}`);
  });

  it('fills in a stage tooltip on hover with its name, status and command', async () => {
    const { pipelines } = await api();
    await pipelines.whenStatusReady();
    const ingest = (await stageRows(pipelines)).find((r) => r.label === 'ingest');
    assert.ok(ingest);
    const item = pipelines.getTreeItem(ingest.node);
    assert.equal(item.tooltip, undefined, 'the painted row carries no tooltip yet');
    const tooltip = pipelines.resolveTreeItem(item, ingest.node).tooltip as vscode.MarkdownString;
    assert.equal(tooltip.value.split('\n')[0], '**ingest** — never run');
    assert.match(tooltip.value, /```shellscript\npython src\/ingest\.py\n```/);
    assert.match(tooltip.value, /never run/);
  });

  it('shows each param of a stage with its current value', async () => {
    const { pipelines } = await api();
    const rf = (await stageRows(pipelines)).find((r) => r.label === 'train@rf');
    assert.ok(rf);
    const children = (await pipelines.getChildren(rf.node)).map((c) => pipelines.getTreeItem(c));
    const param = children.find((c) => c.label === 'models.rf');
    assert.ok(param, `a models.rf param row among ${children.map((c) => String(c.label)).join(', ')}`);
    assert.match(String(param.description), /n_estimators: 20/);
    assert.ok(children.some((c) => c.label === 'artifacts/model_trainer/rf.joblib' && c.description === 'out'));
  });

  it('runs a stage with ▶ as an mlops task and shows it up to date (its tooltip too), then changed when its param changes', async function () {
    this.timeout(240_000);
    const { pipelines } = await api();
    const ingest = (await stageRows(pipelines)).find((r) => r.label === 'ingest');
    assert.ok(ingest);
    const ended = new Promise<number | undefined>((resolve) => {
      const listener = vscode.tasks.onDidEndTaskProcess((event) => {
        if (event.execution.task.definition.type === 'mlops') {
          listener.dispose();
          resolve(event.exitCode);
        }
      });
    });
    await vscode.commands.executeCommand('mlops.runStage', ingest.node);
    assert.equal(await ended, 0, 'the ingest task exits 0');
    const root = workspaceRoot().fsPath;
    assert.ok(existsSync(join(root, 'artifacts', 'data_ingestion', 'train.csv')), 'ingest wrote its outs');
    assert.ok(existsSync(join(root, 'dvc.lock')), 'dvc repro recorded the run in dvc.lock');
    const upToDate = await waitFor('ingest to show up to date', async () => {
      pipelines.refresh();
      const row = (await stageRows(pipelines)).find((r) => r.label === 'ingest');
      return row?.description.startsWith('up to date') ? row : undefined;
    });
    const hover = pipelines.resolveTreeItem(pipelines.getTreeItem(upToDate.node), upToDate.node).tooltip as vscode.MarkdownString;
    assert.equal(hover.value.split('\n')[0], '**ingest** — up to date');

    const params = join(root, 'params.yaml');
    const original = readFileSync(params, 'utf8');
    writeFileSync(params, original.replace('test_size: 0.4', 'test_size: 0.3'));
    try {
      const changed = await waitFor('ingest to show changed with the param named', async () => {
        // no explicit refresh: the watcher must notice
        const row = (await stageRows(pipelines)).find((r) => r.label === 'ingest');
        return row?.description.startsWith('changed') ? row : undefined;
      });
      assert.match(changed.description, /split\.test_size/);
    } finally {
      writeFileSync(params, original);
    }
  });
});
