import { relative } from 'node:path';
import { fileKindOf } from '../fileKinds';
import { globToRegExp } from '../validation/globMatch';

/**
 * Red Hat YAML (`redhat.vscode-yaml`) validates dvc.yaml against SchemaStore's DVC schema, so each
 * structural mistake would be reported twice: by us (with a did-you-mean) and by it ("Missing
 * property …"). Its extension API lets another extension answer, per file, which schema to use,
 * ahead of `yaml.schemas` and SchemaStore; we answer with a schema that accepts anything for the
 * files we validate. YAML syntax, formatting and its other features stay Red Hat's.
 */

/** The URI scheme our contributor owns, and the one schema it serves. */
export const YAML_CONTRIBUTOR_SCHEME = 'mlops-workbench';
export const PERMISSIVE_SCHEMA_URI = `${YAML_CONTRIBUTOR_SCHEME}://schemas/validated-by-mlops-workbench.json`;
export const PERMISSIVE_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Validated by MLOps Workbench',
  description:
    'MLOps Workbench checks this file (structure, params, graph); set mlops.validation.replaceRedHatYamlSchema to false to use the SchemaStore schema as well.',
});

/** The kinds whose structure our server checks and Red Hat YAML could check as well. */
const OURS = new Set(['dvc', 'dataSchema', 'mlproject']);

export interface RedHatYamlSettings {
  /** `mlops.validation.replaceRedHatYamlSchema` (default true). */
  replace: boolean;
  /** `yaml.schemas`: schema URL → glob or globs. */
  yamlSchemas?: unknown;
  /** The workspace folder of the file, for relative globs. */
  root?: string;
}

/** Whether the user mapped this file to a schema in `yaml.schemas` themselves. */
export function mappedByUser(path: string, yamlSchemas: unknown, root: string | undefined): boolean {
  if (yamlSchemas === null || typeof yamlSchemas !== 'object' || Array.isArray(yamlSchemas)) return false;
  const slash = (p: string): string => p.split('\\').join('/');
  const abs = slash(path);
  const rel = root === undefined ? undefined : slash(relative(root, path));
  const name = abs.slice(abs.lastIndexOf('/') + 1);
  for (const globs of Object.values(yamlSchemas as Record<string, unknown>)) {
    for (const glob of Array.isArray(globs) ? globs : [globs]) {
      if (typeof glob !== 'string' || glob.startsWith('!')) continue;
      const g = slash(glob).replace(/^\.\//, '');
      const re = globToRegExp(g);
      if (re.test(abs) || (rel !== undefined && re.test(rel)) || (!g.includes('/') && re.test(name)) || re.test(`/${rel ?? name}`))
        return true;
    }
  }
  return false;
}

/**
 * The schema Red Hat YAML should use for a file: ours (permissive) for the files we validate,
 * undefined (Red Hat's own choice) for everything else, when the setting is off, or when the user
 * mapped the file in `yaml.schemas` (an explicit choice wins over ours).
 */
export function schemaForRedHatYaml(path: string | undefined, settings: RedHatYamlSettings): string | undefined {
  if (!settings.replace || path === undefined) return undefined;
  if (!OURS.has(fileKindOf(path) ?? '')) return undefined;
  if (mappedByUser(path, settings.yamlSchemas, settings.root)) return undefined;
  return PERMISSIVE_SCHEMA_URI;
}

/** The content of a schema URI our contributor returned; undefined for any other URI. */
export function contributedSchemaContent(uri: string): string | undefined {
  return uri === PERMISSIVE_SCHEMA_URI ? PERMISSIVE_SCHEMA : undefined;
}

/** Client → server: `{ redHat: boolean }`, whether Red Hat YAML reports YAML syntax in open YAML files. */
export const YAML_SYNTAX_OWNER_NOTIFICATION = 'mlops/yamlSyntaxOwner';

/** The syntax findings Red Hat YAML reports as well (same parser, eemeli/yaml). Alias bombs stay ours. */
const SYNTAX_CODES = new Set(['yaml-syntax', 'yaml-duplicate-key', 'yaml-tab-indent', 'yaml-warning']);

/**
 * The findings to show for an open file when Red Hat YAML reports its syntax: all but the syntax
 * ones, for the YAML files it sees (MLproject has its own language, so it is not one of them).
 */
export function withoutRedHatSyntax<T extends { code?: string | number }>(path: string, findings: T[]): T[] {
  const kind = fileKindOf(path);
  if (kind === undefined || kind === 'mlproject' || kind === 'dockerfile') return findings;
  return findings.filter((f) => !SYNTAX_CODES.has(String(f.code)));
}
