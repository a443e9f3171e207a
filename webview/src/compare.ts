// The compare panel's script. It renders what the host sends through the typed protocol and never
// evaluates data as code or markup: every string from a run goes through textContent.
import { buildComparison, type Comparison, type ComparisonRow, type ComparisonRowKind } from '../../src/core/compare/comparison';
import { inferMetricDirection } from '../../src/core/compare/metricDirection';
import type { MetricPoint, Run } from '../../src/core/runs/model';
import {
  comparisonOptionsOf,
  sanitizeViewState,
  type ComparePanelState,
  type CompareViewState,
  type HostToWebview,
  type WebviewToHost,
} from '../../src/shared/compareProtocol';
import {
  BarChart,
  canvasToPng,
  HistoryChart,
  readTheme,
  runColor,
  ScatterChart,
  type ChartTheme,
  type ScatterPoint,
} from './compare/charts';
import { DiffTable } from './compare/diffTable';
import { codicon, el, labelled, option } from './compare/dom';
import { ParallelCoordinates } from './compare/parallelCoordinates';
import { RunLegend } from './compare/runLegend';

declare function acquireVsCodeApi(): {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: ComparePanelState): void;
};

const vscodeApi = acquireVsCodeApi();
const post = (message: WebviewToHost): void => vscodeApi.postMessage(message);

let runs: Run[] = [];
let viewState: CompareViewState = sanitizeViewState(undefined, 0);
let comparison: Comparison = { runs: [], rows: [], totalRows: 0 };
let colors = new Map<string, string>();
let theme: ChartTheme = readTheme();
/** metric → run id → points, as the host sent them (already downsampled). */
const histories = new Map<string, Map<string, MetricPoint[]>>();
const requestedHistories = new Set<string>();

// ---- layout -------------------------------------------------------------------------------------

