import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import type { Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { expressionPath, findInterpolations } from '../pipeline/interpolation';
import type { ParsedYaml } from '../yaml/parseYaml';
import { findingAt } from './findings';

/**
 * Keys of a params file that no stage of the dvc.yaml beside it lists and no `${}` reads. Off by
 * default: params are often read by code directly, which no static check can see.
 */
export async function checkUnusedParams(parsed: ParsedYaml, files: FileAccess): Promise<Finding[]> {
  const dvcFile = join(dirname(parsed.file), 'dvc.yaml');
  const parse = await readDvcPipeline(dvcFile, files);
  if (parse === undefined || !isMap(parsed.doc.contents)) return [];
  const used: string[][] = [];
  let everything = false;
  for (const stage of parse.pipeline.stages) {
    for (const param of stage.params) {
      if (resolve(stage.wdir, param.file) !== parsed.file) continue;
      if (param.key === undefined || param.key === '') everything = true;
      else used.push(param.key.split('.'));
    }
  }
  if (everything) return [];
  const dvcText = (await files.readText(dvcFile)) ?? '';
  for (const match of findInterpolations(dvcText)) used.push(expressionPath(match.expression));

  const findings: Finding[] = [];
  const visit = (map: Node, path: string[]): void => {
    if (!isMap(map)) return;
    for (const pair of map.items as Pair<Node, Node | null>[]) {
      if (!isScalar(pair.key)) continue;
      const keyPath = [...path, String(pair.key.value)];
      const covered = used.some((u) => u.length <= keyPath.length && u.every((part, i) => part === keyPath[i]));
      if (covered) continue;
      const partly = used.some((u) => u.length > keyPath.length && keyPath.every((part, i) => part === u[i]));
      if (partly && isMap(pair.value)) visit(pair.value, keyPath);
      else {
        findings.push(
          findingAt(
            parsed,
            pair.key,
            'hint',
            'params-unused',
            `Param "${keyPath.join('.')}" is not used by any stage of dvc.yaml or any \${} in it.`,
            {
              key: keyPath.join('.'),
            },
          ),
        );
      }
    }
  };
  visit(parsed.doc.contents, []);
  return findings;
}
