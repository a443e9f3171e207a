import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { repoRoot } from './tools';

/** `npm run test:soak` sets MLOPS_SOAK=1: many more inputs per target than `npm test`. */
export const SOAK = process.env.MLOPS_SOAK === '1';

/** Inputs per target: the `npm test` share is kept small, soak runs twenty times as many. */
export function fuzzCount(base: number): number {
  return SOAK ? base * 20 : base;
}

/** A seeded generator of whole numbers below `n`, so a failing input repeats. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
}

export interface Seed {
  /** Path relative to the repository, for messages. */
  name: string;
  text: string;
}

/** The YAML files and MLprojects of the example and of test/fixtures: what mutations start from. */
export function fixtureSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (/^(mlruns|node_modules|\.git|\.venv|artifacts|data)$/.test(entry)) continue;
      const stat = statSync(path);
      if (stat.isDirectory()) visit(path);
      else if (/\.(ya?ml)$|^MLproject$|^dvc\.lock$/.test(entry) && stat.size < 200_000) {
        seeds.push({ name: relative(repoRoot, path), text: readFileSync(path, 'utf8') });
      }
    }
  };
  visit(join(repoRoot, 'examples', 'wine-quality'));
  visit(join(repoRoot, 'test', 'fixtures'));
  seeds.push({ name: 'dvc.lock (schema 2.0 shape)', text: LOCK_SEED });
  return seeds;
}

/**
 * Every YAML file and MLproject under test/fixtures and examples (hidden folders and node_modules
 * left out), as absolute paths: the inputs a reader is compared on.
 */
export function yamlFixtureFiles(): string[] {
  const files: string[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(join(repoRoot, dir))) {
      const path = join(dir, name);
      if (name === 'node_modules' || name.startsWith('.')) continue;
      if (statSync(join(repoRoot, path)).isDirectory()) visit(path);
      else if (/\.ya?ml$|^MLproject$/.test(name)) files.push(join(repoRoot, path));
    }
  };
  visit('test/fixtures');
  visit('examples');
  return files;
}

/** The shape of a dvc.lock as DVC 3 writes it, as a seed for mutations (values are arbitrary). */
const LOCK_SEED = `schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: raw.csv
      hash: md5
      md5: 0cc175b9c0f1b6a831c399e269772661
      size: 1
    params:
      params.yaml:
        prepare.split: 0.2
    outs:
    - path: data
      hash: md5
      md5: 92eb5ffee6ae2fec3ad71c777531578f.dir
      size: 12
      nfiles: 2
`;

/** A small deterministic PRNG (mulberry32), so a failing input can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = (text: string, random: () => number) => string;

const pick = <T>(items: readonly T[], random: () => number): T => items[Math.floor(random() * items.length)] as T;
const at = (text: string, random: () => number): number => Math.floor(random() * (text.length + 1));

/** The ways an input is broken; each keeps most of a real file so deep code paths are reached. */
export const MUTATIONS: Record<string, Mutation> = {
  truncate: (t, r) => t.slice(0, at(t, r)),
  byteFlip: (t, r) => {
    const bytes = Buffer.from(t, 'utf8');
    const flips = 1 + Math.floor(r() * 4);
    for (let i = 0; i < flips && bytes.length > 0; i++) bytes[Math.floor(r() * bytes.length)] ^= 1 << Math.floor(r() * 8);
    return bytes.toString('utf8');
  },
  deleteLine: (t, r) => {
    const lines = t.split('\n');
    lines.splice(Math.floor(r() * lines.length), 1);
    return lines.join('\n');
  },
  duplicateLine: (t, r) => {
    const lines = t.split('\n');
    const i = Math.floor(r() * lines.length);
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  },
  shiftIndent: (t, r) => {
    const lines = t.split('\n');
    const i = Math.floor(r() * lines.length);
    lines[i] = r() < 0.5 ? ` ${lines[i]}` : (lines[i] ?? '').replace(/^ /, '');
    return lines.join('\n');
  },
  insertToken: (t, r) => {
    const i = at(t, r);
    return t.slice(0, i) + pick(TOKENS, r) + t.slice(i);
  },
  crlf: (t) => t.replace(/\r?\n/g, '\r\n'),
  bom: (t) => `\ufeff${t}`,
  nonUtf8: (t, r) => {
    // Latin-1 bytes and a lone continuation byte, read back the way a UTF-8 reader would.
    const bytes = Buffer.from(t, 'utf8');
    const i = Math.floor(r() * (bytes.length + 1));
    return Buffer.concat([bytes.subarray(0, i), Buffer.from([0xe9, 0x80, 0xff, 0xc3]), bytes.subarray(i)]).toString('utf8');
  },
  loneSurrogate: (t, r) => {
    const i = at(t, r);
    return `${t.slice(0, i)}\ud800${t.slice(i)}`;
  },
  hugeScalar: (t, r) => {
    const i = t.indexOf(':', at(t, r));
    const where = i === -1 ? t.length : i + 1;
    return `${t.slice(0, where)} ${'x'.repeat(200_000 + Math.floor(r() * 100_000))}${t.slice(where)}`;
  },
  deepNesting: (t, r) => {
    const depth = 500 + Math.floor(r() * 3000);
    const flow = r() < 0.5;
    const nest = flow
      ? `${'['.repeat(depth)}${']'.repeat(depth)}`
      : Array.from({ length: depth }, (_, d) => `${' '.repeat(d)}k${d}:`).join('\n');
    return `${t}\n${flow ? `deep: ${nest}` : nest}\n`;
  },
  aliasBomb: (t) => `${t}\n${ALIAS_BOMB}`,
  spliceOther: (t, r) => {
    const other = pick(SPLICE_SOURCES, r);
    const i = at(t, r);
    return t.slice(0, i) + other + t.slice(i);
  },
};

