import { formatDelta, formatValue, type Comparison, type ComparisonColumn, type ComparisonRow } from '../../../src/core/compare/comparison';
import type { ComparisonSort } from '../../../src/core/compare/comparison';
import { codicon, el } from './dom';

export interface DiffTableActions {
  sortBy(row: ComparisonRow): void;
  pinBaseline(run: ComparisonColumn): void;
  toggleDirection(row: ComparisonRow): void;
  toggleHidden(run: ComparisonColumn): void;
  openRun(run: ComparisonColumn): void;
}

interface TableModel {
  comparison: Comparison;
  transposed: boolean;
  sort?: ComparisonSort;
  hiddenRunIds: ReadonlySet<string>;
}

const ROW_HEIGHT = 28;
const COLUMN_WIDTH = 168;
const ROW_HEADER_WIDTH = 260;
const HEADER_HEIGHT = 56;
/** Rows and columns drawn beyond the visible ones, so a fast scroll shows no gap. */
const OVERSCAN = 2;

/**
 * The diff table, virtualised on both axes: only the cells in view exist in the DOM, so 2,000 runs
 * × 200 keys cost as much as 20 × 10. A real `<table>` with `aria-rowcount`/`aria-colcount` and
 * per-cell indexes keeps it a table for screen readers; arrow keys move a roving focus.
 */
export class DiffTable {
  readonly element: HTMLDivElement;
  private readonly sizer: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private model: TableModel | undefined;
  private frame = 0;
  /** The focused cell: row −1 is the header row, column −1 the header column. */
  private active = { row: -1, column: -1 };

