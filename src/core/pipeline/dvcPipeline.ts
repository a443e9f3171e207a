import { dirname, join, normalize } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { SOURCE, type Finding, type Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { parseParamsDocument } from '../params/paramLookup';
import { ContentCache } from '../yaml/contentCache';
import { isBlockDocument } from '../yaml/fastBlockYaml';
import { parseYamlCached, type ParsedYaml } from '../yaml/parseYaml';
import {
  interpolateString,
  isCtxDict,
  isMapOrSeq,
  locateInScalar,
  nodeToContext,
  pythonStr,
  resolveAlias,
  scalarToContext,
  toDvcString,
  toPlain,
  type CtxDict,
  type CtxValue,
} from './interpolation';
import type { DvcPipeline, PipelineStage, SourceSpan, StageParam, StagePath } from './model';

export interface DvcPipelineParse {
  pipeline: DvcPipeline;
  /** What could not be resolved (unresolved `${}`, foreach over a scalar, missing cmd, bad vars). */
  problems: Finding[];
  /** The global interpolation context (params.yaml of the folder plus top-level `vars`). */
  context: Record<string, unknown>;
  /** Syntax findings of the dvc.yaml itself. */
  yamlFindings: Finding[];
  /** Where the global context came from, in load order (for go-to-definition of `${}`). */
  contextSources: ContextSource[];
}

export interface ContextSource {
  /** Absolute path of a params/vars file, or the dvc.yaml for inline vars. */
  file: string;
  /** Top-level keys taken from the file (`file.yaml:a,b`); undefined for the whole file. */
  keys?: string[];
  /** The `vars` entry that loaded it (absent for the default params.yaml). */
  span?: SourceSpan;
}

export const DEFAULT_PARAMS_FILE = 'params.yaml';

/**
 * Parses a dvc.yaml the way DVC does: loads params.yaml beside it and the `vars` into the
 * interpolation context, expands foreach/matrix into DVC's generated stage names, resolves `${}`
 * in every value, and keeps where each stage, dep, out and param was written. Never throws: what
 * DVC would refuse becomes a problem and the rest of the pipeline is still returned.
 */
export async function parseDvcPipeline(file: string, source: string | ParsedYaml, files: FileAccess): Promise<DvcPipelineParse> {
  const parsed = typeof source === 'string' ? parseYamlCached(file, source) : source;
  const cached = lastParses.get(file);
  if (cached !== undefined && cached.parsed.text === parsed.text && (await sameInputs(cached.inputs, files))) {
    // The same text, on a document parsed again (another request), still reads the same files.
    return cached.result;
  }
  const inputs = new Map<string, string | undefined>();
  const recording: FileAccess = {
    readText: async (path) => {
      const text = await files.readText(path);
      inputs.set(path, text);
      return text;
    },
    exists: (path) => files.exists(path),
  };
  const result = await parseDvcPipelineUncached(file, parsed, recording);
  lastParses.set(file, { parsed, inputs, result });
  if (lastParses.size > MAX_CACHED_PIPELINES) {
    const oldest = lastParses.keys().next().value;
    if (oldest !== undefined) lastParses.delete(oldest);
  }
  return result;
}

/**
 * The last parse of each dvc.yaml, with the text of every params and vars file it read: valid while
 * the dvc.yaml and those files read the same. The language server asks for it on every diagnostics
 * pull, for the files a document depends on, and for hover, completion and go-to-definition.
 */
const lastParses = new Map<string, { parsed: ParsedYaml; inputs: Map<string, string | undefined>; result: DvcPipelineParse }>();
const MAX_CACHED_PIPELINES = 8;

async function sameInputs(inputs: Map<string, string | undefined>, files: FileAccess): Promise<boolean> {
  for (const [path, text] of inputs) if ((await files.readText(path)) !== text) return false;
  return true;
}

/** Forgets every cached pipeline parse (tests). */
export function clearPipelineCache(): void {
  lastParses.clear();
  contextFiles.clear();
}

/**
 * `parseDvcPipeline` without the cache of last parses: for a document made from part of a dvc.yaml
 * (one stage with the file's other keys), which must not replace the parse of the whole file that
 * hover and completion read.
 *
 * `contextWhenUsed` (for validation, which reads only the stages and the problems) leaves the
 * interpolation context empty when nothing in a document of the fast reader (no escapes) can read
 * it: no `${` and no `vars`. Loading
 * params.yaml into it reports nothing by itself, so the stages and the problems are the same; only
 * `context` and `contextSources`, which completion and go-to-definition read, are left empty.
 */
export async function parseDvcPipelineUncached(
  file: string,
  parsed: ParsedYaml,
  files: FileAccess,
  options: { contextWhenUsed?: boolean } = {},
): Promise<DvcPipelineParse> {
  try {
    // Only where the text is what the nodes hold: a document of the fast reader has no escapes.
    const contextUnused =
      options.contextWhenUsed === true && isBlockDocument(parsed.doc) && !parsed.text.includes('${') && !parsed.text.includes('vars');
    return await parsePipeline(file, parsed, files, !contextUnused);
  } catch (error) {
    // Nesting deep enough to exhaust the stack (with aliases multiplying it) is refused, not thrown.
    if (!(error instanceof RangeError)) throw error;
    const problem: Finding = {
      file,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      severity: 'error',
      code: 'dvc-too-deep',
      message: 'dvc.yaml is nested too deeply to read; simplify its structure.',
      source: SOURCE,
    };
    return { pipeline: { file, stages: [] }, problems: [problem], context: {}, yamlFindings: [], contextSources: [] };
  }
}

async function parsePipeline(file: string, parsed: ParsedYaml, files: FileAccess, loadContext = true): Promise<DvcPipelineParse> {
  const parser = new PipelineParser(parsed, files, loadContext);
  const stages = await parser.parse();
  const globalContext = parser.globalContext;
  let context: Record<string, unknown> | undefined;
  const result: DvcPipelineParse = {
    pipeline: { file, stages },
    problems: parser.problems,
    // Only completion reads it, and converting a large params.yaml costs as much as a stage list.
    get context() {
      context ??= toPlain(globalContext) as Record<string, unknown>;
      return context;
    },
    yamlFindings: parsed.findings,
    contextSources: parser.contextSources,
  };
  budgetsUsed.set(result, { resolveSteps: parser.resolveStepsUsed, generatedStages: parser.generatedStages });
  return result;
}

/** How much of the parser's budgets a parse used; parses of part of a file add up to the whole. */
export interface PipelineBudgets {
  /** Values resolved (the limit is MAX_RESOLVE_STEPS per parse). */
  resolveSteps: number;
  /** Stages generated by foreach/matrix (the limit is MAX_GENERATED_STAGES per parse). */
  generatedStages: number;
}

const budgetsUsed = new WeakMap<DvcPipelineParse, PipelineBudgets>();

/** The budgets a parse used; undefined for a parse that did not run the parser (too deep). */
export function pipelineBudgets(parse: DvcPipelineParse): PipelineBudgets | undefined {
  return budgetsUsed.get(parse);
}

/** Reads and parses a dvc.yaml from a FileAccess; undefined when it cannot be read. */
export async function readDvcPipeline(file: string, files: FileAccess): Promise<DvcPipelineParse | undefined> {
  const text = await files.readText(file);
  if (text === undefined) return undefined;
  return parseDvcPipeline(file, text, files);
}

/**
 * A stage with nothing filled in yet, as the parser starts every stage (the plain stage reader
 * builds the same, so both give objects of one shape).
 */
export function newStage(name: string, wdir: string, span: SourceSpan, template?: string): PipelineStage {
  return {
    name,
    ...(template !== undefined ? { template } : {}),
    cmd: [],
    wdir,
    deps: [],
    outs: [],
    metrics: [],
    plots: [],
    params: [],
    frozen: false,
    alwaysChanged: false,
    span,
  };
}

const MISSING = Symbol('missing');
/** Upper bounds that keep a hostile file (alias bombs, huge matrices) from hanging the editor. */
const MAX_CONTEXT_NODES = 200_000;
export const MAX_RESOLVE_STEPS = 1_000_000;
export const MAX_GENERATED_STAGES = 100_000;

class PipelineParser {
  readonly problems: Finding[] = [];
  readonly contextSources: ContextSource[] = [];
  globalContext: CtxDict = {};
  private recordSources = true;
  private resolveSteps = MAX_RESOLVE_STEPS;
  private generated = 0;
  private readonly dir: string;
  private readonly seenProblems = new Set<string>();
  /** Files loaded fully (`undefined`) or partly (their keys), as DVC tracks them to refuse reloads. */
  private globalImports = new Map<string, string[] | undefined>();

  constructor(
    private readonly yaml: ParsedYaml,
    private readonly files: FileAccess,
    /** Whether to load params.yaml and `vars` into the context (see `parseDvcPipelineUncached`). */
    private readonly loadContext = true,
  ) {
    this.dir = dirname(yaml.file);
  }

  /** Values resolved so far (the budget is MAX_RESOLVE_STEPS). */
  get resolveStepsUsed(): number {
    return MAX_RESOLVE_STEPS - this.resolveSteps;
  }

  /** Stages generated by foreach/matrix so far (the budget is MAX_GENERATED_STAGES). */
  get generatedStages(): number {
    return this.generated;
  }

  private get doc(): Document.Parsed {
    return this.yaml.doc;
  }

  async parse(): Promise<PipelineStage[]> {
    // An alias bomb is already reported by the YAML parser; expanding it here would hang.
    if (this.yaml.findings.some((f) => f.code === 'yaml-alias-bomb')) return [];
    const root = this.deref(this.doc.contents);
    if (!isMap(root)) return [];
    const varsNode = this.pairOf(root, 'vars');
    const context: CtxDict = {};
    if (this.loadContext) {
      await this.loadParamsFileInto(context, this.globalImports, DEFAULT_PARAMS_FILE, this.dir, undefined, true);
      if (varsNode) await this.loadVars(context, this.globalImports, varsNode.value, this.dir);
    }
    this.globalContext = context;
    this.recordSources = false;
    const stagesPair = this.pairOf(root, 'stages');
    const stagesNode = stagesPair ? this.deref(stagesPair.value) : undefined;
    const stages: PipelineStage[] = [];
    if (!isMap(stagesNode)) return stages;
    for (const pair of stagesNode.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const keyNode = pair.key as Node;
      const definition = this.deref(pair.value);
      if (!isMap(definition)) {
        this.problem(keyNode, 'dvc-stage-type', `Stage '${name}' must be a mapping with at least a cmd.`);
        continue;
      }
      if (this.pairOf(definition, 'matrix')) stages.push(...(await this.expandMatrix(name, keyNode, definition)));
      else if (this.pairOf(definition, 'foreach')) stages.push(...(await this.expandForeach(name, keyNode, definition)));
      else {
        const stage = await this.buildStage(name, keyNode, definition, context);
        if (stage) stages.push(stage);
      }
    }
    return stages;
  }

  private async expandForeach(name: string, keyNode: Node, definition: YAMLMap): Promise<PipelineStage[]> {
    const foreachPair = this.pairOf(definition, 'foreach');
    const doPair = this.pairOf(definition, 'do');
    const foreachNode = foreachPair?.value as Node | undefined;
    const iterable = this.resolveIterable(foreachNode, 'foreach');
    if (iterable === MISSING) return [];
    if (!isMapOrSeq(iterable.value)) {
      this.problem(
        foreachNode ?? keyNode,
        'dvc-foreach-type',
        `foreach of stage '${name}' must be a list or a dictionary, not ${typeName(iterable.value)}.`,
      );
      return [];
    }
    const template = doPair ? this.deref(doPair.value) : undefined;
    if (!isMap(template)) {
      this.problem(keyNode, 'dvc-missing-do', `Stage '${name}' has foreach but no 'do' mapping with the stage to generate.`);
      return [];
    }
    const entries: [string, CtxValue][] = [];
    const value = iterable.value;
    if (isCtxDict(value)) {
      for (const [key, item] of Object.entries(value)) entries.push([key, item]);
    } else if (Array.isArray(value)) {
      if (value.some(isMapOrSeq)) value.forEach((item, index) => entries.push([String(index), item]));
      else for (const item of value) entries.push([iterable.fromContext ? pythonStr(item) : toDvcString(item), item]);
    }
    const stages: PipelineStage[] = [];
    const seen = new Set<string>();
    for (const [key, item] of entries) {
      if (!this.mayGenerate(keyNode)) break;
      if (seen.has(key)) continue;
      seen.add(key);
      const context: CtxDict = { ...this.globalContext, item };
      if (isCtxDict(value)) context.key = key;
      const stage = await this.buildStage(`${name}@${key}`, keyNode, template, context, name);
      if (stage) stages.push(stage);
    }
    return stages;
  }

  private async expandMatrix(name: string, keyNode: Node, definition: YAMLMap): Promise<PipelineStage[]> {
    const matrixNode = this.deref(this.pairOf(definition, 'matrix')?.value);
    if (!isMap(matrixNode)) {
      this.problem(matrixNode ?? keyNode, 'dvc-foreach-type', `matrix of stage '${name}' must be a dictionary of lists.`);
      return [];
    }
    const axes: { name: string; values: CtxValue[]; fromContext: boolean }[] = [];
    for (const pair of matrixNode.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const axis = String(pair.key.value);
      const resolved = this.resolveIterable(pair.value as Node | undefined, 'matrix');
      if (resolved === MISSING) return [];
      if (!Array.isArray(resolved.value)) {
        this.problem(
          (pair.value as Node | undefined) ?? (pair.key as Node),
          'dvc-foreach-type',
          `matrix entry '${axis}' of stage '${name}' must be a list, not ${typeName(resolved.value)}.`,
        );
        return [];
      }
      axes.push({ name: axis, values: resolved.value, fromContext: resolved.fromContext });
    }
    const stages: PipelineStage[] = [];
    const seen = new Set<string>();
    const combine = async (index: number, fragments: string[], item: CtxDict): Promise<void> => {
      if (index === axes.length) {
        if (!this.mayGenerate(keyNode)) return;
        const key = fragments.join('-');
        if (seen.has(key)) return;
        seen.add(key);
        const context: CtxDict = { ...this.globalContext, item: { ...item }, key };
        const stage = await this.buildStage(`${name}@${key}`, keyNode, definition, context, name, new Set(['matrix']));
        if (stage) stages.push(stage);
        return;
      }
      const axis = axes[index];
      if (!axis) return;
      for (let i = 0; i < axis.values.length && this.generated <= MAX_GENERATED_STAGES; i++) {
        const value = axis.values[i] ?? null;
        const fragment = isMapOrSeq(value) ? `${axis.name}${i}` : axis.fromContext ? pythonStr(value) : toDvcString(value);
        await combine(index + 1, [...fragments, fragment], { ...item, [axis.name]: value });
      }
    };
    if (axes.length > 0) await combine(0, [], {});
    return stages;
  }

  private mayGenerate(keyNode: Node): boolean {
    if (++this.generated <= MAX_GENERATED_STAGES) return true;
    this.problem(
      keyNode,
      'dvc-too-many-stages',
      `This pipeline generates more than ${MAX_GENERATED_STAGES} stages; only the first ones are shown.`,
    );
    return false;
  }

  /** foreach/matrix data: a literal list/dict (itself interpolated) or one `${ref}`. */
  private resolveIterable(node: Node | undefined, key: string): { value: CtxValue; fromContext: boolean } | typeof MISSING {
    const target = this.deref(node);
    if (isScalar(target) && typeof target.value === 'string') {
      const before = this.problems.length;
      const result = this.resolveScalar(target, this.globalContext, key);
      if (this.problems.length > before) return MISSING;
      const exact = /^\$\{[^}]*\}$/.test(target.value);
      return { value: result, fromContext: exact };
    }
    return { value: this.resolveValue(target, this.globalContext, key), fromContext: false };
  }

  private async buildStage(
    name: string,
    keyNode: Node,
    definition: YAMLMap,
    baseContext: CtxDict,
    template?: string,
    skipKeys: Set<string> = new Set(),
  ): Promise<PipelineStage | undefined> {
    const span = this.span(keyNode);
    let context = baseContext;
    const wdirPair = this.pairOf(definition, 'wdir');
    let wdirRel = '.';
    if (wdirPair) {
      const resolved = this.resolveValue(wdirPair.value as Node, context, 'wdir');
      if (typeof resolved === 'string' && resolved.length > 0) wdirRel = resolved;
    }
    const wdir = normalize(join(this.dir, wdirRel));
    const varsPair = this.pairOf(definition, 'vars');
    if (varsPair) {
      context = cloneContext(context);
      await this.loadVars(context, new Map(this.globalImports), varsPair.value, wdir);
    }
    const stage = newStage(name, wdir, span, template);
    let hasCmd = false;
    for (const pair of definition.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (skipKeys.has(key)) continue;
      const valueNode = this.deref(pair.value);
      switch (key) {
        case 'cmd': {
          hasCmd = true;
          if (isSeq(valueNode)) {
            stage.cmd = valueNode.items.map((item) => toDvcString(this.resolveValue(item, context, 'cmd')));
          } else if (valueNode) {
            stage.cmd = [toDvcString(this.resolveValue(valueNode, context, 'cmd'))];
          }
          break;
        }
        case 'deps':
          stage.deps = this.paths(valueNode, context, key);
          break;
        case 'outs':
        case 'metrics':
        case 'plots':
          stage[key] = this.paths(valueNode, context, key);
          break;
        case 'params':
          stage.params = this.params(valueNode, context);
          break;
        case 'frozen':
          stage.frozen = this.resolveValue(valueNode, context, key) === true;
          break;
        case 'always_changed':
          stage.alwaysChanged = this.resolveValue(valueNode, context, key) === true;
          break;
        case 'desc': {
          const desc = this.resolveValue(valueNode, context, key);
          if (typeof desc === 'string') stage.desc = desc;
          break;
        }
        default:
          break;
      }
    }
    if (!hasCmd)
      this.problem(keyNode, 'dvc-missing-cmd', `Stage '${template ?? name}' has no cmd: add the command that produces its outs.`);
    return stage;
  }

  private paths(node: Node | undefined, context: CtxDict, key: string): StagePath[] {
    const result: StagePath[] = [];
    if (!isSeq(node)) {
      // DVC also accepts a single string here.
      if (isScalar(node) && typeof node.value === 'string') {
        result.push({ path: toDvcString(this.resolveValue(node, context, key)), span: this.span(node) });
      }
      return result;
    }
    for (const raw of node.items) {
      const item = this.deref(raw);
      if (isScalar(item)) {
        result.push({ path: toDvcString(this.resolveValue(item, context, key)), span: this.span(item) });
      } else if (isMap(item)) {
        const pair = item.items[0];
        if (!pair || !isScalar(pair.key)) continue;
        const path = toDvcString(this.resolveScalar(pair.key, context, key));
        const flagsValue = this.resolveValue(pair.value as Node | undefined, context, key);
        const flags = isCtxDict(flagsValue) ? (toPlain(flagsValue) as Record<string, unknown>) : undefined;
        result.push({ path, span: this.span(pair.key as Node), ...(flags ? { flags } : {}) });
      }
    }
    return result;
  }

  private params(node: Node | undefined, context: CtxDict): StageParam[] {
    const result: StageParam[] = [];
    if (!isSeq(node)) return result;
    for (const raw of node.items) {
      const item = this.deref(raw);
      if (isScalar(item)) {
        result.push({ file: DEFAULT_PARAMS_FILE, key: toDvcString(this.resolveValue(item, context, 'params')), span: this.span(item) });
      } else if (isMap(item)) {
        for (const pair of item.items) {
          if (!isScalar(pair.key)) continue;
          const fileName = toDvcString(this.resolveScalar(pair.key, context, 'params'));
          const keys = this.deref(pair.value as Node | undefined);
          if (isSeq(keys) && keys.items.length > 0) {
            for (const keyRaw of keys.items) {
              const keyNode = this.deref(keyRaw);
              if (!keyNode) continue;
              result.push({ file: fileName, key: toDvcString(this.resolveValue(keyNode, context, 'params')), span: this.span(keyNode) });
            }
          } else {
            result.push({ file: fileName, span: this.span(pair.key as Node) });
          }
        }
      }
    }
    // A file tracked whole makes its listed keys redundant, as in DVC.
    const whole = new Set(result.filter((p) => p.key === undefined).map((p) => p.file));
    return result.filter((p) => p.key === undefined || !whole.has(p.file));
  }

  private resolveValue(node: unknown, context: CtxDict, key: string): CtxValue {
    if (--this.resolveSteps < 0) return null;
    const target = this.deref(node);
    if (target === undefined) return null;
    if (isScalar(target)) return this.resolveScalar(target, context, key);
    if (isMap(target)) {
      const out: CtxDict = {};
      for (const pair of target.items) {
        if (!isPair(pair)) continue;
        const k = isScalar(pair.key) ? this.resolveScalar(pair.key, context, key) : null;
        out[toDvcString(k)] = this.resolveValue(pair.value, context, key);
      }
      return out;
    }
    if (isSeq(target)) return target.items.map((item) => this.resolveValue(item, context, key));
    return null;
  }

  private resolveScalar(node: Node & { value: unknown }, context: CtxDict, key: string): CtxValue {
    if (typeof node.value !== 'string') return scalarToContext(node as { value: unknown });
    const result = interpolateString(node.value, context, key);
    for (const problem of result.problems) {
      const [start, end] = locateInScalar(this.yaml.text, node, problem.match);
      const code =
        problem.kind === 'unresolved'
          ? 'dvc-unresolved-interpolation'
          : problem.kind === 'type'
            ? 'dvc-interpolation-type'
            : 'dvc-interpolation-syntax';
      this.problemAt(start, end, code, problem.message, { expression: problem.match.expression });
    }
    return result.value;
  }

  private async loadVars(context: CtxDict, imports: Map<string, string[] | undefined>, node: unknown, wdir: string): Promise<void> {
    const list = this.deref(node);
    if (!isSeq(list)) {
      if (list)
        this.problem(list, 'dvc-vars-type', "vars must be a list of file names ('file.yaml', 'file.yaml:key1,key2') or dictionaries.");
      return;
    }
    for (const raw of list.items) {
      const item = this.deref(raw);
      if (isScalar(item) && typeof item.value === 'string') {
        const [path = '', keysText] = splitOnce(item.value, ':');
        const keys = keysText === undefined ? undefined : keysText.split(',').filter((k) => k.length > 0);
        await this.loadParamsFileInto(context, imports, path, wdir, keys && keys.length > 0 ? keys : undefined, false, item);
      } else if (isMap(item)) {
        const inline = nodeToContext(item, this.doc, { left: MAX_CONTEXT_NODES });
        if (isCtxDict(inline)) this.merge(context, inline, item);
        if (this.recordSources) this.contextSources.push({ file: this.yaml.file, span: this.span(item) });
      } else if (item) {
        this.problem(item, 'dvc-vars-type', 'Each vars entry must be a file name or a dictionary.');
      }
    }
  }

  private async loadParamsFileInto(
    context: CtxDict,
    imports: Map<string, string[] | undefined>,
    relPath: string,
    wdir: string,
    keys: string[] | undefined,
    optional: boolean,
    node?: Node,
  ): Promise<void> {
    const path = normalize(join(wdir, relPath));
    if (imports.has(path)) {
      const previous = imports.get(path);
      // Loading a whole file twice is allowed; anything else is DVC's "already loaded" error.
      if (previous === undefined && keys === undefined) return;
      if (node)
        this.problem(
          node,
          'dvc-vars-reload',
          `'${relPath}' is already loaded${previous === undefined ? '' : ' in part'}; load each file (or key) once.`,
        );
      return;
    }
    const text = await this.files.readText(path);
    if (text === undefined) {
      if (!optional && node)
        this.problem(node, 'dvc-vars-missing-file', `The vars file '${relPath}' does not exist: create it or fix the path.`);
      return;
    }
    const { invalid, data, tooLarge } = contextFiles.get(path, text, () => readContextFile(path, text));
    if (invalid) {
      if (node) this.problem(node, 'dvc-vars-bad-file', `The vars file '${relPath}' is not valid YAML or JSON.`);
      return;
    }
    if (tooLarge) {
      if (node) this.problem(node, 'dvc-vars-bad-file', `The vars file '${relPath}' expands to too many values (aliases?); simplify it.`);
      return;
    }
    if (!isCtxDict(data)) {
      if (node) this.problem(node, 'dvc-vars-bad-file', `The vars file '${relPath}' must hold a dictionary.`);
      return;
    }
    let selected: CtxDict = data;
    if (keys) {
      selected = {};
      for (const key of keys) {
        if (!Object.prototype.hasOwnProperty.call(data, key)) {
          if (node) this.problem(node, 'dvc-vars-missing-key', `'${key}' is not a top-level key of '${relPath}'.`);
          return;
        }
        selected[key] = data[key] ?? null;
      }
    }
    imports.set(path, keys);
    this.merge(context, selected, node);
    if (this.recordSources) this.contextSources.push({ file: path, ...(keys ? { keys } : {}), ...(node ? { span: this.span(node) } : {}) });
  }

  private merge(into: CtxDict, update: CtxDict, node: Node | undefined, path: string[] = []): void {
    for (const [key, value] of Object.entries(update)) {
      const existing = into[key];
      if (isCtxDict(existing) && isCtxDict(value)) {
        const copy = { ...existing };
        into[key] = copy;
        this.merge(copy, value, node, [...path, key]);
      } else if (Object.prototype.hasOwnProperty.call(into, key)) {
        if (node)
          this.problem(
            node,
            'dvc-vars-conflict',
            `'${[...path, key].join('.')}' is already defined by params.yaml or another vars entry; DVC refuses to redefine it.`,
          );
      } else {
        into[key] = value;
      }
    }
  }

  private pairOf(map: YAMLMap, key: string): Pair<Node, Node> | undefined {
    return map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined;
  }

  private deref(node: unknown): Node | undefined {
    let current = node;
    for (let i = 0; i < 50 && isAlias(current); i++) current = resolveAlias(current, this.doc);
    return (current ?? undefined) as Node | undefined;
  }

  private span(node: Node): SourceSpan {
    return { file: this.yaml.file, range: this.range(node) };
  }

  private range(node: Node): Range {
    const [start, end] = node.range ?? [0, 0];
    return this.yaml.lines.range(start, end);
  }

  private problem(node: Node, code: string, message: string): void {
    const [start, end] = node.range ?? [0, 0];
    this.problemAt(start, end, code, message);
  }

  private problemAt(start: number, end: number, code: string, message: string, data?: Record<string, unknown>): void {
    const id = `${start}:${end}:${code}:${message}`;
    if (this.seenProblems.has(id)) return;
    this.seenProblems.add(id);
    this.problems.push({
      file: this.yaml.file,
      range: this.yaml.lines.range(start, Math.max(end, start + 1)),
      severity: 'error',
      code,
      message,
      source: SOURCE,
      ...(data ? { data } : {}),
    });
  }
}

/**
 * params.yaml and vars files as interpolation data, by path and text: every stage's parse of a
 * pipeline, and every validation after an edit of the dvc.yaml, reads the same params.yaml.
 */
const contextFiles = new ContentCache<{ invalid: boolean; tooLarge: boolean; data: CtxValue }>(16);

function readContextFile(path: string, text: string): { invalid: boolean; tooLarge: boolean; data: CtxValue } {
  const doc = parseParamsDocument(path, text);
  if (doc.errors.length > 0) return { invalid: true, tooLarge: false, data: null };
  const budget = { left: MAX_CONTEXT_NODES };
  const data = nodeToContext(doc.contents, doc, budget);
  return { invalid: false, tooLarge: budget.left < 0, data };
}

function cloneContext(context: CtxDict): CtxDict {
  return { ...context };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function typeName(value: CtxValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'number' || typeof value === 'object') return `the number ${toDvcString(value)}`;
  return `the boolean ${toDvcString(value)}`;
}
