import { createHash } from 'node:crypto';
import { isMap, isScalar } from 'yaml';
import type { Finding, Position, Range } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { MAX_GENERATED_STAGES, MAX_RESOLVE_STEPS, pipelineBudgets } from '../pipeline/dvcPipeline';
import type { PipelineStage, SourceSpan, StagePath } from '../pipeline/model';
import { isBlockDocument } from '../yaml/fastBlockYaml';
import { nodeAt, parseYaml, parseYamlCached } from '../yaml/parseYaml';
import { checkDvcLocal, guarded } from './dvcChecks';
import { checkDvcGraph } from './dvcGraph';
import { checkDvcParams } from './dvcParams';
import { ParamsFiles } from './paramsFiles';
import { readPlainStage } from './plainStage';

/**
 * Validation of a dvc.yaml after an edit, stage by stage.
 *
 * A dvc.yaml in plain block YAML is its top-level keys (the header before `stages:` and the
 * trailer after its block) and one block of lines per stage. Every finding of the structure,
 * pipeline and params checks on a stage depends only on that stage's lines, the header, the
 * trailer and the files they read (params.yaml, vars files). So after an edit, only the stages
 * whose lines changed are checked again, each in a small document made of the header, its lines and
 * the trailer; the other stages keep their findings and parsed stages, moved to their new lines.
 * The graph check (deps, outs, cycles) looks at every stage and runs on each validation.
 *
 * The first validation of a file (and any edit of the header, the trailer or a file they read)
 * validates the whole document as before, and its results are split into stages only when the next
 * validation comes. Whatever this reading cannot vouch for (YAML the fast block reader leaves to the
 * library, a stage name used twice, a check that failed, budgets near their limits) is validated as
 * a whole, so the findings are always those of a whole validation.
 *
 * A stage being typed is often not valid YAML for a moment (a key without its colon yet). A file
 * with syntax errors gets only those, so when the one changed block is the broken part, its errors
 * are found by the yaml library in a document of it and its two neighbours, when nothing in it can
 * reach past its lines (see `syntaxErrorsOfBlock`).
 */
export async function validateDvcIncrementally(path: string, text: string, files: FileAccess): Promise<Finding[]> {
  const previous = states.get(path);
  states.delete(path);
  let state: State | undefined;
  // After a text that could not be split (a key half typed), the last one that could is the base.
  const candidates = previous === undefined ? [] : previous.kind === 'stages' ? [previous] : [previous, previous.base];
  for (const earlier of candidates) {
    if (earlier !== undefined && earlier.kind !== 'syntax') state = await nextState(path, earlier, text, files);
    if (state !== undefined) break;
  }
  // A text never validated here: its plain stages are read without the YAML library.
  state ??= await firstByStages(path, text, files);
  if (state === undefined) {
    const whole = await wholeValidation(path, text, files);
    // The state before, when it can be split by stage; otherwise the base it had.
    const base =
      previous === undefined || previous.kind === 'stages' || (previous.kind === 'whole' && splittable(previous))
        ? previous
        : previous.base;
    if (base !== undefined) whole.base = base;
    state = whole;
  }
  states.set(path, state);
  if (states.size > MAX_FILES) {
    const oldest = states.keys().next().value;
    if (oldest !== undefined) states.delete(oldest);
  }
  if (state.kind === 'syntax') return state.findings;
  return state.kind === 'whole' ? [...state.findings, ...(await graphOf(path, state.stages, files))] : assemble(path, state, files);
}

/** Forgets what earlier validations left (tests). */
export function clearIncrementalDvc(): void {
  states.clear();
}

/** How the last validation of a file was made (tests): by stage, or as a whole. */
export function lastDvcValidation(path: string): 'stages' | 'syntax' | 'whole' | undefined {
  return states.get(path)?.kind;
}

const MAX_FILES = 16;

/**
 * What a later process needs to validate a dvc.yaml by stage from its first validation on: the
 * last state made by stage, as JSON data, with hashes in place of the stage blocks' and the input
 * files' texts. `format` changes whenever its shape or the meaning of its fields does.
 */
export interface DvcSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  path: string;
  header: string;
  trailer: string;
  headerFindings: Finding[];
  trailerFindings: Finding[];
  trailerLine: number;
  blocks: { hash: string; startLine: number; lineCount: number; key: unknown; findings: Finding[]; stages: PipelineStage[] }[];
  /** Input files and the hash of their text (null: not there). */
  texts: [string, string | null][];
  exists: [string, boolean][];
  resolveSteps: number;
}

