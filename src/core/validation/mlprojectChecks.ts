import { dirname, resolve } from 'node:path';
import { isMap, isScalar, type Node, type Pair, type Scalar } from 'yaml';
import type { Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import type { ParsedYaml } from '../yaml/parseYaml';
import { didYouMean, didYouMeanSuffix } from './didYouMean';
import { findingAt } from './findings';

export const MLPROJECT_PARAM_TYPES = ['float', 'int', 'string', 'path', 'uri'] as const;
const ENV_KEYS = ['conda_env', 'python_env', 'docker_env'] as const;

/**
 * MLproject as MLflow reads it (mlflow/projects/_project_spec.py), which itself validates almost
 * nothing: name, exactly one environment, parameter types and defaults, the `{param}` template.
 */
export async function checkMlproject(parsed: ParsedYaml, files: FileAccess): Promise<Finding[]> {
  const findings: Finding[] = [];
  const root = parsed.doc.contents;
  if (parsed.value === undefined) return findings;
  if (!isMap(root)) {
    findings.push(
      findingAt(parsed, root, 'error', 'mlproject-not-mapping', 'MLproject must be a mapping with name, an environment and entry_points.'),
    );
    return findings;
  }
  const pairs = new Map<string, Pair<Node, Node | null>>();
  for (const pair of root.items as Pair<Node, Node | null>[]) if (isScalar(pair.key)) pairs.set(String(pair.key.value), pair);

  const name = pairs.get('name');
  if (name === undefined || !isScalar(name.value) || name.value.value === null || String(name.value.value).trim() === '') {
    findings.push(
      findingAt(
        parsed,
        name?.key,
        'warning',
        'mlproject-missing-name',
        'MLproject has no name; add `name: <project>` so runs are labelled.',
      ),
    );
  }

  const envs = ENV_KEYS.filter((key) => pairs.has(key));
  if (envs.length === 0) {
    findings.push(
      findingAt(
        parsed,
        undefined,
        'warning',
        'mlproject-missing-env',
        'MLproject declares no environment; add one of conda_env, python_env or docker_env.',
      ),
    );
  }
  for (const extra of envs.slice(1)) {
    findings.push(
      findingAt(
        parsed,
        pairs.get(extra)?.key,
        'error',
        'mlproject-multiple-envs',
        `MLproject declares both ${envs[0]} and ${extra}; MLflow accepts only one environment, so remove one.`,
      ),
    );
  }
  for (const key of ['conda_env', 'python_env'] as const) {
    const value = pairs.get(key)?.value;
    if (isScalar(value) && typeof value.value === 'string' && value.value !== '') {
      const path = resolve(dirname(parsed.file), value.value);
      if (!(await files.exists(path))) {
        findings.push(
          findingAt(
            parsed,
            value,
            'error',
            'mlproject-env-file-missing',
            `The ${key} file "${value.value}" does not exist next to MLproject.`,
          ),
        );
      }
    }
  }
  const docker = pairs.get('docker_env');
  if (docker !== undefined && !(isMap(docker.value) && docker.value.has('image'))) {
    findings.push(findingAt(parsed, docker.key, 'error', 'mlproject-docker-image', 'docker_env needs an image; add `image: <name>`.'));
  }

  const entryPoints = pairs.get('entry_points');
  if (entryPoints === undefined) return findings;
  if (!isMap(entryPoints.value)) {
    findings.push(
      findingAt(
        parsed,
        entryPoints.value ?? entryPoints.key,
        'error',
        'mlproject-invalid-entry-points',
        'entry_points must be a mapping of entry point names to commands.',
      ),
    );
    return findings;
  }
  for (const ep of entryPoints.value.items as Pair<Node, Node | null>[]) {
    if (!isScalar(ep.key)) continue;
    findings.push(...checkEntryPoint(parsed, String(ep.key.value), ep));
  }
  return findings;
}

function checkEntryPoint(parsed: ParsedYaml, epName: string, ep: Pair<Node, Node | null>): Finding[] {
  const findings: Finding[] = [];
  if (!isMap(ep.value)) {
    findings.push(
      findingAt(
        parsed,
        ep.value ?? ep.key,
        'error',
        'mlproject-invalid-entry-point',
        `Entry point "${epName}" must be a mapping with a command.`,
      ),
    );
    return findings;
  }
  const declared = new Map<string, Node>();
  const paramsNode = ep.value.get('parameters', true) as Node | undefined;
  if (isMap(paramsNode)) {
    for (const p of paramsNode.items as Pair<Node, Node | null>[]) {
      if (!isScalar(p.key)) continue;
      const name = String(p.key.value);
      declared.set(name, p.key);
      findings.push(...checkParameter(parsed, epName, name, p));
    }
  } else if (paramsNode !== undefined && !(isScalar(paramsNode) && paramsNode.value === null)) {
    findings.push(
      findingAt(
        parsed,
        paramsNode,
        'error',
        'mlproject-invalid-parameters',
        `The parameters of entry point "${epName}" must be a mapping.`,
      ),
    );
  }

  const command = ep.value.get('command', true) as Node | undefined;
  if (!isScalar(command) || typeof command.value !== 'string' || command.value.trim() === '') {
    findings.push(
      findingAt(
        parsed,
        command ?? ep.key,
        'error',
        'mlproject-missing-command',
        `Entry point "${epName}" has no command; add the command it runs.`,
      ),
    );
    return findings;
  }
  const used = new Set<string>();
  for (const placeholder of placeholders(command.value)) {
    used.add(placeholder.name);
    if (!declared.has(placeholder.name)) {
      const suggestion = didYouMean(placeholder.name, declared.keys());
      findings.push({
        ...findingAt(
          parsed,
          command,
          'error',
          'mlproject-undeclared-placeholder',
          `"{${placeholder.name}}" in the command of entry point "${epName}" is not a declared parameter.${didYouMeanSuffix(suggestion) || ' Declare it under parameters.'}`,
          suggestion === undefined ? undefined : { replacement: suggestion },
        ),
        range: placeholderRange(parsed, command, placeholder.text) ?? findingAt(parsed, command, 'error', '', '').range,
      });
    }
  }
  for (const [name, key] of declared) {
    if (!used.has(name)) {
      findings.push(
        findingAt(
          parsed,
          key,
          'warning',
          'mlproject-unused-param',
          `Parameter "${name}" of entry point "${epName}" is not used in its command; MLflow will append it as --${name}.`,
        ),
      );
    }
  }
  return findings;
}

function checkParameter(parsed: ParsedYaml, epName: string, name: string, p: Pair<Node, Node | null>): Finding[] {
  let typeNode: Node | null | undefined;
  let defaultNode: Node | undefined;
  if (isScalar(p.value)) typeNode = p.value;
  else if (isMap(p.value)) {
    typeNode = p.value.get('type', true) as Node | undefined;
    defaultNode = p.value.get('default', true) as Node | undefined;
  } else if (p.value !== null) {
    return [
      findingAt(
        parsed,
        p.value,
        'error',
        'mlproject-invalid-parameter',
        `Parameter "${name}" must be a type (float, int, string, path, uri) or {type, default}.`,
      ),
    ];
  }
  // `{default: x}` without a type is a string parameter in MLflow.
  const type = isScalar(typeNode) && typeNode.value !== null ? String(typeNode.value) : 'string';
  if (!(MLPROJECT_PARAM_TYPES as readonly string[]).includes(type)) {
    const suggestion = didYouMean(type, MLPROJECT_PARAM_TYPES);
    return [
      findingAt(
        parsed,
        typeNode ?? p.key,
        'error',
        'mlproject-unknown-param-type',
        `"${type}" is not an MLflow parameter type (float, int, string, path, uri) for "${name}" of entry point "${epName}".${didYouMeanSuffix(suggestion)}`,
        suggestion === undefined ? undefined : { replacement: suggestion },
      ),
    ];
  }
  if (isScalar(defaultNode) && defaultNode.value !== null) {
    const v = (defaultNode as Scalar).value;
    const numeric = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    const bad = (type === 'float' && !Number.isFinite(numeric)) || (type === 'int' && !Number.isInteger(numeric));
    if (bad) {
      return [
        findingAt(
          parsed,
          defaultNode,
          'error',
          'mlproject-default-type',
          `The default ${JSON.stringify(v)} of "${name}" is not ${type === 'int' ? 'an int' : 'a float'}; change the default or the type.`,
        ),
      ];
    }
  }
  return [];
}

interface Placeholder {
  name: string;
  text: string;
}

/** `{name}` fields of a Python str.format template; `{{` and `}}` are literal braces. */
export function placeholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  const re = /\{\{|\}\}|\{([^{}]*)\}/g;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m[1] === undefined) continue;
    const name = (m[1].split(/[!:]/)[0] ?? '').split(/[.[]/)[0] ?? '';
    if (name !== '') found.push({ name, text: m[0] });
  }
  return found;
}

function placeholderRange(parsed: ParsedYaml, node: Node, text: string): ReturnType<ParsedYaml['lines']['range']> | undefined {
  const r = node.range;
  if (!r) return undefined;
  const at = parsed.text.slice(r[0], r[1]).indexOf(text);
  return at < 0 ? undefined : parsed.lines.range(r[0] + at, r[0] + at + text.length);
}
