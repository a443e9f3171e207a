import { basename } from 'node:path';

/** The files MLOps Workbench understands, by role. */
export type FileKind = 'dvc' | 'dvcLock' | 'params' | 'dataSchema' | 'mlproject' | 'projectConfig' | 'dockerfile';

export function fileKindOf(path: string): FileKind | undefined {
  const name = basename(path);
  if (name === 'dvc.yaml') return 'dvc';
  if (name === 'dvc.lock') return 'dvcLock';
  if (name === 'params.yaml' || name === 'params.yml') return 'params';
  if (name === 'schema.yaml' || name === 'schema.yml') return 'dataSchema';
  if (name.toLowerCase() === 'mlproject') return 'mlproject';
  if (name === 'config.yaml' && /[\\/]config[\\/]config\.yaml$/.test(path)) return 'projectConfig';
  if (name === 'Dockerfile' || name === 'Containerfile' || /\.dockerfile$/i.test(name)) return 'dockerfile';
  return undefined;
}

/** Folders never searched for pipeline files. */
export const IGNORED_DIRECTORIES = new Set([
  '.git',
  '.dvc',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.mlops',
  'mlruns',
  '.tox',
  '.mypy_cache',
]);