const root = document.getElementById('root') ?? document.body.appendChild(el('main', { attrs: { id: 'root' } }));
const heading = el('h1', { className: 'title', text: 'Compare runs' });
const filterInput = el('input', { attrs: { type: 'search', placeholder: 'loss, param:lr, tag:…', spellcheck: 'false' } });
const onlyChangedBox = el('input', { attrs: { type: 'checkbox' } });
const transposeBox = el('input', { attrs: { type: 'checkbox' } });
const baselineSelect = el('select');
const summary = el('span', { className: 'summary', attrs: { role: 'status', 'aria-live': 'polite' } });
const exportButtons = el(
  'span',
  { className: 'field' },
  el('button', { attrs: { type: 'button', 'data-export': 'markdown', 'data-action': 'copy' } }, codicon('copy'), 'Copy as Markdown'),
  el('button', { attrs: { type: 'button', 'data-export': 'csv', 'data-action': 'save' } }, codicon('save'), 'Save CSV…'),
  el('button', { attrs: { type: 'button', 'data-export': 'markdown', 'data-action': 'save' } }, codicon('save'), 'Save Markdown…'),
);
const toolbar = el(
  'header',
  { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Table options' } },
  heading,
  labelled('Filter keys', filterInput),
  el(
    'span',
    { className: 'field check' },
    onlyChangedBox,
    el('label', { text: 'Only changed', attrs: { for: (onlyChangedBox.id = 'only-changed') } }),
  ),
  el(
    'span',
    { className: 'field check' },
    transposeBox,
    el('label', { text: 'Runs as rows', attrs: { for: (transposeBox.id = 'transpose') } }),
  ),
  labelled('Baseline', baselineSelect),
  exportButtons,
  summary,
);

const tableTab = el('button', { text: 'Table', attrs: { role: 'tab', id: 'tab-table', 'aria-controls': 'panel-table', type: 'button' } });
const chartsTab = el('button', {
  text: 'Charts',
  attrs: { role: 'tab', id: 'tab-charts', 'aria-controls': 'panel-charts', type: 'button' },
});
const tabs = el('nav', { className: 'tabs', attrs: { role: 'tablist', 'aria-label': 'Views' } }, tableTab, chartsTab);
const tablePanel = el('section', { className: 'panel', attrs: { role: 'tabpanel', id: 'panel-table', 'aria-labelledby': 'tab-table' } });
const chartsPanel = el('section', {
  className: 'panel charts',
  attrs: { role: 'tabpanel', id: 'panel-charts', 'aria-labelledby': 'tab-charts' },
});

const table = new DiffTable({
  sortBy: (row) => {
    const current = viewState.sort?.kind === row.kind && viewState.sort.key === row.key ? viewState.sort : undefined;
    // Best first on the first click: metrics where lower is better sort ascending, others descending.
    const firstDescending = row.kind === 'metric' && row.direction !== 'min';
    if (!current) changeView({ sort: { kind: row.kind, key: row.key, descending: firstDescending } });
    else if (current.descending === firstDescending) changeView({ sort: { ...current, descending: !current.descending } });
    else changeView({ sort: undefined });
  },
  pinBaseline: (run) => changeView({ baselineRunId: viewState.baselineRunId === run.id ? undefined : run.id }),
  toggleDirection: (row) => {
    // With a direction from the name: flip it, then back. Without: lowest best, highest best, none.
    const directions = { ...viewState.directions };
    const inferred = inferMetricDirection(row.key);
    const chosen = directions[row.key];
    if (inferred) {
      if (chosen) delete directions[row.key];
      else directions[row.key] = inferred === 'min' ? 'max' : 'min';
    } else if (chosen === undefined) directions[row.key] = 'min';
    else if (chosen === 'min') directions[row.key] = 'max';
    else delete directions[row.key];
    changeView({ directions });
  },
  toggleHidden: (run) => toggleHidden(run.id),
  openRun: (run) => post({ type: 'openRun', runId: run.id }),
});
tablePanel.append(table.element);

// ---- state --------------------------------------------------------------------------------------

function persist(): void {
  vscodeApi.setState({ runIds: runs.map((r) => r.id), viewState });
  post({ type: 'viewState', viewState });
}

function changeView(change: Partial<CompareViewState>): void {
  const next: CompareViewState = { ...viewState, ...change };
  for (const key of Object.keys(change) as (keyof CompareViewState)[]) if (change[key] === undefined) delete next[key];
  viewState = next;
  persist();
  // Transposing, hiding a run from the charts or a chart setting leaves the table's content as is.
  const tableKeys: (keyof CompareViewState)[] = ['onlyChanged', 'baselineRunId', 'sort', 'filter', 'directions'];
  if (tableKeys.some((key) => key in change)) recompute();
  else {
    renderTable();
    if (chartsBuilt) refreshCharts();
  }
}

function toggleHidden(runId: string): void {
  setHidden([runId], !viewState.hiddenRunIds.includes(runId));
}

function setHidden(runIds: readonly string[], hide: boolean): void {
  const hidden = new Set(viewState.hiddenRunIds);
  for (const id of runIds) {
    if (hide) hidden.add(id);
    else hidden.delete(id);
  }
  // In the runs' order, so the saved state does not depend on the order of the clicks.
  changeView({ hiddenRunIds: runs.filter((r) => hidden.has(r.id)).map((r) => r.id) });
}

function recompute(): void {
  comparison = buildComparison(runs, comparisonOptionsOf(viewState));
  renderTable();
  if (chartsBuilt) refreshCharts();
}

function renderTable(): void {
  syncControls();
  table.update({ comparison, transposed: viewState.transposed, sort: viewState.sort, hiddenRunIds: new Set(viewState.hiddenRunIds) });
  const changed = viewState.onlyChanged ? ', only changed' : '';
  summary.textContent = `${comparison.rows.length} of ${comparison.totalRows} keys${changed}, ${comparison.runs.length} runs`;
}

function syncControls(): void {
  heading.textContent = `Compare ${runs.length} runs`;
  if (document.activeElement !== filterInput) filterInput.value = viewState.filter;
  onlyChangedBox.checked = viewState.onlyChanged;
  transposeBox.checked = viewState.transposed;
  if (baselineSelect.options.length !== runs.length + 1) {
    baselineSelect.replaceChildren(option('', 'None'), ...runs.map((r) => option(r.id, r.name || r.id)));
  }
  baselineSelect.value = viewState.baselineRunId ?? '';
}

filterInput.addEventListener('input', () => changeView({ filter: filterInput.value }));
onlyChangedBox.addEventListener('change', () => changeView({ onlyChanged: onlyChangedBox.checked }));
transposeBox.addEventListener('change', () => changeView({ transposed: transposeBox.checked }));
baselineSelect.addEventListener('change', () => changeView({ baselineRunId: baselineSelect.value || undefined }));
exportButtons.addEventListener('click', (event) => {
  const button = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>('[data-export]') : null;
  const format = button?.dataset.export;
  const action = button?.dataset.action;
  if ((format === 'csv' || format === 'markdown') && (action === 'copy' || action === 'save')) post({ type: 'export', format, action });
});

function selectTab(which: 'table' | 'charts'): void {
  tableTab.setAttribute('aria-selected', String(which === 'table'));
  chartsTab.setAttribute('aria-selected', String(which === 'charts'));
  tableTab.tabIndex = which === 'table' ? 0 : -1;
  chartsTab.tabIndex = which === 'charts' ? 0 : -1;
  tablePanel.hidden = which !== 'table';
  chartsPanel.hidden = which !== 'charts';
  if (which === 'charts') buildCharts();
}
tableTab.addEventListener('click', () => selectTab('table'));
chartsTab.addEventListener('click', () => selectTab('charts'));
tabs.addEventListener('keydown', (event) => {
  if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
  const next = document.activeElement === tableTab ? chartsTab : tableTab;
  next.focus();
  next.click();
});

// ---- charts -------------------------------------------------------------------------------------

let chartsBuilt = false;
const historyCharts = new Map<string, HistoryChart>();
let scatter: ScatterChart | undefined;
let bar: BarChart | undefined;
let parallel: ParallelCoordinates | undefined;
const smoothingInput = el('input', { attrs: { type: 'range', min: 0, max: 0.99, step: 0.01 } });
const logScaleBox = el('input', { attrs: { type: 'checkbox', id: 'log-scale' } });
const xAxisSelect = el('select', {}, option('step', 'Step'), option('time', 'Time'));
const historyGrid = el('div', { className: 'chart-grid' });
const chartsMain = el('div', { className: 'charts-main' });
const legend = new RunLegend({ setHidden });
chartsPanel.append(chartsMain, legend.element);
const scatterX = el('select');
const scatterY = el('select');
const parallelParams = el('select', { attrs: { multiple: true, size: 5 } });
const parallelMetric = el('select');
const barMetric = el('select');

/** History charts on screen: only these are redrawn; one scrolled into view is brought up to date then. */
const onScreen = new Set<string>();
/** Each metric's history card. */
const historyFigures = new Map<string, HTMLElement>();
const visibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const metric = (entry.target as HTMLElement).dataset.metric;
    if (metric === undefined) continue;
    if (!entry.isIntersecting) {
      onScreen.delete(metric);
      continue;
    }
    onScreen.add(metric);
    showHistory(metric);
  }
});

