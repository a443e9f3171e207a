import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { stringify } from 'yaml';
import { findPipelineFiles } from '../pipeline/discovery';

/** Where the workflow goes, relative to the repository's root. */
export const CI_WORKFLOW_PATH = '.github/workflows/mlops.yml';

/** The npm package that carries the `mlops` command. */
export const CLI_PACKAGE = 'mlops-workbench';

export interface CiWorkflowInput {
  /** dvc.yaml and MLproject files, relative to the repository root, `/`-separated. */
  pipelines: string[];
  /** The CLI version to install: the extension's own, so CI checks what the editor checks. */
  cliVersion: string;
  nodeVersion?: string;
}

/** The folders to validate: each pipeline's folder, `.` when one sits at the root (which covers all). */
export function validatedFolders(pipelines: string[]): string[] {
  const folders = [...new Set(pipelines.map((p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.')))].sort();
  if (folders.includes('.') || folders.length === 0) return ['.'];
  // A folder inside another listed one is validated with it.
  return folders.filter((f) => !folders.some((g) => g !== f && f.startsWith(`${g}/`)));
}

/** A path as one shell word: plain when it is safe, else single-quoted. */
function shellWord(path: string): string {
  return /^[\w./@+-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * The GitHub Actions workflow: Node, the `mlops` CLI at the extension's version, `mlops validate
 * --format github` over the pipelines' folders (findings become annotations on the pull request),
 * then `mlops pipeline status` for each dvc.yaml.
 */
export function ciWorkflow(input: CiWorkflowInput): string {
  const folders = validatedFolders(input.pipelines);
  const dvcFiles = input.pipelines.filter((p) => basename(p) === 'dvc.yaml').sort();
  const steps: Array<Record<string, unknown>> = [
    { uses: 'actions/checkout@v4' },
    { uses: 'actions/setup-node@v4', with: { 'node-version': input.nodeVersion ?? '20' } },
    { name: 'Install the mlops CLI', run: `npm install --global ${CLI_PACKAGE}@${input.cliVersion}` },
    { name: 'Validate pipeline files', run: `mlops validate ${folders.map(shellWord).join(' ')} --format github` },
  ];
  for (const file of dvcFiles) steps.push({ name: `Pipeline status: ${file}`, run: `mlops pipeline status ${shellWord(file)}` });
  const workflow = {
    name: 'MLOps',
    on: { push: null, pull_request: null },
    permissions: { contents: 'read' },
    jobs: { validate: { 'runs-on': 'ubuntu-latest', steps } },
  };
  const header =
    '# Checks dvc.yaml, params.yaml, schema.yaml and MLproject on every push and pull request: findings\n' +
    '# appear as annotations on the changed lines. Written by MLOps Workbench ("MLOps: Add CI Workflow").\n';
  return header + stringify(workflow, { lineWidth: 0, nullStr: '' });
}

/** The workflow for a repository folder, from the pipeline files found in it. */
export async function ciWorkflowFor(root: string, cliVersion: string): Promise<{ text: string; pipelines: string[] }> {
  const found = await findPipelineFiles(root);
  const pipelines = [...found.dvc, ...found.mlproject].map((f) => relative(root, f).split(sep).join('/')).sort();
  return { text: ciWorkflow({ pipelines, cliVersion }), pipelines };
}

export type WriteNewFileResult = { written: true } | { exists: true } | { error: string };

/**
 * Writes a file so that a reader sees no file, the old one or the whole new one, never half of it:
 * the text goes to a temporary file beside it, flushed, then takes the name. Without `overwrite`
 * an existing file is left untouched (the name is taken with a hard link, which fails if it exists).
 */
export async function writeFileAtomically(target: string, text: string, overwrite: boolean): Promise<WriteNewFileResult> {
  const folder = dirname(target);
  const temp = join(folder, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.mkdir(folder, { recursive: true });
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (overwrite) await fs.rename(temp, target);
    else {
      try {
        await fs.link(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { exists: true };
        throw error;
      }
    }
    return { written: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : String(error);
    return { error: `${basename(target)} could not be written (${why}).` };
  } finally {
    await fs.rm(temp, { force: true }).catch(() => undefined);
  }
}