const SNAPSHOT_FORMAT = 2;

/** The snapshot of what the last validation of `path` left, when it can be split by stage. */
export function dvcSnapshot(path: string): DvcSnapshot | undefined {
  const state = states.get(path);
  if (state === undefined) return undefined;
  const stages = state.kind === 'stages' ? state : state.kind === 'syntax' ? state.base : splittable(state) ? state.split : undefined;
  if (stages === null || stages === undefined || stages.inputs.hashed === true) return undefined;
  return {
    format: SNAPSHOT_FORMAT,
    path,
    header: stages.header,
    trailer: stages.trailer,
    headerFindings: stages.headerFindings,
    trailerFindings: stages.trailerFindings,
    trailerLine: stages.trailerLine,
    // A block's hash is kept on it: the blocks an edit did not touch are not hashed again.
    blocks: stages.blocks.map((b) => ({
      hash: (b.hash ??= hashOf(b.text)),
      startLine: b.startLine,
      lineCount: b.lineCount,
      key: b.key,
      findings: b.findings,
      stages: b.stages.map(graphPart),
    })),
    texts: [...stages.inputs.texts].map(([file, text]) => [file, text === undefined ? null : hashOf(text)]),
    exists: [...stages.inputs.exists],
    resolveSteps: stages.resolveSteps,
  };
}

/**
 * What the graph check reads of a stage (its name, folder, deps, outs and where they are written):
 * a snapshot keeps no commands, params or flags, which may hold values read from params files.
 */
function graphPart(stage: PipelineStage): PipelineStage {
  const paths = (list: StagePath[]): StagePath[] =>
    list.map((p) => (p.span === undefined ? { path: p.path } : { path: p.path, span: p.span }));
  return {
    name: stage.name,
    ...(stage.template !== undefined ? { template: stage.template } : {}),
    cmd: [],
    wdir: stage.wdir,
    deps: paths(stage.deps),
    outs: paths(stage.outs),
    metrics: paths(stage.metrics),
    plots: paths(stage.plots),
    params: [],
    frozen: false,
    alwaysChanged: false,
    ...(stage.span !== undefined ? { span: stage.span } : {}),
  };
}

/**
 * Takes up a snapshot written by an earlier process, when nothing validated `path` here yet. The
 * next validation uses it only where the texts still hash the same, as for a state of this process.
 * Returns whether it was taken (a snapshot of another shape or file is not).
 */
export function restoreDvcSnapshot(snapshot: unknown): boolean {
  if (!isSnapshot(snapshot) || states.has(snapshot.path)) return false;
  const state: StagesState = {
    kind: 'stages',
    header: snapshot.header,
    trailer: snapshot.trailer,
    headerFindings: snapshot.headerFindings,
    trailerFindings: snapshot.trailerFindings,
    trailerLine: snapshot.trailerLine,
    blocks: snapshot.blocks.map((b) => ({ text: '', ...b })),
    inputs: {
      texts: new Map(snapshot.texts.map(([file, hash]) => [file, hash ?? undefined])),
      exists: new Map(snapshot.exists),
      hashed: true,
    },
    resolveSteps: snapshot.resolveSteps,
    restored: true,
  };
  states.set(snapshot.path, state);
  return true;
}