const TOKENS = [
  '${',
  '${item.',
  '}',
  ':',
  ': ',
  '- ',
  '&a ',
  '*a',
  '*undefined_anchor',
  '<<: *a\n',
  '!!binary ',
  '!custom ',
  '? ',
  '|',
  '>-',
  '"',
  "'",
  '#',
  '\t',
  '\0',
  '\u2028',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '{',
  '[',
  'foreach: ${x}\n',
  'matrix: {a: [1, 2]}\n',
  'cmd: ${a.b.c[0]}\n',
  'vars:\n  - missing.yaml\n',
  '~',
  '.inf',
  '0x1F',
  '1e400',
  '${{}}',
];

const SPLICE_SOURCES = [
  '\nstages:\n  s:\n    foreach: [1, 2]\n    do:\n      cmd: echo ${item}\n',
  '\nentry_points:\n  main:\n    parameters: {a: float}\n    command: x {a}\n',
  '\n- a\n- b\n',
];

/** Nine levels of ten-fold aliases: 10^9 nodes when expanded naively. */
export const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  ...Array.from({ length: 8 }, (_, i) => {
    const p = String.fromCharCode(97 + i);
    const n = String.fromCharCode(98 + i);
    return `${n}: &${n} [${Array(10).fill(`*${p}`).join(',')}]`;
  }),
].join('\n');

/** `count` mutated texts from the seeds: one or two mutations each, reproducible from `seed`. */
export function mutatedInputs(seeds: readonly Seed[], count: number, seed = 1): Array<{ text: string; how: string }> {
  const random = prng(seed);
  const names = Object.keys(MUTATIONS);
  const out: Array<{ text: string; how: string }> = [];
  for (let i = 0; i < count; i++) {
    const base = pick(seeds, random);
    const steps = 1 + (random() < 0.3 ? 1 : 0);
    let text = base.text;
    const how: string[] = [base.name];
    for (let s = 0; s < steps; s++) {
      const name = pick(names, random);
      text = (MUTATIONS[name] as Mutation)(text, random);
      how.push(name);
    }
    out.push({ text, how: how.join(' + ') });
  }
  return out;
}

/** YAML-looking text from a grammar of fragments: keys, scalars, flow and block collections, anchors. */
export function yamlishArbitrary(): fc.Arbitrary<string> {
  const key = fc.oneof(
    fc.constantFrom(
      'stages',
      'cmd',
      'deps',
      'outs',
      'params',
      'foreach',
      'do',
      'vars',
      'matrix',
      'wdir',
      'entry_points',
      'parameters',
      'command',
      'COLUMNS',
      'schema',
    ),
    fc.string({ maxLength: 6 }),
  );
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '${item}',
      '${a.b}',
      '${key}',
      'null',
      '~',
      'true',
      '1.5',
      '-3',
      '"q"',
      "'s'",
      '*a',
      '&a x',
      '|',
      '{}',
      '[]',
      'float',
      'int',
    ),
    fc.integer().map(String),
  );
  const line = fc
    .tuple(fc.nat({ max: 8 }), key, fc.constantFrom(': ', ':', ': - ', ':\n', ': [', ': {'), scalar)
    .map(([indent, k, sep, v]) => `${' '.repeat(indent)}${k}${sep}${v}`);
  return fc.tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n')).map(([lines, eol]) => lines.join(eol));
}