function metricKeys(): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.metrics)) keys.add(key);
  const filter = viewState.filter.trim().toLowerCase();
  return [...keys]
    .filter((k) => !filter || k.toLowerCase().includes(filter))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function paramKeys(): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.params)) keys.add(key);
  return [...keys].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function card(title: string, canvas: HTMLCanvasElement, ...controls: HTMLElement[]): HTMLElement {
  const save = el('button', { attrs: { type: 'button' } }, codicon('device-camera'), 'Save PNG…');
  save.addEventListener('click', () =>
    post({
      type: 'exportImage',
      name: `${title.replace(/[^\w.-]+/g, '_') || 'chart'}.png`,
      dataUrl: canvasToPng(canvas, theme.background),
    }),
  );
  return el(
    'figure',
    { className: 'chart-card' },
    el('figcaption', {}, el('span', { className: 'chart-title', text: title }), ...controls, save),
    el('div', { className: 'chart-box' }, canvas),
  );
}

function buildCharts(): void {
  if (chartsBuilt) return;
  chartsBuilt = true;
  theme = readTheme();
  smoothingInput.value = String(viewState.smoothing);
  logScaleBox.checked = viewState.logScale;
  xAxisSelect.value = viewState.xAxis;
  smoothingInput.addEventListener('input', () => changeView({ smoothing: Number(smoothingInput.value) }));
  logScaleBox.addEventListener('change', () => changeView({ logScale: logScaleBox.checked }));
  xAxisSelect.addEventListener('change', () => changeView({ xAxis: xAxisSelect.value === 'time' ? 'time' : 'step' }));
  const scatterCanvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'Param against metric, one point per run' } });
  const parallelCanvas = el('canvas', {
    className: 'parallel',
    attrs: { role: 'img', 'aria-label': 'Parallel coordinates of params and a metric' },
  });
  const barCanvas = el('canvas', { attrs: { role: 'img', 'aria-label': 'A metric across runs' } });
  scatter = new ScatterChart(scatterCanvas, theme);
  bar = new BarChart(barCanvas, theme);
  parallel = new ParallelCoordinates(parallelCanvas, theme);
  scatterX.addEventListener('change', () => {
    const [kind, ...rest] = scatterX.value.split(':');
    changeView({ scatter: { ...viewState.scatter, x: { kind: kind === 'metric' ? 'metric' : 'param', key: rest.join(':') } } });
  });
  scatterY.addEventListener('change', () => changeView({ scatter: { ...viewState.scatter, y: scatterY.value } }));
  parallelParams.addEventListener('change', () =>
    changeView({ parallel: { ...viewState.parallel, params: [...parallelParams.selectedOptions].map((o) => o.value) } }),
  );
  parallelMetric.addEventListener('change', () => changeView({ parallel: { ...viewState.parallel, metric: parallelMetric.value } }));
  barMetric.addEventListener('change', () => changeView({ bar: { metric: barMetric.value } }));
  chartsMain.append(
    el(
      'div',
      { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'Chart options' } },
      labelled('Smoothing', smoothingInput),
      el('span', { className: 'field check' }, logScaleBox, el('label', { text: 'Log scale', attrs: { for: 'log-scale' } })),
      labelled('X axis', xAxisSelect),
    ),
    el('h2', { text: 'Metric history' }),
    historyGrid,
    el('h2', { text: 'Param against metric' }),
    otherCard('scatter', card('scatter', scatterCanvas, labelled('X', scatterX), labelled('Y', scatterY))),
    el('h2', { text: 'Parallel coordinates' }),
    otherCard(
      'parallel',
      card('parallel-coordinates', parallelCanvas, labelled('Params', parallelParams), labelled('Metric', parallelMetric)),
    ),
    el('h2', { text: 'Metric across runs' }),
    otherCard('bar', card('bar', barCanvas, labelled('Metric', barMetric))),
  );
  refreshCharts();
}

