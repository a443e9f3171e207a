/** What pandas means by a dtype name, for hover and completion details. */
const DESCRIPTIONS: Record<string, string> = {
  int8: '8-bit signed integer (−128…127); no missing values.',
  int16: '16-bit signed integer; no missing values.',
  int32: '32-bit signed integer; no missing values.',
  int64: '64-bit signed integer, NumPy; a column with a missing value cannot have it (use Int64).',
  uint8: '8-bit unsigned integer (0…255).',
  uint16: '16-bit unsigned integer.',
  uint32: '32-bit unsigned integer.',
  uint64: '64-bit unsigned integer.',
  Int8: 'Nullable 8-bit integer (pandas extension type; missing values are pd.NA).',
  Int16: 'Nullable 16-bit integer (pandas extension type).',
  Int32: 'Nullable 32-bit integer (pandas extension type).',
  Int64: 'Nullable 64-bit integer (pandas extension type; missing values are pd.NA).',
  UInt8: 'Nullable 8-bit unsigned integer.',
  UInt16: 'Nullable 16-bit unsigned integer.',
  UInt32: 'Nullable 32-bit unsigned integer.',
  UInt64: 'Nullable 64-bit unsigned integer.',
  float16: 'Half-precision float.',
  float32: 'Single-precision float.',
  float64: 'Double-precision float, NumPy; missing values are NaN. What read_csv gives a numeric column with decimals.',
  Float32: 'Nullable single-precision float (pandas extension type).',
  Float64: 'Nullable double-precision float (pandas extension type; missing values are pd.NA).',
  complex64: 'Complex number of two 32-bit floats.',
  complex128: 'Complex number of two 64-bit floats.',
  int: 'Python int: the platform integer, int64 on Linux and macOS.',
  float: 'Python float: float64.',
  complex: 'Python complex: complex128.',
  str: 'Python str: stored as object (Python strings).',
  bool: 'NumPy boolean; no missing values (use boolean for that).',
  boolean: 'Nullable boolean (pandas extension type; missing values are pd.NA).',
  object: 'Python objects, usually strings: what read_csv gives a text column.',
  string: 'pandas string dtype (string[python] by default; missing values are pd.NA).',
  category: 'Categorical: a fixed set of values stored as integer codes.',
  datetime64: 'Timestamps; pandas stores them as datetime64[ns] unless a unit is given.',
  period: 'Time spans of a fixed frequency (PeriodDtype).',
  interval: 'Intervals between two bounds (IntervalDtype).',
  Sparse: 'Sparse values: only the non-fill values are stored.',
};

export function describeDtype(dtype: string): string {
  const known = DESCRIPTIONS[dtype];
  if (known) return known;
  let match = /^datetime64\[(ns|us|ms|s)(?:, (.+))?\]$/.exec(dtype);
  if (match) return `Timestamps with ${unit(match[1])} resolution${match[2] ? `, in time zone ${match[2]}` : ''}.`;
  match = /^timedelta64(?:\[(ns|us|ms|s)\])?$/.exec(dtype);
  if (match) return `Durations${match[1] ? ` with ${unit(match[1])} resolution` : ''}.`;
  if (dtype === 'string[python]') return 'pandas string dtype backed by Python objects.';
  if (dtype === 'string[pyarrow]') return 'pandas string dtype backed by Arrow arrays (needs pyarrow).';
  if (/\[pyarrow\]$/.test(dtype)) return `Arrow-backed ${dtype.replace(/\[pyarrow\]$/, '')} (ArrowDtype; needs pyarrow).`;
  return 'A pandas dtype.';
}

function unit(code: string | undefined): string {
  return { ns: 'nanosecond', us: 'microsecond', ms: 'millisecond', s: 'second' }[code ?? 'ns'] ?? 'nanosecond';
}