/** The shape of a snapshot, checked field by field (it was read from a file). */
function isSnapshot(value: unknown): value is DvcSnapshot {
  const v = value as Partial<DvcSnapshot> | null;
  return (
    v !== null &&
    typeof v === 'object' &&
    v.format === SNAPSHOT_FORMAT &&
    typeof v.path === 'string' &&
    typeof v.header === 'string' &&
    typeof v.trailer === 'string' &&
    Array.isArray(v.headerFindings) &&
    Array.isArray(v.trailerFindings) &&
    Number.isInteger(v.trailerLine) &&
    Array.isArray(v.blocks) &&
    v.blocks.every(
      (b) =>
        b !== null &&
        typeof b === 'object' &&
        typeof b.hash === 'string' &&
        Number.isInteger(b.startLine) &&
        Number.isInteger(b.lineCount) &&
        Array.isArray(b.findings) &&
        Array.isArray(b.stages),
    ) &&
    Array.isArray(v.texts) &&
    v.texts.every((t) => Array.isArray(t) && typeof t[0] === 'string' && (typeof t[1] === 'string' || t[1] === null)) &&
    Array.isArray(v.exists) &&
    v.exists.every((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'boolean') &&
    typeof v.resolveSteps === 'number'
  );
}

/** A stage's lines, where they are in the file. */
interface Block {
  text: string;
  startLine: number;
  lineCount: number;
}

/** A dvc.yaml cut into its header, one block per stage, and its trailer. */
interface Layout {
  header: string;
  headerLines: number;
  blocks: Block[];
  trailer: string;
}

/** A stage block's results, at the lines it held when they were made (`startLine`). */
interface BlockResult {
  /** The block's lines ('' in a state restored from a snapshot, which knows their hash). */
  text: string;
  /** The hash of `text`, once a snapshot needed it. */
  hash?: string;
  startLine: number;
  lineCount: number;
  /** The stage's name as the YAML reads it (a duplicate across blocks is the library's to report). */
  key: unknown;
  findings: Finding[];
  stages: PipelineStage[];
}

/** What the files the stage checks read held: unchanged files keep the stage results valid. */
interface Inputs {
  texts: Map<string, string | undefined>;
  exists: Map<string, boolean>;
  /** The texts are hashes (`hashOf`): inputs restored from a snapshot. */
  hashed?: boolean;
}

/** A whole validation, not yet split into stages (nothing is spent on that until an edit comes). */
interface WholeState {
  kind: 'whole';
  text: string;
  /** Syntax, structure, pipeline and params findings. */
  findings: Finding[];
  stages: PipelineStage[];
  inputs: Inputs;
  /** The budgets spent, when the document could be split at all (the fast reader read it). */
  budgets?: { resolveSteps: number; generatedStages: number; stageKeys: unknown[] };
  /** Its results split by stage, once an edit asked for them (null: it cannot be split). */
  split?: StagesState | null;
  /** The last validation made by stage before this one, for the edit that mends this text. */
  base?: State;
}

interface StagesState {
  kind: 'stages';
  header: string;
  trailer: string;
  /** Findings on the header's lines. */
  headerFindings: Finding[];
  /** Findings on the trailer's lines, as they were when it started at `trailerLine`. */
  trailerFindings: Finding[];
  trailerLine: number;
  blocks: BlockResult[];
  inputs: Inputs;
  /** Budgets spent: an upper bound (blocks that left are not subtracted). */
  resolveSteps: number;
  /** Restored from a snapshot: blocks are known by the hash of their text. */
  restored?: boolean;
}

/**
 * A text whose one changed stage block is not valid YAML: the whole file's findings are that
 * block's syntax errors (a file with syntax errors gets no other findings), found in a small document.
 */
interface SyntaxState {
  kind: 'syntax';
  findings: Finding[];
  inputs: Inputs;
  /** The last state made by stage, for the edit that mends the block. */
  base: StagesState;
}

type State = WholeState | StagesState | SyntaxState;

const states = new Map<string, State>();

/** A FileAccess that notes what it answered, so a later validation can check nothing moved. */
function recording(files: FileAccess, inputs: Inputs): FileAccess {
  return {
    readText: async (path) => {
      const text = await files.readText(path);
      if (!inputs.texts.has(path)) inputs.texts.set(path, text);
      return text;
    },
    exists: async (path) => {
      const exists = await files.exists(path);
      if (!inputs.exists.has(path)) inputs.exists.set(path, exists);
      return exists;
    },
  };
}

/** The inputs as they are now, when every file holds what it held; undefined when one changed. */
async function currentInputs(inputs: Inputs, files: FileAccess): Promise<Inputs | undefined> {
  const now: Inputs = { texts: new Map(), exists: new Map(inputs.exists) };
  for (const [path, text] of inputs.texts) {
    const current = await files.readText(path);
    if ((inputs.hashed === true ? hashOrNull(current) : current) !== text) return undefined;
    now.texts.set(path, current);
  }
  for (const [path, exists] of inputs.exists) if ((await files.exists(path)) !== exists) return undefined;
  return now;
}

/** A short, stable name for a text (a snapshot keeps these instead of the texts). */
function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

function hashOrNull(text: string | undefined): string | undefined {
  return text === undefined ? undefined : hashOf(text);
}

async function wholeValidation(path: string, text: string, files: FileAccess): Promise<WholeState> {
  const inputs: Inputs = { texts: new Map(), exists: new Map() };
  const parsed = parseYamlCached(path, text);
  const local = await checkDvcLocal(parsed, recording(files, inputs));
  const state: WholeState = {
    kind: 'whole',
    text,
    findings: [...parsed.findings, ...local.findings],
    stages: local.pipeline?.stages ?? [],
    inputs,
  };
  const budgets = local.parse === undefined ? undefined : pipelineBudgets(local.parse);
  const stagesMap = nodeAt(parsed.doc, ['stages']);
  if (isBlockDocument(parsed.doc) && budgets !== undefined && isMap(stagesMap)) {
    state.budgets = { ...budgets, stageKeys: stagesMap.items.map((pair) => (isScalar(pair.key) ? pair.key.value : pair.key)) };
  }
  return state;
}

async function graphOf(path: string, stages: PipelineStage[], files: FileAccess): Promise<Finding[]> {
  const findings: Finding[] = [];
  await guarded(findings, path, 'dvc.yaml graph', () => checkDvcGraph({ file: path, stages }, files));
  return findings;
}

async function assemble(path: string, state: StagesState, files: FileAccess): Promise<Finding[]> {
  const findings = [...state.headerFindings];
  const stages: PipelineStage[] = [];
  for (const block of state.blocks) {
    for (const finding of block.findings) findings.push(finding);
    for (const stage of block.stages) stages.push(stage);
  }
  for (const finding of state.trailerFindings) findings.push(finding);
  return [...findings, ...(await graphOf(path, stages, files))];
}

/** The state after an edit, made stage by stage; undefined when the text must be validated whole. */
async function nextState(
  path: string,
  previous: WholeState | StagesState,
  text: string,
  files: FileAccess,
): Promise<StagesState | SyntaxState | undefined> {
  // What cannot be split is known without reading the input files again.
  const earlier = previous.kind === 'stages' ? previous : splittable(previous) ? previous.split : undefined;
  if (earlier === null || earlier === undefined) return undefined;
  const now = await currentInputs(previous.inputs, files);
  if (now === undefined) return undefined;
  const layout = layoutOf(text);
  if (layout === undefined || layout.header !== earlier.header || layout.trailer !== earlier.trailer) return undefined;
  // A restored state knows its blocks by hash: the first validation after it hashes the new ones.
  const byKey = new Map(earlier.blocks.map((block) => [earlier.restored === true ? (block.hash ?? '') : block.text, block]));
  const known = (blockText: string): BlockResult | undefined => {
    const found = byKey.get(earlier.restored === true ? hashOf(blockText) : blockText);
    return found === undefined || earlier.restored !== true ? found : { ...found, text: blockText };
  };
  const inputs = now;
  const blocks: BlockResult[] = [];
  const keys = new Set<unknown>();
  let resolveSteps = earlier.resolveSteps;
  let generatedStages = 0;
  const found = layout.blocks.map((block) => known(block.text));
  const changed = found.filter((result) => result === undefined).length;
  for (const [index, block] of layout.blocks.entries()) {
    let result = found[index];
    if (result === undefined) {
      const checked = await checkBlock(path, layout, block, recording(files, inputs));
      if (checked === undefined) {
        // One stage half typed: its syntax errors, when they cannot reach past its lines.
        if (changed !== 1) return undefined;
        const findings = syntaxErrorsOfBlock(path, layout, index, found);
        return findings === undefined ? undefined : { kind: 'syntax', findings, inputs: now, base: earlier };
      }
      result = checked.result;
      resolveSteps += checked.resolveSteps;
    } else if (result.startLine !== block.startLine) {
      result = moved(path, result, block.startLine);
    }
    if (keys.has(result.key)) return undefined;
    keys.add(result.key);
    generatedStages += result.stages.length;
    blocks.push(result);
  }
  // Near a budget, a whole parse could stop where these parts do not: leave it to the whole parse.
  if (resolveSteps >= MAX_RESOLVE_STEPS || generatedStages >= MAX_GENERATED_STAGES) return undefined;
  return {
    kind: 'stages',
    header: layout.header,
    trailer: layout.trailer,
    headerFindings: earlier.headerFindings,
    // The trailer follows the last stage, which the edit may have made longer or shorter.
    trailerFindings: earlier.trailerFindings.map((f) => movedFinding(f, trailerLineOf(layout) - earlier.trailerLine)),
    trailerLine: trailerLineOf(layout),
    blocks,
    inputs,
    resolveSteps,
  };
}

/**
 * What can open something that spans lines in YAML, where a value or an item starts: a quote, a flow
 * collection, a block scalar indicator, a tag, an anchor or alias, an explicit key, or a tab. Inside
 * a plain scalar (`${item}`, `a'b`) these are only characters.
 */
const MAY_SPAN_LINES = /\t|(?:^|\n) *(?:- +)*["'[\]{}|>&*!%@`?]|[:-] +["'[{|>&*!%@`?]/;

/**
 * The syntax findings of a text whose stage block `index` is not valid YAML and whose other parts
 * are as before (each valid on its own), or undefined when the whole text must be parsed to know.
 * The yaml library parses the block between the stage before it and the stage after it (with the
 * header and the trailer): the errors must lie on the block's own lines, and both neighbours must be
 * read as stages of their own with the names they had, so the parser comes out of the block as it
 * went in and the rest of the file reads as before. A block holding a quote, a bracket, a block
 * scalar indicator and the like, which can reach past its lines, is left to a whole parse.
 */
function syntaxErrorsOfBlock(path: string, layout: Layout, index: number, found: (BlockResult | undefined)[]): Finding[] | undefined {
  const block = layout.blocks[index] as Block;
  if (MAY_SPAN_LINES.test(block.text)) return undefined;
  const before = index > 0 ? layout.blocks[index - 1] : undefined;
  const after = layout.blocks[index + 1];
  const beforeResult = index > 0 ? found[index - 1] : undefined;
  const afterResult = found[index + 1];
  if ((before !== undefined && beforeResult === undefined) || (after !== undefined && afterResult === undefined)) return undefined;
  const neighbours = [beforeResult, afterResult].filter((r) => r !== undefined);
  const parsed = parseYaml(path, layout.header + (before?.text ?? '') + block.text + (after?.text ?? '') + layout.trailer);
  if (!parsed.findings.some((f) => f.severity === 'error')) return undefined;
  const first = layout.headerLines + (before?.lineCount ?? 0);
  const last = first + block.lineCount;
  if (parsed.findings.some((f) => f.range.start.line < first || f.range.start.line >= last || f.range.end.line > last)) return undefined;
  // The stages as the library read them: the neighbours by their names, and the block's own name
  // taken by no other stage (that would be one more error).
  const stages = nodeAt(parsed.doc, ['stages']);
  const expected = neighbours.length + 1;
  if (!isMap(stages) || stages.items.length !== expected) return undefined;
  const keys = stages.items.map((pair) => (isScalar(pair.key) ? pair.key.value : undefined));
  const own = keys[before === undefined ? 0 : 1];
  if (beforeResult !== undefined && keys[0] !== beforeResult.key) return undefined;
  if (afterResult !== undefined && keys[expected - 1] !== afterResult.key) return undefined;
  if (own === undefined) return undefined;
  for (const [at, other] of found.entries()) if (at !== index && other?.key === own) return undefined;
  const shift = block.startLine - first;
  return parsed.findings.map((f) => movedFinding(f, shift));
}

/**
 * A text validated by stage with no earlier results for it. The stage blocks in the plain form
 * nearly every stage takes are read by `readPlainStage`, which needs no YAML library, schema walk or
 * pipeline parser for them: they have no findings of their own but their params', which are checked
 * for all of them at once. The header, the trailer and the other stages (at least one, so the
 * `stages` mapping is one) are validated as one document, as before. Its findings and stages are
 * moved back to their lines in the file.
 *
 * The document of the other parts must be one the fast reader reads (so every line of the file means
 * what it means on its own) and without syntax findings, each finding must lie in one part, and no
 * stage name may be taken twice; otherwise (and for a file with few plain stages, see
 * MIN_PLAIN_STAGES) undefined, and the text is validated whole.
 */
async function firstByStages(path: string, text: string, files: FileAccess): Promise<StagesState | undefined> {
  const layout = layoutOf(text);
  if (layout === undefined) return undefined;
  const plain = layout.blocks.map((block) => readPlainStage(path, block.text, block.startLine));
  let others = plain.filter((p) => p === undefined).length;
  if (plain.length - others < MIN_PLAIN_STAGES) return undefined;
  if (others === 0) {
    plain[0] = undefined;
    others = 1;
  }
  // The document of the header, the other stages and the trailer; where each part sits in it.
  const parts: { block: Block; index: number; startLine: number; lineCount: number }[] = [];
  let reduced = layout.header;
  let line = layout.headerLines;
  for (const [index, block] of layout.blocks.entries()) {
    if (plain[index] !== undefined) continue;
    parts.push({ block, index: parts.length, startLine: line, lineCount: block.lineCount });
    reduced += block.text;
    line += block.lineCount;
  }
  const trailerLine = line;
  const trailerShift = trailerLineOf(layout) - trailerLine;
  reduced += layout.trailer;
  const parsed = parseYaml(path, reduced, { fast: true });
  if (!isBlockDocument(parsed.doc) || parsed.findings.length > 0) return undefined;
  const stagesMap = nodeAt(parsed.doc, ['stages']);
  if (!isMap(stagesMap) || stagesMap.items.length !== others) return undefined;
  const inputs: Inputs = { texts: new Map(), exists: new Map() };
  const recorded = recording(files, inputs);
  const local = await checkDvcLocal(parsed, recorded, true);
  const budgets = local.parse === undefined ? undefined : pipelineBudgets(local.parse);
  if (local.pipeline === undefined || budgets === undefined || local.findings.some((f) => f.code === 'internal-error')) return undefined;

  const results: (BlockResult | undefined)[] = layout.blocks.map((block, index) => {
    const read = plain[index];
    if (read === undefined) return undefined;
    return { text: block.text, startLine: block.startLine, lineCount: block.lineCount, key: read.name, findings: [], stages: [read.stage] };
  });
  const otherResults = parts.map(({ block }, index): BlockResult => {
    const keyNode = stagesMap.items[index]?.key;
    return {
      text: block.text,
      startLine: block.startLine,
      lineCount: block.lineCount,
      key: isScalar(keyNode) ? keyNode.value : keyNode,
      findings: [],
      stages: [],
    };
  });
  let otherIndex = 0;
  for (const [index, result] of results.entries()) if (result === undefined) results[index] = otherResults[otherIndex++];
  const blocks = results as BlockResult[];
  const keys = new Set(blocks.map((block) => block.key));
  if (keys.size !== blocks.length) return undefined;

  // The part of the document a line of it is in: HEADER, TRAILER or the index of an other stage.
  const partAt = (at: number): number =>
    at < layout.headerLines ? HEADER : at >= trailerLine ? TRAILER : (blockAt(parts, at)?.index ?? TRAILER);
  const headerFindings: Finding[] = [];
  const trailerFindings: Finding[] = [];
  for (const finding of local.findings) {
    const { start, end } = finding.range;
    const part = partAt(start.line);
    // A range may end at the start of the line after its part.
    if (end.line > start.line && partAt(end.character === 0 ? end.line - 1 : end.line) !== part) return undefined;
    if (part === HEADER) headerFindings.push(finding);
    else if (part === TRAILER) trailerFindings.push(movedFinding(finding, trailerShift));
    else {
      const { block, startLine: first } = parts[part] as { block: Block; startLine: number };
      (otherResults[part] as BlockResult).findings.push(movedFinding(finding, block.startLine - first));
    }
  }
  for (const stage of local.pipeline.stages) {
    const part = stage.span === undefined ? HEADER : partAt(stage.span.range.start.line);
    if (part === HEADER || part === TRAILER) return undefined;
    const { block, startLine: first } = parts[part] as { block: Block; startLine: number };
    if (!spansWithin(stage, path, (range) => range.start.line >= first && range.start.line < first + block.lineCount)) return undefined;
    (otherResults[part] as BlockResult).stages.push(movedStage(path, stage, block.startLine - first));
  }

  // The params of the plain stages, all at once, each finding to its stage's block.
  const plainStages = plain.flatMap((read) => (read === undefined ? [] : [read.stage]));
  const paramFindings: Finding[] = [];
  await guarded(paramFindings, path, 'dvc.yaml params', () =>
    checkDvcParams({ file: path, stages: plainStages }, new ParamsFiles(recorded)),
  );
  for (const finding of paramFindings) {
    const block = blockAt(blocks, finding.range.start.line);
    if (finding.code === 'internal-error' || block === undefined) return undefined;
    block.findings.push(finding);
  }
  const resolveSteps = budgets.resolveSteps + plain.reduce((sum, read) => sum + (read?.resolveSteps ?? 0), 0);
  const generatedStages = budgets.generatedStages + plainStages.length;
  if (resolveSteps >= MAX_RESOLVE_STEPS || generatedStages >= MAX_GENERATED_STAGES) return undefined;
  return {
    kind: 'stages',
    header: layout.header,
    trailer: layout.trailer,
    headerFindings,
    trailerFindings,
    trailerLine: trailerLineOf(layout),
    blocks,
    inputs,
    resolveSteps,
  };
}

/**
 * Below this many plain stages a whole validation is quick, and the parse it leaves cached serves the
 * hover, completion and outline requests that follow an open.
 */
export const MIN_PLAIN_STAGES = 32;

/** The first line of the trailer: the line after the last stage block. */
function trailerLineOf(layout: Layout): number {
  const last = layout.blocks[layout.blocks.length - 1];
  return last === undefined ? layout.headerLines : last.startLine + last.lineCount;
}

const HEADER = -1;
const TRAILER = -2;

/** The block holding a line of the file. */
function blockAt<T extends { startLine: number; lineCount: number }>(blocks: T[], line: number): T | undefined {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const block = blocks[mid] as T;
    if (line < block.startLine) hi = mid - 1;
    else if (line >= block.startLine + block.lineCount) lo = mid + 1;
    else return block;
  }
  return undefined;
}

/** Whether a whole validation can be split by stage (computed once, when first asked). */
function splittable(whole: WholeState): boolean {
  if (whole.split === undefined) whole.split = splitWhole(whole) ?? null;
  return whole.split !== null;
}

/** A whole validation's results, split into the header's and each stage block's. */
function splitWhole(whole: WholeState): StagesState | undefined {
  if (whole.budgets === undefined) return undefined;
  const layout = layoutOf(whole.text);
  if (layout === undefined || layout.blocks.length !== whole.budgets.stageKeys.length) return undefined;
  if (whole.findings.some((f) => f.code === 'internal-error')) return undefined;
  const blocks: BlockResult[] = layout.blocks.map((block, index) => ({
    text: block.text,
    startLine: block.startLine,
    lineCount: block.lineCount,
    key: whole.budgets?.stageKeys[index],
    findings: [],
    stages: [],
  }));
  const headerFindings: Finding[] = [];
  const trailerFindings: Finding[] = [];
  const trailerLine = trailerLineOf(layout);
  for (const finding of whole.findings) {
    const block = blockAt(blocks, finding.range.start.line);
    if (block !== undefined) block.findings.push(finding);
    else if (finding.range.start.line >= trailerLine) trailerFindings.push(finding);
    else headerFindings.push(finding);
  }
  for (const stage of whole.stages) {
    const block = stage.span === undefined ? undefined : blockAt(blocks, stage.span.range.start.line);
    if (block === undefined) return undefined;
    block.stages.push(stage);
  }
  return {
    kind: 'stages',
    header: layout.header,
    trailer: layout.trailer,
    headerFindings,
    trailerFindings,
    trailerLine,
    blocks,
    inputs: whole.inputs,
    resolveSteps: whole.budgets.resolveSteps,
  };
}

/**
 * Checks one stage block in a document of the header, the block and the trailer, and moves what it
 * finds on the block's lines to where the block is in the file. Undefined when that document is not
 * read by the fast reader, a check failed, or something of the stage lies outside its block.
 */
async function checkBlock(
  path: string,
  layout: Layout,
  block: Block,
  files: FileAccess,
): Promise<{ result: BlockResult; resolveSteps: number } | undefined> {
  const parsed = parseYaml(path, layout.header + block.text + layout.trailer, { fast: true });
  if (!isBlockDocument(parsed.doc)) return undefined;
  const stagesMap = nodeAt(parsed.doc, ['stages']);
  if (!isMap(stagesMap) || stagesMap.items.length !== 1) return undefined;
  const keyNode = stagesMap.items[0]?.key;
  const key = isScalar(keyNode) ? keyNode.value : keyNode;
  const local = await checkDvcLocal(parsed, files, true);
  const budgets = local.parse === undefined ? undefined : pipelineBudgets(local.parse);
  if (local.pipeline === undefined || budgets === undefined || local.findings.some((f) => f.code === 'internal-error')) return undefined;
  const first = layout.headerLines;
  const last = first + block.lineCount;
  const inBlock = (range: Range): boolean => range.start.line >= first && range.start.line < last;
  const shift = block.startLine - first;
  const findings = local.findings.filter((f) => inBlock(f.range)).map((f) => movedFinding(f, shift));
  const stages: PipelineStage[] = [];
  for (const stage of local.pipeline.stages) {
    if (!spansWithin(stage, path, inBlock)) return undefined;
    stages.push(movedStage(path, stage, shift));
  }
  return {
    result: { text: block.text, startLine: block.startLine, lineCount: block.lineCount, key, findings, stages },
    resolveSteps: budgets.resolveSteps,
  };
}

/** A block's results moved to a new first line. */
function moved(path: string, result: BlockResult, startLine: number): BlockResult {
  const shift = startLine - result.startLine;
  return {
    ...result,
    startLine,
    findings: result.findings.map((f) => movedFinding(f, shift)),
    stages: result.stages.map((s) => movedStage(path, s, shift)),
  };
}

function movedPosition(position: Position, shift: number): Position {
  return { line: position.line + shift, character: position.character };
}

function movedRange(range: Range, shift: number): Range {
  return { start: movedPosition(range.start, shift), end: movedPosition(range.end, shift) };
}

/** Every finding of these checks is in the dvc.yaml itself. */
function movedFinding(finding: Finding, shift: number): Finding {
  return shift === 0 ? finding : { ...finding, range: movedRange(finding.range, shift) };
}

function movedSpan<T extends { span?: SourceSpan }>(path: string, item: T, shift: number): T {
  const span = item.span;
  if (shift === 0 || span === undefined || span.file !== path) return item;
  return { ...item, span: { file: span.file, range: movedRange(span.range, shift) } };
}

function movedStage(path: string, stage: PipelineStage, shift: number): PipelineStage {
  if (shift === 0) return stage;
  const paths = (list: StagePath[]): StagePath[] => list.map((p) => movedSpan(path, p, shift));
  return {
    ...movedSpan(path, stage, shift),
    deps: paths(stage.deps),
    outs: paths(stage.outs),
    metrics: paths(stage.metrics),
    plots: paths(stage.plots),
    params: stage.params.map((p) => movedSpan(path, p, shift)),
  };
}

/** Whether every span of the stage in this file starts on the block's lines. */
function spansWithin(stage: PipelineStage, path: string, inBlock: (range: Range) => boolean): boolean {
  const ok = (span: SourceSpan | undefined): boolean => span === undefined || span.file !== path || inBlock(span.range);
  if (stage.span === undefined || !ok(stage.span)) return false;
  for (const list of [stage.deps, stage.outs, stage.metrics, stage.plots, stage.params])
    for (const item of list) if (!ok(item.span)) return false;
  return true;
}

/**
 * Cuts a dvc.yaml into its header (up to and with the `stages:` line), one block per stage (from
 * the line after the previous stage's last line, so comments above a stage go with it, to its own
 * last line) and its trailer (the rest). Undefined for a file that is not laid out that way: no
 * block-style `stages:` at the top level, or lines in it indented less than its stage names.
 */
export function layoutOf(text: string): Layout | undefined {
  let headerEnd = -1;
  let headerLines = 0;
  let stageIndent = -1;
  /** Offset and line after the last stage line seen. */
  let after = 0;
  let afterLine = 0;
  let trailerStart = -1;
  const starts: { offset: number; line: number }[] = [];
  let line = 0;
  for (let offset = 0; offset < text.length; line++) {
    const newline = text.indexOf('\n', offset);
    const end = newline < 0 ? text.length : newline;
    const next = newline < 0 ? text.length : newline + 1;
    let indent = 0;
    while (text.charCodeAt(offset + indent) === 32) indent++;
    const first = offset + indent;
    if (first < end && text.charCodeAt(first) !== 35) {
      if (indent === 0 && isStagesLine(text, offset, end)) {
        if (headerEnd >= 0) return undefined;
        headerEnd = next;
        headerLines = line + 1;
        after = next;
        afterLine = line + 1;
      } else if (headerEnd >= 0 && trailerStart < 0) {
        if (indent === 0) {
          trailerStart = after;
        } else {
          if (stageIndent < 0) stageIndent = indent;
          if (indent < stageIndent) return undefined;
          if (indent === stageIndent) {
            if (text.charCodeAt(first) === 45) return undefined;
            starts.push({ offset: after, line: afterLine });
          }
          after = next;
          afterLine = line + 1;
        }
      }
    }
    offset = next;
  }
  if (headerEnd < 0 || starts.length === 0) return undefined;
  if (trailerStart < 0) trailerStart = after;
  const blocks: Block[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as { offset: number; line: number };
    const following = starts[i + 1];
    const stop = following?.offset ?? trailerStart;
    const stopLine = following?.line ?? afterLine;
    blocks.push({ text: text.slice(start.offset, stop), startLine: start.line, lineCount: stopLine - start.line });
  }
  return { header: text.slice(0, headerEnd), headerLines, blocks, trailer: text.slice(trailerStart) };
}

/** `stages:` alone on its line (a comment may follow): the block the stages are written in. */
function isStagesLine(text: string, start: number, end: number): boolean {
  if (!text.startsWith('stages:', start)) return false;
  for (let i = start + 7; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 35 && i > start + 7) return true;
    if (c !== 32) return false;
  }
  return true;
}
