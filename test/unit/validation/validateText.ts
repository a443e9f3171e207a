import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Finding } from '../../../src/core/diagnostic';
import { validateFile, type ValidationOptions } from '../../../src/core/validation/validateFile';

/** Writes files into a fresh temp project and validates the first one. */
export async function validateText(
  name: string,
  text: string,
  others: Record<string, string> = {},
  options: ValidationOptions = {},
): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-validate-'));
  for (const [path, content] of Object.entries({ [name]: text, ...others })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return validateFile(join(dir, name), options);
}