function fillSelect(select: HTMLSelectElement, options: { value: string; text: string }[], selected: string[]): void {
  const signature = options.map((o) => o.value).join('\u0000');
  if (select.dataset.signature !== signature) {
    select.replaceChildren(...options.map((o) => option(o.value, o.text)));
    select.dataset.signature = signature;
  }
  for (const o of select.options) o.selected = selected.includes(o.value);
}

function visibleRuns(): Run[] {
  const hidden = new Set(viewState.hiddenRunIds);
  return runs.filter((r) => !hidden.has(r.id));
}

function refreshCharts(): void {
  legend.update(runs, colors, new Set(viewState.hiddenRunIds));
  const metrics = metricKeys();
  const params = paramKeys();
  // History cards: one per metric, the chart made when the card scrolls into view.
  const signature = metrics.join('\u0000');
  if (historyGrid.dataset.signature !== signature) {
    for (const chart of historyCharts.values()) chart.destroy();
    historyCharts.clear();
    historyFigures.clear();
    visibility.disconnect();
    onScreen.clear();
    historyGrid.replaceChildren(
      ...metrics.map((metric, i) => {
        const canvas = el('canvas', { attrs: { role: 'img', 'aria-label': `History of ${metric}` } });
        const figure = card(metric, canvas);
        figure.dataset.metricIndex = String(i);
        figure.dataset.metric = metric;
        historyFigures.set(metric, figure);
        visibility.observe(figure);
        return figure;
      }),
    );
    historyGrid.dataset.signature = signature;
    if (metrics.length === 0) historyGrid.append(el('p', { text: 'These runs have no metrics.' }));
  }
  for (const metric of new Set([...historyCharts.keys(), ...onScreen])) queueHistoryChart(metric);

  const axisChoices = [
    ...params.map((p) => ({ value: `param:${p}`, text: `param: ${p}` })),
    ...metrics.map((m) => ({ value: `metric:${m}`, text: `metric: ${m}` })),
  ];
  // By default the first param that differs between the runs: a constant one makes a useless plot.
  const firstParam = comparison.rows.find((r) => r.kind === 'param' && r.changed)?.key ?? params[0];
  const x = viewState.scatter.x ?? (firstParam !== undefined ? { kind: 'param' as ComparisonRowKind, key: firstParam } : undefined);
  const y = viewState.scatter.y ?? metrics[0];
  fillSelect(scatterX, axisChoices, x ? [`${x.kind}:${x.key}`] : []);
  fillSelect(
    scatterY,
    metrics.map((m) => ({ value: m, text: m })),
    y !== undefined ? [y] : [],
  );
  const changedParams = comparison.rows.filter((r) => r.kind === 'param' && r.changed).map((r) => r.key);
  const chosenParams =
    viewState.parallel.params.length > 0 ? viewState.parallel.params : (changedParams.length > 0 ? changedParams : params).slice(0, 5);
  const pMetric = viewState.parallel.metric ?? metrics[0];
  fillSelect(
    parallelParams,
    params.map((p) => ({ value: p, text: p })),
    chosenParams,
  );
  fillSelect(
    parallelMetric,
    metrics.map((m) => ({ value: m, text: m })),
    pMetric !== undefined ? [pMetric] : [],
  );
  const bMetric = viewState.bar.metric ?? metrics[0];
  fillSelect(
    barMetric,
    metrics.map((m) => ({ value: m, text: m })),
    bMetric !== undefined ? [bMetric] : [],
  );

  const shown = visibleRuns();
  const scatterChart = scatter;
  if (scatterChart && x && y !== undefined)
    queueCardDraw('scatter', () => {
      const raw = shown.map((run) => ({ run, x: x.kind === 'metric' ? run.metrics[x.key] : run.params[x.key], y: run.metrics[y] }));
      const textual = raw.some((p) => p.x !== undefined && p.x !== null && typeof p.x !== 'number');
      const categories = textual ? [...new Set(raw.map((p) => String(p.x)))].sort() : undefined;
      const points: ScatterPoint[] = [];
      for (const p of raw) {
        if (p.x === undefined || p.x === null || typeof p.y !== 'number') continue;
        const xValue = categories ? categories.indexOf(String(p.x)) : (p.x as number);
        points.push({ x: xValue, y: p.y, run: p.run, color: colors.get(p.run.id) ?? '#888' });
      }
      scatterChart.update(points, `${x.kind}: ${x.key}`, y, categories);
    });
  const parallelChart = parallel;
  if (parallelChart && pMetric !== undefined)
    queueCardDraw('parallel', () => {
      parallelChart.update(
        shown,
        [
          ...chosenParams.map((p) => ({ label: p, value: (r: Run) => r.params[p] })),
          { label: pMetric, value: (r: Run) => r.metrics[pMetric] },
        ],
        theme,
      );
    });
  const barChart = bar;
  if (barChart && bMetric !== undefined)
    queueCardDraw('bar', () => {
      const withValue = shown.filter((r) => typeof r.metrics[bMetric] === 'number');
      const row: ComparisonRow | undefined = comparison.rows.find((r) => r.kind === 'metric' && r.key === bMetric);
      const bestIds = new Set((row?.best ?? []).map((i) => comparison.runs[i]?.id));
      barChart.update(
        withValue.map((r) => r.name || r.id),
        withValue.map((r) => r.metrics[bMetric] ?? NaN),
        withValue.map((r) => (bestIds.has(r.id) ? (theme.palette[2] ?? '#89d185') : (theme.palette[0] ?? '#3794ff'))),
        bMetric,
      );
    });
}

