import { isAbsolute, join, normalize } from 'node:path';
import type { Position } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { parseMlproject } from '../pipeline/mlproject';
import { dvcPlaceAt, interpolationSource, paramLookup, producerOf, readDvcDocument } from './dvcPlaces';
import { within } from './hover';
import type { FileLocation } from './types';

const FILE_START = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Where the thing under the cursor is defined. Never throws; empty when nothing is. */
export async function definitionAt(file: string, text: string, position: Position, files: FileAccess): Promise<FileLocation[]> {
  try {
    if (fileKindOf(file) === 'mlproject') return mlprojectDefinition(file, text, position);
    if (fileKindOf(file) !== 'dvc') return [];
    const doc = await readDvcDocument(file, text, files);
    const place = dvcPlaceAt(doc, position);
    if (!place) return [];
    switch (place.kind) {
      case 'interpolation': {
        const source = await interpolationSource(doc, place.expression, place.stage, files);
        return source.location ? [source.location] : [];
      }
      case 'param': {
        if (place.key.includes('${')) return [];
        const found = await paramLookup(place.paramsFile, place.key, files);
        return found?.location ? [found.location] : [];
      }
      case 'paramsFile':
        return (await files.exists(place.paramsFile)) ? [{ file: place.paramsFile, range: FILE_START }] : [];
      case 'dep': {
        if (place.path.includes('${')) return [];
        const producer = producerOf(doc.parse.pipeline.stages, place.path, place.wdir);
        if (producer) return [producer.location];
        const target = normalize(isAbsolute(place.path) ? place.path : join(place.wdir, place.path));
        return (await files.exists(target)) ? [{ file: target, range: FILE_START }] : [];
      }
      default:
        return [];
    }
  } catch {
    return [];
  }
}

function mlprojectDefinition(file: string, text: string, position: Position): FileLocation[] {
  const { project } = parseMlproject(file, text);
  for (const entry of project.entryPoints) {
    for (const placeholder of entry.placeholders) {
      if (!placeholder.span || !within(placeholder.span.range, position)) continue;
      const parameter = entry.parameters.find((p) => p.name === placeholder.name);
      return parameter?.span ? [parameter.span] : [];
    }
  }
  return [];
}
