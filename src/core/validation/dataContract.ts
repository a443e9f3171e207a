import { basename, dirname, join, relative, resolve } from 'node:path';
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import type { Finding } from '../diagnostic';
import type { FileAccess } from '../fileAccess';
import { nodeAt, parseYaml, type ParsedYaml } from '../yaml/parseYaml';
import { readCsvHeader } from './csvHeader';
import { didYouMean, didYouMeanSuffix } from './didYouMean';
import { findingAt } from './findings';
import { lookupByGlob } from './globMatch';
import type { ValidationOptions } from './options';

/** dtype strings pandas accepts in `astype`/`read_csv(dtype=...)`, as people write them in contracts. */
export const PANDAS_DTYPES: readonly string[] = [
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64',
  'float16', 'float32', 'float64', 'Float32', 'Float64', 'complex64', 'complex128',
  'int', 'float', 'complex', 'str', 'bool', 'boolean', 'object', 'string', 'category',
  'datetime64', 'datetime64[ns]', 'datetime64[us]', 'datetime64[ms]', 'datetime64[s]',
  'timedelta64', 'timedelta64[ns]', 'timedelta64[us]', 'timedelta64[ms]', 'timedelta64[s]',
  'string[python]', 'string[pyarrow]', 'period', 'interval', 'Sparse',
]; // prettier-ignore

const DTYPE_SET = new Set(PANDAS_DTYPES);
const DATETIME_TZ = /^datetime64\[(ns|us|ms|s), [^\]]+\]$/;
const PYARROW = /^[a-z0-9_]+(\[[^\]]+\])?\[pyarrow\]$/;

export function isPandasDtype(name: string): boolean {
  return DTYPE_SET.has(name) || DATETIME_TZ.test(name) || PYARROW.test(name);
}

/**
 * schema.yaml, the data contract: dtypes, the target column, and — when the data file can be
 * found — the CSV header against COLUMNS in both directions.
 */
export async function checkDataContract(parsed: ParsedYaml, files: FileAccess, options: ValidationOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const value = parsed.value;
  if (value === undefined || value === null) return findings;
  const columnsNode = nodeAt(parsed.doc, ['COLUMNS']);
  if (!isMap(columnsNode)) {
    findings.push(
      findingAt(
        parsed,
        columnsNode,
        'error',
        'schema-columns-missing',
        columnsNode === undefined
          ? 'The data contract has no COLUMNS mapping; add COLUMNS with each column name and its pandas dtype.'
          : 'COLUMNS must be a mapping of column names to pandas dtypes.',
      ),
    );
    return findings;
  }
  const columns = new Map<string, Pair<Node, Node | null>>();
  for (const pair of columnsNode.items as Pair<Node, Node | null>[]) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    columns.set(name, pair);
    const dtype = pair.value;
    if (!isScalar(dtype) || typeof dtype.value !== 'string' || dtype.value.trim() === '') {
      findings.push(
        findingAt(
          parsed,
          dtype ?? pair.key,
          'error',
          'schema-invalid-dtype',
          `Column "${name}" needs a pandas dtype such as float64, int64 or object.`,
        ),
      );
      continue;
    }
    if (!isPandasDtype(dtype.value)) {
      const suggestion = didYouMean(dtype.value, PANDAS_DTYPES);
      findings.push(
        findingAt(
          parsed,
          dtype,
          'error',
          'schema-invalid-dtype',
          `"${dtype.value}" is not a pandas dtype.${didYouMeanSuffix(suggestion) || ' Use one such as float64, int64, object, bool, category or datetime64[ns].'}`,
          suggestion === undefined ? undefined : { replacement: suggestion },
        ),
      );
    }
  }

  const target = nodeAt(parsed.doc, ['TARGET_COLUMN', 'name']);
  if (isScalar(target) && target.value !== null) {
    const name = String(target.value);
    if (!columns.has(name)) {
      const suggestion = didYouMean(name, columns.keys());
      findings.push(
        findingAt(
          parsed,
          target,
          'error',
          'schema-target-not-a-column',
          `The target column "${name}" is not one of COLUMNS.${didYouMeanSuffix(suggestion) || ' Add it to COLUMNS or fix the name.'}`,
          suggestion === undefined ? undefined : { replacement: suggestion },
        ),
      );
    }
  }

  const dataFile = await findDataFile(parsed.file, files, options);
  if (dataFile === undefined) return findings;
  const header = await readCsvHeader(dataFile, files);
  if (header === undefined || (header.length === 1 && header[0] === '')) return findings;
  const shown = relative(dirname(parsed.file), dataFile) || basename(dataFile);
  const inData = new Set(header);
  for (const [name, pair] of columns) {
    if (!inData.has(name)) {
      findings.push(
        findingAt(
          parsed,
          pair.key,
          'error',
          'schema-column-not-in-data',
          `Column "${name}" is in the contract but not in the header of ${shown}; remove it or fix the data.`,
          {
            dataFile,
          },
        ),
      );
    }
  }
  for (const name of header) {
    if (name !== '' && !columns.has(name)) {
      findings.push(
        findingAt(
          parsed,
          keyOf(parsed, 'COLUMNS'),
          'error',
          'schema-column-not-in-contract',
          `Column "${name}" of ${shown} is missing from COLUMNS; add it with its dtype.`,
          { dataFile, column: name },
        ),
      );
    }
  }
  return findings;
}

function keyOf(parsed: ParsedYaml, name: string): Node | undefined {
  const root = parsed.doc.contents;
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === name);
  return (pair?.key ?? undefined) as Node | undefined;
}

/**
 * The data file the contract describes: a setting first, then the project's config/config.yaml
 * (`data_validation.unzip_data_dir`, then `data_ingestion.local_data_file`), relative to the
 * schema's folder. Only a file that exists counts: before the first ingestion there is none.
 */
export async function findDataFile(schemaFile: string, files: FileAccess, options: ValidationOptions): Promise<string | undefined> {
  for (const path of await dataFileCandidates(schemaFile, files, options)) if (await files.exists(path)) return path;
  return undefined;
}

/** Where the data file may be, in order, whether or not it exists yet (for watching). */
export async function dataFileCandidates(schemaFile: string, files: FileAccess, options: ValidationOptions): Promise<string[]> {
  const project = dirname(schemaFile);
  const fromSetting = lookupByGlob(options.dataFiles, schemaFile, options.root);
  if (fromSetting !== undefined) return [fromSetting];
  const configPath = join(project, 'config', 'config.yaml');
  const text = await files.readText(configPath);
  if (text === undefined) return [];
  const config = parseYaml(configPath, text).value;
  const found: string[] = [];
  for (const [section, key] of [
    ['data_validation', 'unzip_data_dir'],
    ['data_ingestion', 'local_data_file'],
  ] as const) {
    const candidate = (config as Record<string, Record<string, unknown> | undefined> | null)?.[section]?.[key];
    if (typeof candidate === 'string' && candidate !== '') found.push(resolve(project, candidate));
  }
  return found;
}
