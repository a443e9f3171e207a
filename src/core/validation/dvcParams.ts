import { basename, dirname, relative, resolve } from 'node:path';
import { SOURCE, type Finding } from '../diagnostic';
import type { DvcPipeline, StageParam } from '../pipeline/model';
import { didYouMean, didYouMeanSuffix } from './didYouMean';
import { dottedKeys, hasParam, type LoadedParams, type ParamsFiles } from './paramsFiles';

/**
 * dvc.yaml ↔ params: every key a stage lists exists in the params file it names (default
 * params.yaml in the stage's wdir), reported on the list item with the closest existing key.
 */
export async function checkDvcParams(pipeline: DvcPipeline, paramsFiles: ParamsFiles): Promise<Finding[]> {
  const findings: Finding[] = [];
  const suggestions = new Map<string, string[]>();
  const shown = (path: string): string => relative(dirname(pipeline.file), path) || basename(path);
  // Most params of most stages name the same file in the same folder.
  let lastFolder: string | undefined;
  let lastFile: string | undefined;
  let path = '';
  let loaded: LoadedParams = { state: 'missing' };
  for (const stage of pipeline.stages) {
    for (const param of stage.params) {
      if (param.span === undefined || param.span.file !== pipeline.file) continue;
      if (param.file.includes('${') || param.key?.includes('${')) continue;
      if (stage.wdir !== lastFolder || param.file !== lastFile) {
        lastFolder = stage.wdir;
        lastFile = param.file;
        path = resolve(stage.wdir, param.file);
        loaded = await paramsFiles.load(path);
      }
      if (loaded.state === 'missing') {
        findings.push(
          at(
            param,
            'error',
            'dvc-params-file-missing',
            `Stage "${stage.template ?? stage.name}" reads params from ${shown(path)}, which does not exist; create it or name another file.`,
            { paramsFile: path },
          ),
        );
        continue;
      }
      if (loaded.state !== 'ok' || param.key === undefined || param.key === '') continue;
      if (loaded.value === null || typeof loaded.value !== 'object' || Array.isArray(loaded.value)) {
        findings.push(
          at(
            param,
            'error',
            'dvc-params-not-mapping',
            `${shown(path)} is not a mapping of keys, so "${param.key}" cannot be found in it; make it key: value pairs.`,
            {
              paramsFile: path,
            },
          ),
        );
        continue;
      }
      if (hasParam(loaded.value, param.key)) continue;
      let keys = suggestions.get(path);
      if (keys === undefined) {
        keys = dottedKeys(loaded.value);
        suggestions.set(path, keys);
      }
      const suggestion = suggestKey(loaded.value, param.key, keys);
      findings.push(
        at(
          param,
          'error',
          'dvc-unknown-param',
          `Param "${param.key}" of stage "${stage.template ?? stage.name}" is not in ${shown(path)}.${didYouMeanSuffix(suggestion) || ' Add it to the params file or fix the name.'}`,
          { paramsFile: path, key: param.key, ...(suggestion === undefined ? {} : { replacement: suggestion }) },
        ),
      );
    }
  }
  return findings;
}

function at(param: StageParam, severity: Finding['severity'], code: string, message: string, data: Record<string, unknown>): Finding {
  const span = param.span as NonNullable<StageParam['span']>;
  return { file: span.file, range: span.range, severity, code, message, source: SOURCE, data };
}

/** A sibling when the parent exists (`split.tset_size` → `split.test_size`), else any close key. */
function suggestKey(value: unknown, key: string, keys: string[]): string | undefined {
  const cut = key.lastIndexOf('.');
  if (cut > 0 && hasParam(value, key.slice(0, cut))) {
    const parent = key.slice(0, cut + 1);
    const siblings = keys.filter((k) => k.startsWith(parent) && !k.slice(parent.length).includes('.')).map((k) => k.slice(parent.length));
    const near = didYouMean(key.slice(cut + 1), siblings);
    return near === undefined ? undefined : parent + near;
  }
  return didYouMean(key, keys);
}