// ---- drawing off the critical path ------------------------------------------------------------------

/**
 * Chart redraws waiting for their turn, by name (a newer redraw of the same chart replaces an older
 * one). One runs after each painted frame, so a toggle, a scroll or the legend answers in the next
 * frame and the charts catch up one per frame; with 2,000 runs a chart is tens of thousands of
 * points to raster, and history batches arriving together draw a chart once.
 */
const drawQueue = new Map<string, () => void>();
let drawScheduled = false;

function queueDraw(name: string, draw: () => void): void {
  drawQueue.delete(name);
  drawQueue.set(name, draw);
  if (drawScheduled) return;
  drawScheduled = true;
  // The frame that answers the user is painted first; the charts start in the frame after it.
  afterNextPaint(() => afterNextPaint(drawNext));
}

function afterNextPaint(then: () => void): void {
  requestAnimationFrame(() => setTimeout(then, 0));
}

/** How long one task may spend drawing charts before it lets the browser paint and take input. */
const DRAW_BUDGET_MS = 24;

function drawNext(): void {
  const started = performance.now();
  do {
    // The metric histories come first: they are at the top of the Charts tab, the others below them.
    let name: string | undefined;
    for (const queued of drawQueue.keys())
      if (queued.startsWith('history:')) {
        name = queued;
        break;
      }
    name ??= drawQueue.keys().next().value;
    if (name === undefined) {
      drawScheduled = false;
      return;
    }
    const draw = drawQueue.get(name);
    drawQueue.delete(name);
    draw?.();
  } while (performance.now() - started < DRAW_BUDGET_MS);
  afterNextPaint(drawNext);
}

