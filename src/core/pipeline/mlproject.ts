import { dirname } from 'node:path';
import { isMap, isPair, isScalar, type Node, type Pair } from 'yaml';
import { SOURCE, type Finding } from '../diagnostic';
import { parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import type { SourceSpan } from './model';

/** An MLflow Project: its environment and its entry points with typed parameters. */
export type MlprojectParameterType = 'float' | 'int' | 'string' | 'path' | 'uri';
export const MLPROJECT_PARAMETER_TYPES: readonly MlprojectParameterType[] = ['float', 'int', 'string', 'path', 'uri'];

export interface MlprojectParameter {
  name: string;
  /** As written; MLflow treats an unknown type as an error. */
  type: string;
  /** Undefined when the parameter is required (a bare type, or no default). */
  default?: string | number | boolean;
  span?: SourceSpan;
  typeSpan?: SourceSpan;
  defaultSpan?: SourceSpan;
}

export interface MlprojectEntryPoint {
  name: string;
  command: string;
  parameters: MlprojectParameter[];
  /** `{name}` placeholders in the command, in order of appearance. */
  placeholders: { name: string; span?: SourceSpan }[];
  span?: SourceSpan;
  commandSpan?: SourceSpan;
}

export type MlprojectEnvironment =
  { kind: 'conda_env' | 'python_env'; file: string; span?: SourceSpan } | { kind: 'docker_env'; image: string; span?: SourceSpan };

export interface Mlproject {
  /** Absolute path of the MLproject file. */
  file: string;
  /** The project folder (what `mlflow run` is given). */
  dir: string;
  name?: string;
  nameSpan?: SourceSpan;
  /** Every environment key written (more than one is an error MLflow reports). */
  environments: MlprojectEnvironment[];
  entryPoints: MlprojectEntryPoint[];
}

export interface MlprojectParse {
  project: Mlproject;
  problems: Finding[];
  yaml: ParsedYaml;
}

/** Parses an MLproject file keeping the position of every name, type, default and placeholder. */
export function parseMlproject(file: string, text: string): MlprojectParse {
  try {
    return parseProject(file, text);
  } catch (error) {
    // Nesting deep enough to exhaust the stack is refused with a finding, not thrown.
    if (!(error instanceof RangeError)) throw error;
    const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
    return {
      project: { file, dir: dirname(file), environments: [], entryPoints: [] },
      problems: [
        {
          file,
          range,
          severity: 'error',
          code: 'mlproject-too-deep',
          message: 'The MLproject is nested too deeply to read; simplify its structure.',
          source: SOURCE,
        },
      ],
      yaml: parseYaml(file, ''),
    };
  }
}

function parseProject(file: string, text: string): MlprojectParse {
  const yaml = parseYaml(file, text);
  const project: Mlproject = { file, dir: dirname(file), environments: [], entryPoints: [] };
  const problems: Finding[] = [];
  const span = (node: unknown): SourceSpan | undefined => {
    const range = (node as Node | undefined)?.range;
    return range ? { file, range: yaml.lines.range(range[0], range[1]) } : undefined;
  };
  const root = yaml.doc.contents;
  if (!isMap(root)) return { project, problems, yaml };
  for (const pair of root.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const value = pair.value as Node | null;
    if (key === 'name' && isScalar(value)) {
      project.name = String(value.value);
      const nameSpan = span(value);
      if (nameSpan) project.nameSpan = nameSpan;
    } else if ((key === 'conda_env' || key === 'python_env') && isScalar(value)) {
      project.environments.push({ kind: key, file: String(value.value), ...optional('span', span(value)) });
    } else if (key === 'docker_env') {
      const image = isMap(value) ? value.get('image') : undefined;
      project.environments.push({
        kind: 'docker_env',
        image: image === undefined ? '' : String(image),
        ...optional('span', span(pair.key)),
      });
    } else if (key === 'entry_points' && isMap(value)) {
      for (const entryPair of value.items) {
        if (isPair(entryPair) && isScalar(entryPair.key)) project.entryPoints.push(entryPoint(entryPair as Pair<Node, Node>, span, text));
      }
    }
  }
  if (project.environments.length > 1) {
    const second = project.environments[1];
    const range = second?.span?.range ?? yaml.lines.range(0, 1);
    problems.push({
      file,
      range,
      severity: 'error',
      code: 'mlproject-multiple-environments',
      message: 'An MLproject may name only one of conda_env, python_env and docker_env: remove the others.',
      source: SOURCE,
    });
  }
  return { project, problems, yaml };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function entryPoint(pair: Pair<Node, Node>, span: (node: unknown) => SourceSpan | undefined, text: string): MlprojectEntryPoint {
  const name = String((pair.key as unknown as { value: unknown }).value);
  const body = pair.value;
  const entry: MlprojectEntryPoint = { name, command: '', parameters: [], placeholders: [], ...optional('span', span(pair.key)) };
  if (!isMap(body)) return entry;
  const commandNode = body.items.find((p) => isScalar(p.key) && p.key.value === 'command')?.value;
  if (isScalar(commandNode)) {
    entry.command = String(commandNode.value);
    const commandSpan = span(commandNode);
    if (commandSpan) entry.commandSpan = commandSpan;
    const [start, end] = commandNode.range ?? [0, 0];
    const raw = text.slice(start, end);
    for (const match of entry.command.matchAll(/\{([^{}\s]+)\}/g)) {
      const placeholder = match[0];
      const at = raw.indexOf(placeholder);
      const placeholderSpan = at >= 0 ? span({ range: [start + at, start + at + placeholder.length] }) : span(commandNode);
      entry.placeholders.push({ name: match[1] ?? '', ...optional('span', placeholderSpan) });
    }
  }
  const parameters = body.items.find((p) => isScalar(p.key) && p.key.value === 'parameters')?.value;
  if (isMap(parameters)) {
    for (const paramPair of parameters.items) {
      if (!isScalar(paramPair.key)) continue;
      const param: MlprojectParameter = { name: String(paramPair.key.value), type: 'string', ...optional('span', span(paramPair.key)) };
      const spec = paramPair.value;
      if (isScalar(spec)) {
        // A bare type: the parameter is required.
        param.type = String(spec.value);
        const typeSpan = span(spec);
        if (typeSpan) param.typeSpan = typeSpan;
      } else if (isMap(spec)) {
        for (const field of spec.items) {
          if (!isScalar(field.key) || !isScalar(field.value)) continue;
          if (field.key.value === 'type') {
            param.type = String(field.value.value);
            const typeSpan = span(field.value);
            if (typeSpan) param.typeSpan = typeSpan;
          } else if (field.key.value === 'default') {
            const value = field.value.value;
            if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') param.default = value;
            const defaultSpan = span(field.value);
            if (defaultSpan) param.defaultSpan = defaultSpan;
          }
        }
      }
      entry.parameters.push(param);
    }
  }
  return entry;
}

/** Why a value does not fit a parameter type, or undefined when it does (MLflow's own rules). */
export function checkParameterValue(type: string, value: string): string | undefined {
  const trimmed = value.trim();
  if (type === 'float') return trimmed !== '' && Number.isFinite(Number(trimmed)) ? undefined : `'${value}' is not a number.`;
  if (type === 'int') return /^[-+]?\d+$/.test(trimmed) ? undefined : `'${value}' is not a whole number.`;
  if (type === 'path' || type === 'uri' || type === 'string') return undefined;
  return `'${type}' is not an MLproject parameter type (use float, int, string, path or uri).`;
}

/**
 * The `mlflow run` arguments for an entry point with the given values: defaults fill what is not
 * given; a required parameter without a value is reported instead.
 */
export function mlflowRunArgs(
  project: Mlproject,
  entryPointName: string,
  values: Record<string, string>,
): { args: string[] } | { error: string } {
  const entry = project.entryPoints.find((e) => e.name === entryPointName);
  if (!entry) return { error: `The MLproject has no entry point '${entryPointName}'.` };
  const args = ['run', project.dir, '-e', entry.name];
  for (const param of entry.parameters) {
    const value = values[param.name] ?? (param.default === undefined ? undefined : String(param.default));
    if (value === undefined) return { error: `Parameter '${param.name}' of entry point '${entry.name}' has no default: give it a value.` };
    const problem = checkParameterValue(param.type, value);
    if (problem) return { error: `Parameter '${param.name}': ${problem}` };
    args.push('-P', `${param.name}=${value}`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (!entry.parameters.some((p) => p.name === name)) args.push('-P', `${name}=${value}`);
  }
  return { args };
}