  constructor(private readonly actions: DiffTableActions) {
    this.table = el('table', { className: 'diff-table', attrs: { role: 'grid', 'aria-label': 'Runs compared' } });
    this.sizer = el('div', { className: 'diff-sizer' }, this.table);
    this.element = el('div', { className: 'diff-scroll' }, this.sizer);
    this.element.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.element);
    this.table.addEventListener('click', (event) => this.onClick(event));
    this.table.addEventListener('keydown', (event) => this.onKeyDown(event));
  }

  update(model: TableModel): void {
    this.model = model;
    const { rows, columns } = this.extent();
    this.active = { row: Math.min(this.active.row, rows - 1), column: Math.min(this.active.column, columns - 1) };
    this.sizer.style.width = `${ROW_HEADER_WIDTH + columns * COLUMN_WIDTH}px`;
    this.sizer.style.height = `${HEADER_HEIGHT + rows * ROW_HEIGHT}px`;
    this.table.setAttribute('aria-rowcount', String(rows + 1));
    this.table.setAttribute('aria-colcount', String(columns + 1));
    this.render();
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Logical rows and columns of data (headers excluded). */
  private extent(): { rows: number; columns: number } {
    const c = this.model?.comparison;
    if (!c) return { rows: 0, columns: 0 };
    return this.model?.transposed ? { rows: c.runs.length, columns: c.rows.length } : { rows: c.rows.length, columns: c.runs.length };
  }

  private window(): { firstRow: number; rowCount: number; firstColumn: number; columnCount: number } {
    const { rows, columns } = this.extent();
    const height = this.element.clientHeight || 600;
    const width = this.element.clientWidth || 800;
    const visibleRows = Math.ceil(Math.max(height - HEADER_HEIGHT, 0) / ROW_HEIGHT) + OVERSCAN;
    const visibleColumns = Math.ceil(Math.max(width - ROW_HEADER_WIDTH, 0) / COLUMN_WIDTH) + OVERSCAN;
    const firstRow = Math.max(0, Math.min(Math.floor(this.element.scrollTop / ROW_HEIGHT), rows - visibleRows + OVERSCAN));
    const firstColumn = Math.max(0, Math.min(Math.floor(this.element.scrollLeft / COLUMN_WIDTH), columns - visibleColumns + OVERSCAN));
    return {
      firstRow,
      rowCount: Math.max(0, Math.min(visibleRows, rows - firstRow)),
      firstColumn,
      columnCount: Math.max(0, Math.min(visibleColumns, columns - firstColumn)),
    };
  }

  private render(): void {
    const model = this.model;
    if (!model) return;
    const { firstRow, rowCount, firstColumn, columnCount } = this.window();
    const c = model.comparison;
    const head = el('thead');
    const headRow = el('tr', { attrs: { 'aria-rowindex': 1 } });
    headRow.style.height = `${HEADER_HEIGHT}px`;
    headRow.append(this.corner(model));
    for (let j = firstColumn; j < firstColumn + columnCount; j++) {
      const cell = model.transposed ? this.keyHeader(c.rows[j], j, 'col', model) : this.runHeader(c.runs[j], j, 'col', model);
      cell.setAttribute('aria-colindex', String(j + 2));
      this.markActive(cell, -1, j);
      headRow.append(cell);
    }
    head.append(headRow);

    const body = el('tbody');
    for (let i = firstRow; i < firstRow + rowCount; i++) {
      const tr = el('tr', { attrs: { 'aria-rowindex': i + 2 } });
      tr.style.height = `${ROW_HEIGHT}px`;
      const header = model.transposed ? this.runHeader(c.runs[i], i, 'row', model) : this.keyHeader(c.rows[i], i, 'row', model);
      header.setAttribute('aria-colindex', '1');
      this.markActive(header, i, -1);
      tr.append(header);
      for (let j = firstColumn; j < firstColumn + columnCount; j++) {
        const cell = model.transposed ? this.valueCell(c.rows[j], i, c) : this.valueCell(c.rows[i], j, c);
        cell.setAttribute('aria-colindex', String(j + 2));
        this.markActive(cell, i, j);
        tr.append(cell);
      }
      body.append(tr);
    }
    const hadFocus = this.table.contains(document.activeElement);
    // Fixed layout needs a fixed table width, or long deltas would widen columns past the geometry
    // the scroll position is computed from.
    this.table.style.width = `${ROW_HEADER_WIDTH + columnCount * COLUMN_WIDTH}px`;
    this.table.replaceChildren(this.columnGroup(columnCount), head, body);
    if (hadFocus) this.focusActive();
    this.table.dataset.firstRow = String(firstRow);
  }

  private columnGroup(columnCount: number): HTMLTableColElement {
    const group = el('colgroup');
    const first = el('col');
    first.style.width = `${ROW_HEADER_WIDTH}px`;
    group.append(first);
    for (let j = 0; j < columnCount; j++) {
      const col = el('col');
      col.style.width = `${COLUMN_WIDTH}px`;
      group.append(col);
    }
    return group;
  }

  private corner(model: TableModel): HTMLTableCellElement {
    const rows = model.comparison.rows.length;
    const runs = model.comparison.runs.length;
    const cell = el('th', {
      className: 'corner',
      text: model.transposed ? `${runs} runs × ${rows} keys` : `${rows} keys × ${runs} runs`,
      attrs: { scope: 'col', 'aria-colindex': 1 },
    });
    this.markActive(cell, -1, -1);
    return cell;
  }

  private runHeader(run: ComparisonColumn | undefined, index: number, scope: 'row' | 'col', model: TableModel): HTMLTableCellElement {
    const cell = el('th', { className: 'run-header', attrs: { scope } });
    if (!run) return cell;
    const baseline = model.comparison.baselineIndex === index;
    const hidden = model.hiddenRunIds.has(run.id);
    if (baseline) cell.classList.add('baseline');
    const name = el('button', {
      className: 'link run-name',
      text: run.name || run.id,
      title: `${run.name || run.id} (${run.id}, ${run.status}): open the run`,
      attrs: { 'data-action': 'open', 'data-run': index, type: 'button' },
    });
    const pin = el('button', {
      className: 'icon',
      title: baseline ? 'Baseline: the others show their change against this run' : 'Pin as baseline',
      attrs: {
        'data-action': 'baseline',
        'data-run': index,
        'aria-pressed': baseline ? 'true' : 'false',
        type: 'button',
        'aria-label': 'Baseline',
      },
    });
    const eye = el('button', {
      className: 'icon',
      title: hidden ? 'Hidden from the charts: show' : 'Shown in the charts: hide',
      attrs: {
        'data-action': 'hide',
        'data-run': index,
        'aria-pressed': hidden ? 'true' : 'false',
        type: 'button',
        'aria-label': 'Hide in charts',
      },
    });
    pin.append(codicon(baseline ? 'pinned' : 'pin'));
    eye.append(codicon(hidden ? 'eye-closed' : 'eye'));
    cell.append(
      name,
      el('span', { className: 'header-tools' }, el('span', { className: `status status-${run.status}`, text: run.status }), pin, eye),
    );
    return cell;
  }

  private keyHeader(row: ComparisonRow | undefined, index: number, scope: 'row' | 'col', model: TableModel): HTMLTableCellElement {
    const cell = el('th', { className: `key-header kind-${row?.kind ?? ''}`, attrs: { scope } });
    if (!row) return cell;
    if (row.changed) cell.classList.add('changed');
    const sorted = model.sort?.kind === row.kind && model.sort.key === row.key ? model.sort : undefined;
    cell.setAttribute('aria-sort', !model.transposed ? 'none' : sorted ? (sorted.descending ? 'descending' : 'ascending') : 'none');
    const sort = el(
      'button',
      {
        className: `icon${sorted ? ' active' : ''}`,
        title: sorted ? `Runs sorted by ${row.key}, ${sorted.descending ? 'descending' : 'ascending'}` : `Sort runs by ${row.key}`,
        attrs: { 'data-action': 'sort', 'data-row': index, type: 'button', 'aria-label': `Sort runs by ${row.key}` },
      },
      codicon(sorted ? (sorted.descending ? 'arrow-down' : 'arrow-up') : 'arrow-both'),
    );
    const tools = el('span', { className: 'header-tools' }, sort);
    if (row.kind === 'metric') {
      tools.append(
        el('button', {
          className: `icon direction ${row.directionSource === 'user' ? 'chosen' : ''}`,
          text: row.direction === 'min' ? 'min' : row.direction === 'max' ? 'max' : '–',
          title:
            row.direction === undefined
              ? 'No best value marked: click to mark the lowest as best'
              : `The ${row.direction === 'min' ? 'lowest' : 'highest'} value is best: click to switch`,
          attrs: { 'data-action': 'direction', 'data-row': index, type: 'button', 'aria-label': `Which ${row.key} is best` },
        }),
      );
    }
    cell.append(el('span', { className: 'kind', text: row.kind }), el('span', { className: 'key', text: row.key, title: row.key }), tools);
    return cell;
  }

  private valueCell(row: ComparisonRow | undefined, column: number, c: Comparison): HTMLTableCellElement {
    const cell = el('td', { attrs: { role: 'gridcell' } });
    if (!row) return cell;
    const value = row.values[column];
    if (column === c.baselineIndex) cell.classList.add('baseline');
    if (value === undefined) {
      cell.classList.add('missing');
      cell.append(el('span', { text: '—', attrs: { 'aria-label': 'missing' } }));
      return cell;
    }
    const text = formatValue(value);
    cell.title = text;
    if (row.best.includes(column)) {
      cell.classList.add('best');
      cell.append(el('span', { className: 'best-mark codicon codicon-star-full', attrs: { 'aria-label': 'best', role: 'img' } }));
    }
    cell.append(el('span', { className: 'value', text }));
    const delta = row.deltas?.[column];
    if (delta && column !== c.baselineIndex && delta.absolute !== 0) {
      const better = row.direction === undefined ? undefined : (row.direction === 'min') === delta.absolute < 0;
      const deltaText = formatDelta(delta);
      cell.title = `${text} ${deltaText} against the baseline`;
      cell.append(el('span', { className: `delta ${better === undefined ? '' : better ? 'better' : 'worse'}`, text: deltaText }));
    }
    return cell;
  }

  private markActive(cell: HTMLTableCellElement, row: number, column: number): void {
    cell.dataset.row = String(row);
    cell.dataset.column = String(column);
    cell.tabIndex = row === this.active.row && column === this.active.column ? 0 : -1;
  }

  private focusActive(): void {
    const cell = this.table.querySelector<HTMLElement>(`[data-row="${this.active.row}"][data-column="${this.active.column}"]`);
    cell?.focus({ preventScroll: true });
  }

  private onClick(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target : undefined;
    const cell = target?.closest<HTMLElement>('th, td');
    if (cell?.dataset.row !== undefined) this.active = { row: Number(cell.dataset.row), column: Number(cell.dataset.column) };
    const button = target?.closest<HTMLElement>('[data-action]');
    const c = this.model?.comparison;
    if (!button || !c) return;
    const run = c.runs[Number(button.dataset.run)];
    const row = c.rows[Number(button.dataset.row)];
    switch (button.dataset.action) {
      case 'open':
        if (run) this.actions.openRun(run);
        break;
      case 'baseline':
        if (run) this.actions.pinBaseline(run);
        break;
      case 'hide':
        if (run) this.actions.toggleHidden(run);
        break;
      case 'sort':
        if (row) this.actions.sortBy(row);
        break;
      case 'direction':
        if (row) this.actions.toggleDirection(row);
        break;
    }
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.target instanceof HTMLButtonElement && (event.key === 'Enter' || event.key === ' ')) return;
    const { rows, columns } = this.extent();
    const page = Math.max(1, Math.floor((this.element.clientHeight - HEADER_HEIGHT) / ROW_HEIGHT) - 1);
    let { row, column } = this.active;
    switch (event.key) {
      case 'ArrowDown':
        row += 1;
        break;
      case 'ArrowUp':
        row -= 1;
        break;
      case 'ArrowRight':
        column += 1;
        break;
      case 'ArrowLeft':
        column -= 1;
        break;
      case 'PageDown':
        row += page;
        break;
      case 'PageUp':
        row -= page;
        break;
      case 'Home':
        column = -1;
        if (event.ctrlKey) row = -1;
        break;
      case 'End':
        column = columns - 1;
        if (event.ctrlKey) row = rows - 1;
        break;
      case 'Enter': {
        const button = this.table.querySelector<HTMLElement>(`[data-row="${row}"][data-column="${column}"] button`);
        button?.click();
        event.preventDefault();
        return;
      }
      default:
        return;
    }
    event.preventDefault();
    this.active = { row: Math.max(-1, Math.min(row, rows - 1)), column: Math.max(-1, Math.min(column, columns - 1)) };
    this.scrollIntoView();
    this.render();
    this.focusActive();
  }

  private scrollIntoView(): void {
    const { row, column } = this.active;
    const viewHeight = this.element.clientHeight - HEADER_HEIGHT;
    const viewWidth = this.element.clientWidth - ROW_HEADER_WIDTH;
    if (row >= 0) {
      const top = row * ROW_HEIGHT;
      if (top < this.element.scrollTop) this.element.scrollTop = top;
      else if (top + ROW_HEIGHT > this.element.scrollTop + viewHeight) this.element.scrollTop = top + ROW_HEIGHT - viewHeight;
    }
    if (column >= 0) {
      const left = column * COLUMN_WIDTH;
      if (left < this.element.scrollLeft) this.element.scrollLeft = left;
      else if (left + COLUMN_WIDTH > this.element.scrollLeft + viewWidth) this.element.scrollLeft = left + COLUMN_WIDTH - viewWidth;
    }
  }
}
