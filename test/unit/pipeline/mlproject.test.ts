import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkParameterValue, mlflowRunArgs, parseMlproject } from '../../../src/core/pipeline/mlproject';
import { repoRoot } from '../../support/tools';

describe('parseMlproject', () => {
  it('reads the example project: name, environment, entry points, parameters and placeholders', () => {
    const file = join(repoRoot, 'examples', 'wine-quality', 'MLproject');
    const { project, problems } = parseMlproject(file, readFileSync(file, 'utf8'));
    assert.deepEqual(problems, []);
    assert.equal(project.name, 'wine-quality');
    assert.deepEqual(
      project.environments.map((e) => e.kind),
      ['python_env'],
    );
    assert.deepEqual(
      project.entryPoints.map((e) => e.name),
      ['main', 'evaluate'],
    );
    const main = project.entryPoints[0];
    assert.deepEqual(
      main?.parameters.map((p) => [p.name, p.type, p.default]),
      [
        ['model', 'string', 'rf'],
        ['test_size', 'float', 0.25],
      ],
    );
    assert.deepEqual(
      main?.placeholders.map((p) => p.name),
      ['model', 'test_size'],
    );
    assert.equal(main?.placeholders[0]?.span?.range.start.line, 9);
  });

  it('treats a bare type as required and reports two environments', () => {
    const text =
      'name: p\nconda_env: conda.yaml\ndocker_env:\n  image: python:3.11\nentry_points:\n  main:\n    parameters:\n      alpha: float\n    command: python train.py {alpha}\n';
    const { project, problems } = parseMlproject('/p/MLproject', text);
    assert.deepEqual(
      problems.map((p) => [p.code, p.range.start.line]),
      [['mlproject-multiple-environments', 2]],
    );
    const alpha = project.entryPoints[0]?.parameters[0];
    assert.equal(alpha?.type, 'float');
    assert.equal(alpha?.default, undefined);
    assert.deepEqual(mlflowRunArgs(project, 'main', {}), {
      error: "Parameter 'alpha' of entry point 'main' has no default: give it a value.",
    });
    assert.deepEqual(mlflowRunArgs(project, 'main', { alpha: '0.5' }), { args: ['run', '/p', '-e', 'main', '-P', 'alpha=0.5'] });
    assert.match(String((mlflowRunArgs(project, 'main', { alpha: 'x' }) as { error: string }).error), /not a number/);
  });

  it('checks values by MLflow parameter type', () => {
    assert.equal(checkParameterValue('int', '12'), undefined);
    assert.ok(checkParameterValue('int', '1.5'));
    assert.equal(checkParameterValue('float', '1e-3'), undefined);
    assert.ok(checkParameterValue('bool', 'true'));
  });
});
