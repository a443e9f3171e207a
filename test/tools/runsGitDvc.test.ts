import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { discoverRunSources, listAllRuns } from '../../src/core/runs/discovery';
import { DvcExperimentsSource } from '../../src/core/runs/dvcExperimentsSource';
import { GitHistorySource } from '../../src/core/runs/gitHistorySource';
import { repoRoot, requireTool } from '../support/tools';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ann', '-c', 'user.email=ann@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  });
}

async function write(dir: string, path: string, text: string): Promise<void> {
  await fs.mkdir(join(dir, path, '..'), { recursive: true });
  await fs.writeFile(join(dir, path), text);
}

describe('Git history runs', () => {
  it('makes a run per commit from the params and metrics files at that commit', async (t) => {
    if (!requireTool(t, 'git', 'install Git')) return;
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-git-'));
    git(dir, 'init', '-q', '-b', 'main');
    await write(dir, 'README.md', '# project\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Start');
    await write(dir, 'params.yaml', 'train:\n  lr: 0.1\n  layers: [64, 32]\n');
    await write(dir, 'metrics.json', '{"rmse": 0.9, "eval": {"mae": 0.5}}');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'First model');
    await write(dir, 'params.yaml', 'train:\n  lr: 0.05\n  layers: [64, 32]\n');
    await write(dir, 'featurize.yaml', 'ngrams: 2\n');
    await write(
      dir,
      'dvc.yaml',
      'stages:\n  evaluate:\n    wdir: reports\n    cmd: python eval.py\n    params:\n      - ../featurize.yaml:\n          - ngrams\n    metrics:\n      - scores.yaml:\n          cache: false\n',
    );
    await write(dir, 'reports/scores.yaml', 'auc: 0.81\n');
    await fs.rm(join(dir, 'metrics.json'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Smaller learning rate');

    const runs = await new GitHistorySource({ cwd: dir, maxCommits: 10 }).listRuns();
    assert.deepEqual(
      runs.map((r) => r.name),
      ['Smaller learning rate', 'First model'],
    );
    const [latest, first] = runs;
    assert.deepEqual(first?.params, { 'train.lr': 0.1, 'train.layers.0': 64, 'train.layers.1': 32 });
    assert.deepEqual(first?.metrics, { rmse: 0.9, 'eval.mae': 0.5 });
    assert.equal(latest?.params['train.lr'], 0.05);
    assert.equal(latest?.params['featurize.yaml:ngrams'], 2);
    assert.deepEqual(latest?.metrics, { auc: 0.81 });
    assert.equal(latest?.experiment, 'main');
    assert.equal(latest?.commit, git(dir, 'rev-parse', 'HEAD').trim());
    assert.equal(latest?.id, `git:${latest?.commit?.slice(0, 7)}`);
    assert.equal(latest?.tags.author, 'Ann');

    const limited = await new GitHistorySource({ cwd: dir, maxCommits: 1 }).listRuns();
    assert.equal(limited.length, 1);
  });

  it('says when the folder is not in a repository', async (t) => {
    if (!requireTool(t, 'git', 'install Git')) return;
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-nogit-'));
    await assert.rejects(new GitHistorySource({ cwd: dir }).listRuns(), /is not in a Git repository; commit your params and metrics files/);
  });
});

describe('DVC experiment runs', () => {
  it('lists the baseline and an experiment run with real DVC', { timeout: 300_000 }, async (t) => {
    const dvc = requireTool(t, 'dvc');
    if (!dvc) return;
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-dvc-'));
    const example = join(repoRoot, 'examples', 'wine-quality');
    await fs.cp(example, dir, {
      recursive: true,
      filter: (src) => !/[/\\](artifacts|mlruns|mlflow\.db|metrics\.json|dvc\.lock|__pycache__)$/.test(src),
    });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Wine quality');
    const env = { ...process.env, DVC_NO_ANALYTICS: '1', WINE_QUALITY_MLFLOW: '0', PATH: `${join(dvc, '..')}:${process.env.PATH ?? ''}` };
    execFileSync(dvc, ['exp', 'run', '-S', 'split.test_size=0.3'], { cwd: dir, env, stdio: 'pipe' });

    const source = new DvcExperimentsSource({ cwd: dir, dvcPath: dvc, env });
    const runs = await source.listRuns();
    const baseline = runs.find((r) => r.name === 'main');
    const experiment = runs.find((r) => r.id !== 'dvc:workspace' && r !== baseline);
    assert.ok(baseline && experiment, runs.map((r) => r.id).join(', '));
    assert.equal(baseline.params['split.test_size'], 0.4);
    assert.equal(baseline.commit, git(dir, 'rev-parse', 'HEAD').trim());
    assert.equal(experiment.params['split.test_size'], 0.3);
    assert.equal(experiment.params['models.rf.n_estimators'], 20);
    assert.equal(experiment.experiment, 'main');
    assert.equal(experiment.status, 'finished');
    assert.equal(typeof experiment.metrics.accuracy, 'number');
    assert.ok('models.rf.f1_macro' in experiment.metrics);
    assert.match(experiment.startTime ?? '', /^\d{4}-/);
    assert.deepEqual(
      (await source.metricHistory(experiment.id, 'accuracy')).map((p) => p.value),
      [experiment.metrics.accuracy],
    );

    // Discovery finds DVC, Git and nothing else here; all of them read.
    const sources = await discoverRunSources(dir, { dvcPath: dvc, env: {} });
    assert.deepEqual(sources.map((s) => s.kind).sort(), ['dvc', 'git']);
    const all = await listAllRuns(sources);
    assert.deepEqual(all.failures, []);
  });

  it('says DVC is missing, and the other sources still list', async (t) => {
    if (!requireTool(t, 'git', 'install Git')) return;
    const dir = await fs.mkdtemp(join(tmpdir(), 'mlops-nodvc-'));
    await fs.mkdir(join(dir, '.dvc'));
    await write(dir, 'params.yaml', 'lr: 1\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Params');
    const sources = await discoverRunSources(dir, { dvcPath: join(dir, 'no-such-dvc'), env: {} });
    const { runs, failures } = await listAllRuns(sources);
    assert.deepEqual(
      failures.map((f) => f.error),
      [`DVC is not installed (no ${join(dir, 'no-such-dvc')} found); install it or set mlops.dvcPath, then refresh.`],
    );
    assert.deepEqual(
      runs.map((r) => r.params),
      [{ lr: 1 }],
    );
  });
});
