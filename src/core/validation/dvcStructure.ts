import type { Node } from 'yaml';
import dvcSchema from '../../../schemas/dvc.schema.json';
import type { Finding } from '../diagnostic';
import { hasValue, keyNodeAt, type ParsedYaml } from '../yaml/parseYaml';
import { didYouMean, didYouMeanSuffix } from './didYouMean';
import { findingAt } from './findings';
import { describeType, describeTypes, SchemaOnYaml, type JsonSchema, type Path, type SchemaIssue } from './schemaOnYaml';

let walker: SchemaOnYaml | undefined;

/**
 * dvc.yaml structure against the shipped schema: unknown keys (with a suggestion), wrong types,
 * missing `cmd`. A `${...}` value is accepted wherever DVC would substitute it first.
 */
export function checkDvcStructure(parsed: ParsedYaml): Finding[] {
  if (!hasValue(parsed) || parsed.doc.contents === null) return [];
  walker ??= new SchemaOnYaml(dvcSchema as JsonSchema);
  const issues = walker.validate(parsed.doc.contents as Node);
  // `cmdd:` is one mistake: report the typo, not also the missing `cmd`.
  const typoFor = new Set(
    issues.flatMap((i) => (i.kind === 'unknown-key' ? [`${i.path.slice(0, -1).join('\0')}\0${didYouMean(i.name, i.known) ?? ''}`] : [])),
  );
  return issues
    .filter((i) => !(i.kind === 'missing-key' && typoFor.has(`${i.path.join('\0')}\0${i.name}`)))
    .map((issue) => toFinding(parsed, issue));
}

function where(path: Path): string {
  if (path[0] === 'stages' && typeof path[1] === 'string') {
    const rest = path.slice(2).filter((p) => p !== 'do');
    const [field, index, out] = rest;
    if (rest.length === 3 && typeof index === 'number' && (field === 'outs' || field === 'metrics' || field === 'plots')) {
      return `${field} entry "${String(out)}" of stage "${path[1]}"`;
    }
    return rest.length === 0 ? `stage "${path[1]}"` : `"${rest.join('.')}" of stage "${path[1]}"`;
  }
  return path.length === 0 ? 'dvc.yaml' : `"${path.join('.')}"`;
}

function parentWhere(path: Path): string {
  const parent = path.slice(0, -1);
  if (parent.length === 0) return 'at the top of dvc.yaml';
  return `in ${where(parent)}`;
}

function toFinding(parsed: ParsedYaml, issue: SchemaIssue): Finding {
  switch (issue.kind) {
    case 'unknown-key': {
      const suggestion = didYouMean(issue.name, issue.known);
      const known = issue.known.length > 0 && suggestion === undefined ? ` Known keys: ${issue.known.join(', ')}.` : '';
      return findingAt(
        parsed,
        issue.key,
        'error',
        'dvc-unknown-key',
        `DVC does not know the key "${issue.name}" ${parentWhere(issue.path)}.${didYouMeanSuffix(suggestion)}${known}`,
        suggestion === undefined ? undefined : { replacement: suggestion },
      );
    }
    case 'wrong-type':
      return findingAt(
        parsed,
        issue.node ?? issue.key,
        'error',
        'dvc-wrong-type',
        `${capitalise(where(issue.path))} must be ${describeTypes(issue.expected)}, not ${describeType(issue.actual)}.`,
      );
    case 'missing-key': {
      const isStage = issue.path[0] === 'stages' && (issue.path.length === 2 || (issue.path.length === 3 && issue.path[2] === 'do'));
      const anchor = stageKeyNode(parsed, issue.path) ?? issue.node;
      if (isStage && issue.name === 'cmd') {
        return findingAt(
          parsed,
          anchor,
          'error',
          'dvc-missing-cmd',
          `Stage "${String(issue.path[1])}" has no cmd; add the command that runs it.`,
        );
      }
      return findingAt(parsed, anchor, 'error', 'dvc-missing-key', `${capitalise(where(issue.path))} needs the key "${issue.name}".`);
    }
    case 'invalid-value':
      return findingAt(parsed, issue.node, 'error', 'dvc-invalid-value', `${capitalise(where(issue.path))} ${issue.reason}.`);
    case 'duplicate-item':
      return findingAt(
        parsed,
        issue.node,
        'error',
        'dvc-duplicate-entry',
        `"${issue.value}" is listed twice in ${where(issue.path.slice(0, -1))}; remove one.`,
      );
  }
}

/** The key node of the mapping at `path` (for stages: the stage name), so squiggles sit on a name. */
function stageKeyNode(parsed: ParsedYaml, path: Path): Node | undefined {
  const target = path[path.length - 1] === 'do' ? path.slice(0, -1) : path;
  if (target.length === 0) return undefined;
  return keyNodeAt(parsed.doc, target);
}

function capitalise(text: string): string {
  return text.length === 0 ? text : (text[0] as string).toUpperCase() + text.slice(1);
}