/**
 * The scatter, parallel-coordinates and bar charts sit below the history charts: like them, each is
 * redrawn only while on screen, and one that comes into view is brought up to date then. (Drawn
 * off screen after a delay, they made a click that came just then wait for a 100 ms draw.)
 */
const otherCards = new Map<string, HTMLElement>();
const otherWaiting = new Map<string, () => void>();
const otherVisibility = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const name = (entry.target as HTMLElement).dataset.card;
    if (name === undefined) continue;
    const waiting = otherWaiting.get(name);
    if (!entry.isIntersecting || !waiting) continue;
    otherWaiting.delete(name);
    queueDraw(name, waiting);
  }
});

function otherCard(name: string, figure: HTMLElement): HTMLElement {
  figure.dataset.card = name;
  otherCards.set(name, figure);
  otherVisibility.observe(figure);
  return figure;
}

function queueCardDraw(name: string, draw: () => void): void {
  const figure = otherCards.get(name);
  if (figure) delete figure.dataset.drawn;
  const drawn = (): void => {
    draw();
    // Read by the tests: the chart shows the current state.
    if (figure) figure.dataset.drawn = 'true';
  };
  // Measured now rather than taken from the observer: the history cards above may just have been made.
  const box = figure?.getBoundingClientRect();
  if (!box || (box.bottom > 0 && box.top < innerHeight && box.height > 0)) {
    otherWaiting.delete(name);
    queueDraw(name, drawn);
    return;
  }
  otherWaiting.set(name, drawn);
}

