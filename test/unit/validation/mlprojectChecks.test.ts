import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { placeholders } from '../../../src/core/validation/mlprojectChecks';
import { validateFile } from '../../../src/core/validation/validateFile';
import { fixtures, summarize } from './summarize';
import { validateText } from './validateText';

test('MLproject: environments, parameter types and defaults, placeholders and unused parameters', async () => {
  const findings = await validateFile(join(fixtures, 'mlproject', 'MLproject'));
  assert.deepEqual(summarize(findings), [
    '3:12-3:22 error mlproject-env-file-missing The conda_env file "conda.yaml" does not exist next to MLproject.',
    '4:1-4:11 error mlproject-multiple-envs MLproject declares both conda_env and python_env; MLflow accepts only one environment, so remove one.',
    '9:21-9:26 error mlproject-unknown-param-type "flaot" is not an MLflow parameter type (float, int, string, path, uri) for "alpha" of entry point "main". Did you mean "float"?',
    '10:36-10:39 error mlproject-default-type The default 2.5 of "epochs" is not an int; change the default or the type.',
    '12:7-12:15 warning mlproject-unused-param Parameter "l1_ratio" of entry point "main" is not used in its command; MLflow will append it as --l1_ratio.',
    '12:40-12:43 error mlproject-default-type The default "abc" of "l1_ratio" is not a float; change the default or the type.',
    '13:7-13:13 warning mlproject-unused-param Parameter "unused" of entry point "main" is not used in its command; MLflow will append it as --unused.',
    '14:84-14:94 error mlproject-undeclared-placeholder "{l1_ratoi}" in the command of entry point "main" is not a declared parameter. Did you mean "l1_ratio"?',
    '15:3-15:8 error mlproject-missing-command Entry point "other" has no command; add the command it runs.',
  ]);
});

test('MLproject: no name and no environment are warnings; docker_env needs an image', async () => {
  assert.deepEqual(summarize(await validateText('MLproject', 'entry_points:\n  main:\n    command: python x.py\n')), [
    '1:1-1:2 warning mlproject-missing-env MLproject declares no environment; add one of conda_env, python_env or docker_env.',
    '1:1-1:2 warning mlproject-missing-name MLproject has no name; add `name: <project>` so runs are labelled.',
  ]);
  assert.deepEqual(
    summarize(await validateText('MLproject', 'name: x\ndocker_env:\n  volumes: []\nentry_points:\n  main:\n    command: "python x.py"\n')),
    ['2:1-2:11 error mlproject-docker-image docker_env needs an image; add `image: <name>`.'],
  );
});

test('str.format placeholders: escaped braces and format specs', () => {
  assert.deepEqual(
    placeholders('run {a} {{b}} {c:.2f} {d!r} {e.x}').map((p) => p.name),
    ['a', 'c', 'd', 'e'],
  );
});
