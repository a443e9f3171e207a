import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { ciWorkflow, ciWorkflowFor, validatedFolders, writeFileAtomically } from '../../../src/core/ci/ciWorkflow';

interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: { validate: { 'runs-on': string; steps: Array<{ uses?: string; name?: string; run?: string; with?: Record<string, unknown> }> } };
}

test('the workflow parses, sets up Node, installs the CLI at the given version and validates with GitHub annotations', () => {
  const text = ciWorkflow({ pipelines: ['dvc.yaml', 'MLproject'], cliVersion: '0.1.0' });
  const workflow = parse(text) as Workflow;
  assert.equal(workflow.name, 'MLOps');
  assert.deepEqual(Object.keys(workflow.on), ['push', 'pull_request']);
  assert.deepEqual(
    workflow.jobs.validate.steps.map((s) => s.uses ?? s.run),
    [
      'actions/checkout@v4',
      'actions/setup-node@v4',
      'npm install --global mlops-workbench@0.1.0',
      'mlops validate . --format github',
      'mlops pipeline status dvc.yaml',
    ],
  );
  assert.deepEqual(workflow.jobs.validate.steps[1]?.with, { 'node-version': '20' });
  assert.match(text, /^# Checks dvc\.yaml/);
});

test('a pipeline in a sub-folder is validated there, and its dvc.yaml gets a status step; odd names are quoted', () => {
  const workflow = parse(
    ciWorkflow({
      pipelines: ['pipelines/wine/dvc.yaml', 'pipelines/wine/nested/dvc.yaml', "my models/it's/MLproject"],
      cliVersion: '1.2.3',
    }),
  ) as Workflow;
  assert.deepEqual(
    workflow.jobs.validate.steps.slice(3).map((s) => s.run),
    [
      "mlops validate 'my models/it'\\''s' pipelines/wine --format github",
      'mlops pipeline status pipelines/wine/dvc.yaml',
      'mlops pipeline status pipelines/wine/nested/dvc.yaml',
    ],
  );
  assert.deepEqual(validatedFolders([]), ['.']);
});

test('ciWorkflowFor finds the pipelines of a repository folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-ci-'));
  mkdirSync(join(dir, 'ml', 'wine'), { recursive: true });
  writeFileSync(join(dir, 'ml', 'wine', 'dvc.yaml'), 'stages: {}\n');
  writeFileSync(join(dir, 'ml', 'MLproject'), 'name: x\n');
  const { pipelines, text } = await ciWorkflowFor(dir, '0.1.0');
  assert.deepEqual(pipelines, ['ml/MLproject', 'ml/wine/dvc.yaml']);
  const steps = (parse(text) as Workflow).jobs.validate.steps;
  assert.deepEqual(
    steps.slice(3).map((s) => s.run),
    ['mlops validate ml --format github', 'mlops pipeline status ml/wine/dvc.yaml'],
  );
});

test('writing never replaces an existing file unless asked, and leaves no temporary file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-ci-write-'));
  const target = join(dir, '.github', 'workflows', 'mlops.yml');
  assert.deepEqual(await writeFileAtomically(target, 'first\n', false), { written: true });
  assert.deepEqual(await writeFileAtomically(target, 'second\n', false), { exists: true });
  assert.equal(readFileSync(target, 'utf8'), 'first\n');
  assert.deepEqual(await writeFileAtomically(target, 'second\n', true), { written: true });
  assert.equal(readFileSync(target, 'utf8'), 'second\n');
  assert.deepEqual(readdirSync(join(dir, '.github', 'workflows')), ['mlops.yml']);
});