function queueHistoryChart(metric: string): void {
  queueDraw(`history:${metric}`, () => {
    // A chart scrolled out of view is brought up to date when it comes back.
    if (!onScreen.has(metric)) return;
    let chart = historyCharts.get(metric);
    // Made at its first draw, so the histories of every card that came into view are asked for first.
    const canvas = historyFigures.get(metric)?.querySelector('canvas');
    if (!chart && canvas) {
      chart = new HistoryChart(canvas, metric, theme);
      historyCharts.set(metric, chart);
    }
    if (chart) updateHistoryChart(metric, chart);
  });
}

function showHistory(metric: string): void {
  if (!requestedHistories.has(metric)) {
    requestedHistories.add(metric);
    post({ type: 'requestHistory', runIds: runs.filter((r) => metric in r.metrics).map((r) => r.id), metric });
  }
  queueHistoryChart(metric);
}

function updateHistoryChart(metric: string, chart: HistoryChart): void {
  const drawn = chart.update(runs, colors, histories.get(metric) ?? new Map(), {
    smoothing: viewState.smoothing,
    logScale: viewState.logScale,
    xAxis: viewState.xAxis,
    hidden: new Set(viewState.hiddenRunIds),
  });
  // How many curves the chart holds: read by the tests and the benchmark.
  const figure = chart.canvas.closest('figure');
  if (figure) figure.dataset.runsDrawn = String(drawn);
}

// ---- messages -----------------------------------------------------------------------------------

function setRuns(next: Run[]): void {
  runs = next;
  // The editor's theme variables may have been set after the script loaded.
  theme = readTheme();
  colors = new Map(runs.map((r, i) => [r.id, runColor(theme, i)]));
}

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case 'snapshot': {
      const started = performance.now();
      setRuns(message.runs);
      viewState = sanitizeViewState(message.viewState, message.runs.length);
      comparison = message.comparison;
      histories.clear();
      requestedHistories.clear();
      historyGrid.dataset.signature = '';
      root.removeAttribute('aria-busy');
      renderTable();
      if (chartsBuilt) refreshCharts();
      vscodeApi.setState({ runIds: runs.map((r) => r.id), viewState });
      // The host sent the first table; the key matrix behind every later toggle is built while idle.
      const snapshotRuns = runs;
      requestIdleCallback(() => {
        if (runs === snapshotRuns) buildComparison(runs, { kinds: [] });
      });
      // Read by the tests and the benchmark: when the snapshot was drawn and how long it took.
      document.body.dataset.renderMs = String(performance.now() - started);
      document.body.dataset.rendered = String(Date.now());
      break;
    }
    case 'history': {
      const byRun = histories.get(message.metric) ?? new Map<string, MetricPoint[]>();
      for (const s of message.series) byRun.set(s.runId, s.points);
      histories.set(message.metric, byRun);
      queueHistoryChart(message.metric);
      break;
    }
    case 'runUpdated': {
      const at = runs.findIndex((r) => r.id === message.run.id);
      if (at < 0) break;
      const next = runs.slice();
      next[at] = message.run;
      runs = next;
      recompute();
      // Curves of a live run extend: fetch again what is already shown.
      for (const metric of requestedHistories) post({ type: 'requestHistory', runIds: [message.run.id], metric });
      break;
    }
    case 'error':
      summary.textContent = message.message;
      break;
  }
});

root.replaceChildren(toolbar, tabs, tablePanel, chartsPanel);
selectTab('table');
post({ type: 'ready' });
