import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/cli/args';
import { pipelineCommand } from '../../../src/cli/pipelineCommand';
import { repoRoot } from '../../support/tools';

async function mlops(argv: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const previous = process.cwd();
  process.chdir(repoRoot);
  try {
    const code = await pipelineCommand(argv, (text) => (output += text));
    return { code, output };
  } finally {
    process.chdir(previous);
  }
}

describe('mlops pipeline', () => {
  it('list --json prints the contract shape with DVC stage names', async () => {
    const { code, output } = await mlops(['list', 'examples/wine-quality', '--json']);
    assert.equal(code, 0);
    const data = JSON.parse(output) as {
      pipelines: { file: string; stages: Record<string, unknown>[] }[];
      mlprojects: { name: string; entryPoints: { name: string }[] }[];
    };
    assert.equal(data.pipelines[0]?.file, join('examples', 'wine-quality', 'dvc.yaml'));
    const train = data.pipelines[0]?.stages.find((s) => s.name === 'train@rf');
    assert.deepEqual(Object.keys(train ?? {}), ['name', 'cmd', 'wdir', 'deps', 'outs', 'params', 'metrics', 'status']);
    assert.equal(train?.cmd, 'python src/train.py rf');
    assert.deepEqual(train?.params, ['models.rf']);
    assert.equal(data.pipelines[0]?.stages.find((s) => s.name === 'evaluate')?.metrics?.toString(), 'metrics.json');
    assert.deepEqual(
      data.mlprojects[0]?.entryPoints.map((e) => e.name),
      ['main', 'evaluate'],
    );
  });

  it('status reads the pipeline files without DVC and says which stages never ran', async () => {
    const { code, output } = await mlops(['status', 'test/fixtures/pipelines/templating/dvc.yaml', '--json']);
    assert.equal(code, 0);
    const data = JSON.parse(output) as { pipelines: { stages: { name: string; status: string }[] }[] };
    const stages = data.pipelines[0]?.stages ?? [];
    assert.equal(stages.length, 27);
    assert.equal(stages.find((s) => s.name === 'local')?.status, 'frozen');
    assert.equal(stages.find((s) => s.name === 'sweep@lr-1.0-opt0')?.status, 'never-run');
  });

  it('prints a text table and refuses unknown subcommands as usage errors', async () => {
    const { output } = await mlops(['list', 'examples/wine-quality']);
    assert.match(output, /^ {2}train@logreg +\S+ +python src\/train\.py logreg$/m);
    await assert.rejects(mlops(['frobnicate']), UsageError);
    await assert.rejects(mlops(['list', 'does-not-exist']), /does not exist/);
  });

  it('exits 1 and names the line when a dvc.yaml cannot be fully resolved', async () => {
    const { code, output } = await mlops(['list', 'test/fixtures/pipelines/broken']);
    assert.equal(code, 1);
    assert.match(output, /error: test\/fixtures\/pipelines\/broken\/dvc\.yaml:3:31: '\$\{train\.lr\}' does not resolve/);
  });
});
