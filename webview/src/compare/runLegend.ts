import type { Run } from '../../../src/core/runs/model';
import { codicon, el } from './dom';

export interface RunLegendActions {
  /** Hides (or shows) these runs in every chart. */
  setHidden(runIds: readonly string[], hidden: boolean): void;
}

interface LegendItem {
  run: Run;
  item: HTMLLIElement;
  box: HTMLInputElement;
  /** Lower-case name and id, what the filter matches. */
  text: string;
}

/**
 * The charts' legend, outside the canvases: one checkbox per run with its colour, for any number of
 * runs. A filter narrows the list, Show/Hide apply to the listed runs, and the list is one tab stop
 * with arrow keys between runs (Space toggles), so 2,000 runs do not mean 2,000 tab stops.
 */
export class RunLegend {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly filterInput: HTMLInputElement;
  private readonly count: HTMLSpanElement;
  private items: LegendItem[] = [];
  private builtFor: readonly Run[] | undefined;
  /** The item that takes focus when the list is tabbed into. */
  private active = 0;

  constructor(private readonly actions: RunLegendActions) {
    this.filterInput = el('input', {
      className: 'legend-filter',
      attrs: { type: 'search', placeholder: 'Filter runs', 'aria-label': 'Filter the runs in the legend', spellcheck: 'false' },
    });
    const showListed = el(
      'button',
      { className: 'icon', title: 'Show the listed runs in the charts', attrs: { type: 'button', 'aria-label': 'Show listed runs' } },
      codicon('eye'),
    );
    const hideListed = el(
      'button',
      { className: 'icon', title: 'Hide the listed runs from the charts', attrs: { type: 'button', 'aria-label': 'Hide listed runs' } },
      codicon('eye-closed'),
    );
    this.count = el('span', { className: 'legend-count', attrs: { role: 'status', 'aria-live': 'polite' } });
    this.list = el('ul', { className: 'legend-list', attrs: { role: 'group', 'aria-label': 'Runs in the charts' } });
    this.element = el(
      'aside',
      { className: 'legend', attrs: { 'aria-label': 'Legend' } },
      el('div', { className: 'legend-head' }, el('span', { className: 'legend-title', text: 'Runs' }), this.count, showListed, hideListed),
      this.filterInput,
      this.list,
    );
    this.filterInput.addEventListener('input', () => this.applyFilter());
    showListed.addEventListener('click', () => this.actions.setHidden(this.listed(), false));
    hideListed.addEventListener('click', () => this.actions.setHidden(this.listed(), true));
    this.list.addEventListener('change', (event) => {
      const box = event.target instanceof HTMLInputElement ? event.target : undefined;
      const runId = box?.dataset.run;
      if (box && runId !== undefined) this.actions.setHidden([runId], !box.checked);
    });
    this.list.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.list.addEventListener('focusin', (event) => {
      const at = this.items.findIndex((i) => i.box === event.target);
      if (at >= 0) this.setActive(at);
    });
  }

  /** Shows these runs in these colours; the list is rebuilt only when the runs array changes. */
  update(runs: readonly Run[], colors: ReadonlyMap<string, string>, hidden: ReadonlySet<string>): void {
    if (this.builtFor !== runs) {
      this.builtFor = runs;
      this.items = runs.map((run, i) => {
        const box = el('input', { attrs: { type: 'checkbox', id: `legend-run-${i}`, 'data-run': run.id, tabindex: -1 } });
        const swatch = el('span', { className: 'legend-swatch', attrs: { 'aria-hidden': 'true' } });
        swatch.style.background = colors.get(run.id) ?? '#888';
        const name = run.name || run.id;
        const label = el('label', { title: `${name} (${run.id})`, attrs: { for: box.id } }, swatch, el('span', { text: name }));
        const item = el('li', { className: 'legend-item' }, box, label);
        return { run, item, box, text: `${name}\n${run.id}`.toLowerCase() };
      });
      this.list.replaceChildren(...this.items.map((i) => i.item));
      this.active = 0;
      this.applyFilter();
    }
    for (const { run, box } of this.items) box.checked = !hidden.has(run.id);
    this.count.textContent = `${this.items.length - this.items.filter((i) => hidden.has(i.run.id)).length} of ${this.items.length} shown`;
  }

  private listed(): string[] {
    return this.items.filter((i) => !i.item.hidden).map((i) => i.run.id);
  }

  private applyFilter(): void {
    const filter = this.filterInput.value.trim().toLowerCase();
    for (const i of this.items) i.item.hidden = filter.length > 0 && !i.text.includes(filter);
    const current = this.items[this.active];
    if (!current || current.item.hidden)
      this.setActive(
        Math.max(
          0,
          this.items.findIndex((i) => !i.item.hidden),
        ),
      );
    else this.setActive(this.active);
  }

  private setActive(at: number): void {
    const previous = this.items[this.active];
    if (previous) previous.box.tabIndex = -1;
    this.active = at;
    const current = this.items[at];
    if (current) current.box.tabIndex = 0;
  }

  private onKeyDown(event: KeyboardEvent): void {
    const visible = this.items.flatMap((i, index) => (i.item.hidden ? [] : [index]));
    const position = visible.indexOf(this.active);
    let next: number | undefined;
    if (event.key === 'ArrowDown') next = visible[Math.min(position + 1, visible.length - 1)];
    else if (event.key === 'ArrowUp') next = visible[Math.max(position - 1, 0)];
    else if (event.key === 'Home') next = visible[0];
    else if (event.key === 'End') next = visible.at(-1);
    if (next === undefined) return;
    event.preventDefault();
    this.setActive(next);
    const box = this.items[next]?.box;
    box?.focus();
    box?.scrollIntoView({ block: 'nearest' });
  }
}
