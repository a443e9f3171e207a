import { dirname, join, resolve } from 'node:path';
import type { Position } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { fileKindOf } from '../fileKinds';
import { readDvcPipeline } from '../pipeline/dvcPipeline';
import { parseMlproject } from '../pipeline/mlproject';
import { parseYaml } from '../yaml/parseYaml';
import { dvcPlaceAt, interpolationSource, paramLookup, readDvcDocument, shownLocation, type DvcDocument } from './dvcPlaces';
import { describeDtype } from './dtypes';
import { dvcKeyDescription, shortValue } from './languageModel';
import type { HoverInfo } from './types';
import { nodeAtOffset } from './yamlCursor';

/** Hover text (markdown) at a position of a pipeline file, or undefined. Never throws. */
export async function hoverAt(file: string, text: string, position: Position, files: FileAccess): Promise<HoverInfo | undefined> {
  try {
    switch (fileKindOf(file)) {
      case 'dvc':
        return await dvcHover(await readDvcDocument(file, text, files), position, files);
      case 'dataSchema':
        return dtypeHover(file, text, position);
      case 'mlproject':
        return mlprojectHover(file, text, position);
      case 'params':
        return await paramsHover(file, text, position, files);
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

async function dvcHover(doc: DvcDocument, position: Position, files: FileAccess): Promise<HoverInfo | undefined> {
  const place = dvcPlaceAt(doc, position);
  if (!place) return undefined;
  switch (place.kind) {
    case 'interpolation': {
      const source = await interpolationSource(doc, place.expression, place.stage, files);
      if (source.loop !== undefined) {
        return {
          range: place.range,
          contents: `\`${place.expression}\`: set by the ${source.loop} of stage \`${place.stage ?? ''}\` for each generated stage.`,
        };
      }
      if (!source.found) return { range: place.range, contents: `\`${place.expression}\` is not defined in params.yaml or vars.` };
      const where = source.location ? ` — ${shownLocation(doc.file, source.location)}` : '';
      return { range: place.range, contents: `\`${place.expression}\` = \`${shortValue(source.value)}\`${where}` };
    }
    case 'param': {
      if (place.key.includes('${')) return undefined;
      const found = await paramLookup(place.paramsFile, place.key, files);
      if (!found?.found)
        return {
          range: place.range,
          contents: `\`${place.key}\` is not in ${shownLocation(doc.file, { file: place.paramsFile, range: place.range }).replace(/:\d+$/, '')}.`,
        };
      const users = doc.parse.pipeline.stages
        .filter((s) => s.params.some((p) => p.key === place.key && resolve(s.wdir, p.file) === place.paramsFile))
        .map((s) => `\`${s.name}\``);
      const where = found.location ? ` — ${shownLocation(doc.file, found.location)}` : '';
      const usedBy = users.length > 0 ? `\n\nUsed by ${users.join(', ')}.` : '';
      return { range: place.range, contents: `\`${place.key}\` = \`${shortValue(found.value)}\`${where}${usedBy}` };
    }
    case 'stage': {
      const stages = doc.parse.pipeline.stages.filter((s) => s.name === place.stage || s.template === place.stage);
      if (stages.length === 0) return undefined;
      const first = stages[0];
      const lines: string[] = [
        `**${place.stage}**${stages.length > 1 ? ` — generates ${stages.map((s) => `\`${s.name}\``).join(', ')}` : ''}`,
      ];
      if (first?.desc) lines.push(first.desc);
      for (const stage of stages.slice(0, 5)) for (const cmd of stage.cmd) lines.push(`\`\`\`sh\n${cmd}\n\`\`\``);
      if (stages.length > 5) lines.push(`… and ${stages.length - 5} more.`);
      if (first) {
        const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
        lines.push(
          [
            count(first.deps.length, 'dep'),
            count(first.params.length, 'param'),
            count(first.outs.length + first.metrics.length + first.plots.length, 'out'),
          ].join(' · ') + (first.frozen ? ' · frozen' : ''),
        );
      }
      return { range: place.range, contents: lines.join('\n\n') };
    }
    case 'key': {
      const description = dvcKeyDescription(place.path);
      return description ? { range: place.range, contents: description } : undefined;
    }
    default:
      return undefined;
  }
}

/** A key of params.yaml: which stages of the dvc.yaml beside it list it (or a parent, or the whole file). */
async function paramsHover(file: string, text: string, position: Position, files: FileAccess): Promise<HoverInfo | undefined> {
  const parsed = parseYaml(file, text);
  const at = nodeAtOffset(parsed.doc, parsed.lines.offset(position));
  if (!at?.isKey || at.path.some((p) => typeof p === 'number')) return undefined;
  const key = at.path.join('.');
  const r = at.node.range;
  if (!r) return undefined;
  const range = parsed.lines.range(r[0], r[1]);
  const dvc = await readDvcPipeline(join(dirname(file), 'dvc.yaml'), files);
  if (!dvc) return undefined;
  const users = dvc.pipeline.stages
    .filter((s) =>
      s.params.some(
        (p) =>
          resolve(s.wdir, p.file) === file &&
          (p.key === undefined || p.key === key || p.key.startsWith(`${key}.`) || key.startsWith(`${p.key}.`)),
      ),
    )
    .map((s) => `\`${s.name}\``);
  const used = users.length > 0 ? `Used by ${users.join(', ')}.` : 'No stage of dvc.yaml lists it.';
  return { range, contents: `\`${key}\` — ${used}` };
}

function dtypeHover(file: string, text: string, position: Position): HoverInfo | undefined {
  const parsed = parseYaml(file, text);
  const at = nodeAtOffset(parsed.doc, parsed.lines.offset(position));
  if (!at || at.isKey || at.path.length !== 2 || at.path[0] !== 'COLUMNS') return undefined;
  const dtype = String((at.node as { value?: unknown }).value ?? '');
  const r = at.node.range;
  if (!r) return undefined;
  return { range: parsed.lines.range(r[0], r[1]), contents: `**${dtype}** — ${describeDtype(dtype)}` };
}

function mlprojectHover(file: string, text: string, position: Position): HoverInfo | undefined {
  const { project } = parseMlproject(file, text);
  for (const entry of project.entryPoints) {
    for (const placeholder of entry.placeholders) {
      if (!placeholder.span || !within(placeholder.span.range, position)) continue;
      const parameter = entry.parameters.find((p) => p.name === placeholder.name);
      const contents = parameter
        ? `\`${parameter.name}\`: ${parameter.type}${parameter.default === undefined ? ' (required)' : `, default \`${String(parameter.default)}\``}`
        : `\`${placeholder.name}\` is not a parameter of entry point \`${entry.name}\`.`;
      return { range: placeholder.span.range, contents };
    }
  }
  return undefined;
}

export function within(range: { start: Position; end: Position }, p: Position): boolean {
  const after = p.line > range.start.line || (p.line === range.start.line && p.character >= range.start.character);
  const before = p.line < range.end.line || (p.line === range.end.line && p.character <= range.end.character);
  return after && before;
}
