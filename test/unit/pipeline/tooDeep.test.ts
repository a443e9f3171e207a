import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskFileAccess } from '../../../src/core/fileAccess';
import { parseDvcPipeline } from '../../../src/core/pipeline/dvcPipeline';
import { parseMlproject } from '../../../src/core/pipeline/mlproject';

// Nesting that exhausts the stack must end in a finding, never in a thrown RangeError.
const deep = (depth: number): string => `stages:\n  s:\n    cmd: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;

test('a dvc.yaml nested deeper than the stack allows gives findings instead of throwing', async () => {
  const shallow = await parseDvcPipeline('/p/dvc.yaml', deep(1_000), diskFileAccess);
  assert.deepEqual(
    shallow.pipeline.stages.map((s) => s.name),
    ['s'],
  );
  const tooDeep = await parseDvcPipeline('/p/dvc.yaml', deep(20_000), diskFileAccess);
  assert.ok(
    [...tooDeep.problems, ...tooDeep.yamlFindings].some((f) => f.severity === 'error'),
    'an error finding says the file cannot be read',
  );
});

test('an MLproject nested deeper than the stack allows gives findings instead of throwing', () => {
  const parsed = parseMlproject('/p/MLproject', `name: x\nentry_points: ${'['.repeat(20_000)}1${']'.repeat(20_000)}\n`);
  assert.ok(
    [...parsed.problems, ...parsed.yaml.findings].some((f) => f.severity === 'error'),
    'an error finding says the file cannot be read',
  );
});
