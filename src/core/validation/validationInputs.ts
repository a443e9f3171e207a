import { dirname, join, resolve } from 'node:path';
import { diskFileAccess, type FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseDvcPipeline } from '../pipeline/dvcPipeline';
import { parseYamlCached } from '../yaml/parseYaml';
import { dataFileCandidates } from './dataContract';
import type { ValidationOptions } from './options';
import { findParamsSchema } from './paramsSchema';

/**
 * The other files whose content or existence changes the findings of `path`: params files and
 * vars files of a dvc.yaml, the schema of a params file (and its dvc.yaml when unused keys are
 * reported), config/config.yaml and the CSV of a data contract, the environment files of an
 * MLproject. A watcher re-validates `path` when any of them is created, changed or deleted.
 * Never throws; paths are absolute.
 */
export async function validationInputs(
  path: string,
  files: FileAccess = diskFileAccess,
  options: ValidationOptions = {},
): Promise<string[]> {
  try {
    const kind = fileKindOf(path);
    const folder = dirname(path);
    const text = await files.readText(path);
    const inputs = new Set<string>();
    switch (kind) {
      case 'dvc': {
        inputs.add(join(folder, 'params.yaml'));
        if (text === undefined) break;
        const parsed = parseYamlCached(path, text);
        const { pipeline } = await parseDvcPipeline(path, parsed, files);
        for (const stage of pipeline.stages) for (const param of stage.params) inputs.add(resolve(stage.wdir, param.file));
        // A `vars` key is written as such (or with an escape); only then is the plain value built.
        if (!text.includes('vars') && !text.includes('\\')) break;
        const value = parsed.value as { vars?: unknown; stages?: Record<string, { vars?: unknown; wdir?: unknown }> } | undefined;
        const varFiles = (vars: unknown, base: string): void => {
          if (!Array.isArray(vars)) return;
          for (const entry of vars) if (typeof entry === 'string') inputs.add(resolve(base, entry.split(':')[0] ?? entry));
        };
        varFiles(value?.vars, folder);
        for (const stage of Object.values(value?.stages ?? {})) {
          if (stage !== null && typeof stage === 'object')
            varFiles(stage.vars, typeof stage.wdir === 'string' ? resolve(folder, stage.wdir) : folder);
        }
        break;
      }
      case 'params': {
        if (text !== undefined) {
          const source = await findParamsSchema(parseYamlCached(path, text), files, options);
          if (source !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source.location)) inputs.add(source.location);
        }
        inputs.add(join(folder, 'params.schema.json'));
        inputs.add(join(folder, 'params.schema.yaml'));
        if (options.reportUnusedParams === true) inputs.add(join(folder, 'dvc.yaml'));
        break;
      }
      case 'dataSchema':
        inputs.add(join(folder, 'config', 'config.yaml'));
        for (const candidate of await dataFileCandidates(path, files, options)) inputs.add(candidate);
        break;
      case 'mlproject': {
        const value = text === undefined ? undefined : (parseYamlCached(path, text).value as Record<string, unknown> | undefined);
        for (const key of ['conda_env', 'python_env']) {
          const env = value?.[key];
          if (typeof env === 'string' && env !== '') inputs.add(resolve(folder, env));
        }
        break;
      }
      default:
        break;
    }
    inputs.delete(path);
    return [...inputs].sort();
  } catch {
    return [];
  }
}
