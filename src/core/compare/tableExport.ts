import { formatDelta, formatValue, type Comparison, type ComparisonRow } from './comparison';

function cellText(row: ComparisonRow, column: number): string {
  return formatValue(row.values[column]);
}

// Spreadsheets run a cell that starts with one of these as a formula; run names and tags come
// from files anyone can write, so such text is prefixed with a quote to stay text.
function defuseFormula(text: string, isNumber: boolean): string {
  return !isNumber && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The table as CSV (RFC 4180): a `kind,key` column pair, then one column per run headed by its
 * name. Missing values are empty fields.
 */
export function toCsv(comparison: Comparison): string {
  const lines: string[] = [];
  lines.push(['kind', 'key', ...comparison.runs.map((r) => defuseFormula(r.name || r.id, false))].map(csvField).join(','));
  for (const row of comparison.rows) {
    const cells = row.values.map((v, i) => defuseFormula(cellText(row, i), typeof v === 'number'));
    lines.push([row.kind, defuseFormula(row.key, false), ...cells].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function markdownCell(text: string): string {
  // Escapes what Markdown would read as table structure, emphasis, code or HTML.
  return text
    .replace(/\\/g, '\\\\')
    .replace(/([|*_`[\]#~])/g, '\\$1')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

/**
 * The table as a GitHub-flavoured Markdown table. The best value of each metric is bold; with a
 * baseline, the other runs' numeric values carry their delta.
 */
export function toMarkdown(comparison: Comparison): string {
  const header = [
    'Key',
    ...comparison.runs.map((r, i) => markdownCell(r.name || r.id) + (i === comparison.baselineIndex ? ' (baseline)' : '')),
  ];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const row of comparison.rows) {
    const cells = row.values.map((_, i) => {
      let text = markdownCell(cellText(row, i));
      if (text.length > 0 && row.best.includes(i)) text = `**${text}**`;
      const delta = row.deltas?.[i];
      if (delta && i !== comparison.baselineIndex) text += ` ${markdownCell(formatDelta(delta))}`;
      return text;
    });
    lines.push(`| ${[`${row.kind}: ${markdownCell(row.key)}`, ...cells].join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
