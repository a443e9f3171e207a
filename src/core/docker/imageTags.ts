import { execFile } from 'node:child_process';
import { basename } from 'node:path';

/** Image names, default tags from Git, OCI labels, and registry references. */

export const BUILT_BY_LABEL = 'dev.mlops-workbench.built';
export const RUN_LABEL = 'dev.mlops-workbench.run';
export const STAGE_LABEL = 'dev.mlops-workbench.stage';
export const REVISION_LABEL = 'org.opencontainers.image.revision';
export const SOURCE_LABEL = 'org.opencontainers.image.source';
export const CREATED_LABEL = 'org.opencontainers.image.created';

export interface GitState {
  /** Full commit id of HEAD. */
  commit: string;
  short: string;
  dirty: boolean;
  /** The `origin` remote as a web address without credentials, when there is one. */
  source?: string;
}

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** HEAD, whether the work tree has changes, and origin; undefined outside a Git repository. */
export async function readGitState(cwd: string): Promise<GitState | undefined> {
  let commit: string;
  try {
    commit = (await git(cwd, ['rev-parse', 'HEAD'])).trim();
  } catch {
    return undefined;
  }
  const short = (await git(cwd, ['rev-parse', '--short', 'HEAD'])).trim();
  const status = await git(cwd, ['status', '--porcelain', '--untracked-files=normal']);
  let source: string | undefined;
  try {
    source = webAddress((await git(cwd, ['remote', 'get-url', 'origin'])).trim());
  } catch {
    source = undefined;
  }
  return { commit, short, dirty: status.trim().length > 0, source };
}

/** `git@github.com:o/r.git` or `https://user:token@host/o/r.git` → `https://host/o/r` (never credentials). */
export function webAddress(remote: string): string | undefined {
  const scp = /^[^@/]+@([^:/]+):(.+?)(\.git)?$/.exec(remote);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  try {
    const url = new URL(remote);
    if (!['http:', 'https:', 'ssh:', 'git:'].includes(url.protocol)) return undefined;
    return `https://${url.hostname}${url.pathname.replace(/\.git$/, '')}`;
  } catch {
    return undefined;
  }
}

/** A valid repository name from a folder name: lowercase, [a-z0-9] joined by ".", "_", "__" or "-". */
export function projectImageName(folder: string): string {
  const name = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
    .replace(/[._-]{2,}/g, '-');
  return name.length > 0 ? name.slice(0, 128) : 'image';
}

/** `<project>:<short sha>[-dirty]` and `<project>:latest`; only `latest` outside Git. */
export function defaultTags(project: string, gitState: GitState | undefined): string[] {
  if (!gitState) return [`${project}:latest`];
  return [`${project}:${gitState.short}${gitState.dirty ? '-dirty' : ''}`, `${project}:latest`];
}

export interface LabelInput {
  git?: GitState;
  created?: Date;
  run?: string;
  stage?: string;
}

export function imageLabels(input: LabelInput): Record<string, string> {
  const labels: Record<string, string> = { [BUILT_BY_LABEL]: 'true' };
  labels[CREATED_LABEL] = (input.created ?? new Date()).toISOString();
  if (input.git) labels[REVISION_LABEL] = input.git.commit + (input.git.dirty ? '-dirty' : '');
  if (input.git?.source) labels[SOURCE_LABEL] = input.git.source;
  if (input.run) labels[RUN_LABEL] = input.run;
  if (input.stage) labels[STAGE_LABEL] = input.stage;
  return labels;
}

export interface ImageReference {
  /** Registry host (with port), "docker.io" for Docker Hub. */
  registry: string;
  /** Repository path inside the registry ("library/x" for official Hub images). */
  repository: string;
  tag: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export class ReferenceError extends Error {}

/** Docker's reference normalisation: the first part is a registry when it has "." or ":" or is "localhost". */
export function parseReference(reference: string): ImageReference {
  let rest = reference.trim();
  if (rest.includes('@')) throw new ReferenceError(`"${reference}" is a digest reference: give a tag (name:tag) instead.`);
  let tag = 'latest';
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!TAG.test(tag)) throw new ReferenceError(`"${tag}" is not a valid tag: use letters, digits, ".", "_" and "-" (at most 128).`);
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) {
    throw new ReferenceError(
      `"${reference}" is not a valid image name: use lowercase letters, digits and separators, like registry/team/name:tag.`,
    );
  }
  return { registry, repository, tag };
}

/** The short form people type: Hub's "library/" and "docker.io/" are left out. */
export function formatReference(ref: ImageReference): string {
  const repository = ref.registry === 'docker.io' ? ref.repository.replace(/^library\//, '') : ref.repository;
  return `${ref.registry === 'docker.io' ? '' : `${ref.registry}/`}${repository}:${ref.tag}`;
}

/** The reference an image gets to be pushed to `registry` (its name kept, its registry part replaced). */
export function referenceForRegistry(reference: string, registry: string, namespace?: string): string {
  const ref = parseReference(reference);
  const name = ref.repository.split('/').pop() as string;
  const repository = namespace ? `${namespace.replace(/\/+$/, '')}/${name}` : ref.registry === registry ? ref.repository : name;
  return formatReference({
    registry,
    repository: registry === 'docker.io' && !repository.includes('/') ? `library/${repository}` : repository,
    tag: ref.tag,
  });
}
