/**
 * The compare panel in real headless Chromium (Debian's /usr/bin/chromium through playwright-core),
 * with the built bundle (dist/webview) on the page the host serves, its CSP included:
 *
 * - snapshot → first complete render: from the host's snapshot message to the next painted frame,
 *   once with the table and once with the Charts tab open until every visible history chart holds
 *   every run's curve (the histories come from a stand-in host in the page, in batches of 100 runs
 *   as the extension sends them, each history already reduced to `historyBuckets(runs)` buckets);
 * - JS heap (CDP `Performance.getMetrics`) and the resident memory of the browser's processes;
 * - a scroll, the only-changed toggle, a baseline change and a sort, each to the next painted frame;
 *   on the charts, hiding a run from the legend and a hover tooltip.
 *
 * Peer, in the same run and the same browser: a naive table — every row × every run as DOM cells
 * (no virtualisation), built from the same comparison and re-built for each toggle, on a page with
 * the same stylesheet. MLflow's compare page needs its server and a browser UI of its own, which
 * cannot run offline on the same data, so it is not the peer.
 *
 *   npm run bench -- compareWebview
 *   node out/bench/compareWebview.bench.js [--runs 10,100,1000,2000] [--repeat 5]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildComparison, historyBuckets } from '../src/core/compare';
import type { Run } from '../src/core/runs/model';
import { comparisonOptionsOf, defaultViewState, type HostToWebview } from '../src/shared/compareProtocol';
import { repoRoot } from '../test/support/tools';
import { chromiumArgs, inPage, openPanel, type PanelPage } from '../test/webview/compareHarness';

const option = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const COUNTS = option('runs', '10,100,1000,2000').split(',').map(Number);
const REPEAT = Number(option('repeat', '5'));
const METRICS = 20;
const STEPS = 1000;
const PARAMS = 10;
const TAGS = 5;
const VIEWPORT = { width: 1280, height: 800 };
const RENDER_GOAL_MS = 1000;
const ANSWER_GOAL_MS = 100;
/** Above this many runs the panel draws the curves and their tooltip itself (`LAYER_CURVES_ABOVE` in the webview). */
const LAYER_CURVES_ABOVE = 100;

let seed = 17;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

/** N runs with 10 params (half shared), 20 metrics (the latest of a 1,000-step history) and 5 tags. */
function makeRuns(count: number): Run[] {
  return Array.from({ length: count }, (_, r) => {
    const params: Run['params'] = {};
    for (let i = 0; i < PARAMS; i++) params[`param_${i}`] = i % 2 === 0 ? Math.floor(random() * 5) : `shared-${i}`;
    const metrics: Run['metrics'] = {};
    for (let i = 0; i < METRICS; i++) metrics[i % 2 === 0 ? `val_loss_${i}` : `accuracy_${i}`] = random();
    const tags: Run['tags'] = {};
    for (let i = 0; i < TAGS; i++) tags[`tag_${i}`] = i === 0 ? `run-${r}` : `shared-${i}`;
    return {
      id: `mlflow:${r.toString(16).padStart(32, '0')}`,
      source: 'mlflow',
      experiment: 'bench',
      name: `run-${r}`,
      status: 'finished',
      params,
      metrics,
      tags,
    };
  });
}

/** Page helpers: the next painted frame, and waiting for a condition checked between tasks. */
const pageHelpers = `
  window.__afterPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  window.__until = (condition) => new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setTimeout(check, 0));
    check();
  });
`;

/**
 * A stand-in host in the page: answers a history request with each run's history, reduced to the
 * number of points the extension would send for that many runs, in batches of 100 runs.
 */
function historyHost(pointsPerRun: number): string {
  return `
    window.__onPost = (message) => {
      if (message.type !== 'requestHistory') return;
      const ids = message.runIds;
      const points = ${pointsPerRun};
      for (let from = 0; from < ids.length; from += 100) {
        const series = ids.slice(from, from + 100).map((runId, k) => {
          const r = from + k;
          return { runId, points: Array.from({ length: points }, (_, i) => {
            const step = Math.round((i * ${STEPS - 1}) / Math.max(1, points - 1));
            return { step, timestamp: 1700000000000 + step * 1000, value: (1 + (r % 17) / 10) / (1 + step / 50) + Math.sin(step + r) * 0.01 };
          }) };
        });
        setTimeout(() => window.postMessage({ type: 'history', metric: message.metric, series }, '*'), 0);
      }
    };
  `;
}

/** Ships the snapshot into the page as text, parsed there, so the timing starts at postMessage. */
async function stage(page: Page, message: HostToWebview): Promise<void> {
  await inPage(page, `window.__message = JSON.parse(${JSON.stringify(JSON.stringify(message))}); 0`);
}

interface Render {
  table: number;
  complete?: number;
}

/** Posts the staged snapshot; resolves when the table (and, with `charts`, every visible chart) is painted. */
function renderSnapshot(panel: PanelPage, runCount: number, charts: boolean): Promise<Render> {
  return inPage(
    panel.page,
    `(async () => {
      const before = document.body.dataset.rendered;
      const started = performance.now();
      window.postMessage(window.__message, '*');
      await window.__until(() => document.body.dataset.rendered !== before);
      await window.__afterPaint();
      const table = performance.now() - started;
      if (!${charts}) return { table };
      const visible = () => [...document.querySelectorAll('.chart-grid .chart-card')].filter((f) => {
        const r = f.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
      });
      await window.__until(() => visible().length > 0 && visible().every((f) => f.dataset.runsDrawn === '${runCount}'));
      await window.__afterPaint();
      return { table, complete: performance.now() - started };
    })()`,
  );
}

/** Runs an action in the page and times it to the next painted frame (after `settled`, if given). */
function answer(page: Page, action: string, settled = 'true'): Promise<number> {
  return inPage(
    page,
    `(async () => {
      const started = performance.now();
      ${action};
      await window.__until(() => ${settled});
      await window.__afterPaint();
      return performance.now() - started;
    })()`,
  );
}

/** Resident memory of every process below this one (the browser and its renderers), in MB. */
function browserRssMb(): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rss.set(Number(name), kb);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // The process ended while being read.
    }
  }
  let total = 0;
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      total += rss.get(child) ?? 0;
      walk(child);
    }
  };
  walk(process.pid);
  return total / 1024;
}

async function heapMb(page: Page): Promise<number> {
  const session = await page.context().newCDPSession(page);
  await session.send('HeapProfiler.collectGarbage');
  await session.send('Performance.enable');
  const { metrics } = await session.send('Performance.getMetrics');
  await session.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
}

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** The same table drawn naively: every cell in the DOM, re-built from scratch for every change. */
const naiveTable = `
  window.__naive = (c, container) => {
    const text = (v) => (v === undefined ? '—' : v === null ? 'null' : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : String(v));
    const table = document.createElement('table');
    table.className = 'diff-table';
    const head = table.createTHead().insertRow();
    head.insertCell().textContent = c.rows.length + ' keys × ' + c.runs.length + ' runs';
    for (const run of c.runs) {
      const th = document.createElement('th');
      th.textContent = run.name;
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of c.rows) {
      const tr = body.insertRow();
      const th = document.createElement('th');
      th.textContent = row.kind + ' ' + row.key;
      tr.append(th);
      row.values.forEach((v, i) => {
        const td = tr.insertCell();
        td.textContent = text(v);
        if (row.best.includes(i)) td.className = 'best';
        const d = row.deltas && row.deltas[i];
        if (d && d.absolute !== 0) {
          const span = document.createElement('span');
          span.className = 'delta';
          span.textContent = (d.absolute > 0 ? '+' : '−') + Math.abs(d.absolute).toPrecision(4);
          td.append(span);
        }
      });
    }
    container.replaceChildren(table);
  };
`;

async function naivePage(browser: Browser, css: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.setContent(
    '<!DOCTYPE html><html><body><div id="peer" class="diff-scroll" style="height: 700px; overflow: auto"></div></body></html>',
  );
  await page.addStyleTag({ content: css });
  await inPage(page, pageHelpers + naiveTable + '0');
  return page;
}

async function main(): Promise<void> {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  const css = readFileSync(join(repoRoot, 'media', 'compare.css'), 'utf8');
  console.log(
    `compareWebview: ${METRICS} metrics × ${STEPS} steps, ${PARAMS} params, ${TAGS} tags per run; median of ${REPEAT}; goals: first render < ${RENDER_GOAL_MS} ms at 1,000 runs, an answer < ${ANSWER_GOAL_MS} ms`,
  );
  const verdicts: string[] = [];
  for (const count of COUNTS) {
    const runs = makeRuns(count);
    const viewState = defaultViewState(count);
    const snapshot: HostToWebview = {
      type: 'snapshot',
      runs,
      comparison: buildComparison(runs, comparisonOptionsOf(viewState)),
      viewState,
    };
    const buckets = historyBuckets(count);
    const pointsPerRun = Math.min(STEPS, 2 * buckets + 2);
    const rssBefore = browserRssMb();

    // Ours: the table first, then the charts, each in a fresh page.
    const tableTimes: number[] = [];
    const completeTimes: number[] = [];
    let heapTable = 0;
    let heapCharts = 0;
    let rssCharts = 0;
    const actions: Record<string, number[]> = {
      scroll: [],
      'only changed': [],
      baseline: [],
      sort: [],
      'legend hide': [],
      'charts redrawn': [],
      hover: [],
    };
    for (let rep = 0; rep < REPEAT; rep++) {
      const panel = await openPanel(browser, { built: true, viewport: VIEWPORT });
      await inPage(panel.page, pageHelpers + historyHost(pointsPerRun) + '0');
      await stage(panel.page, snapshot);
      tableTimes.push((await renderSnapshot(panel, count, false)).table);
      if (rep === 0) heapTable = await heapMb(panel.page);
      const firstRow = "document.querySelector('.diff-table').dataset.firstRow";
      actions.scroll?.push(
        await answer(
          panel.page,
          `window.__row = ${firstRow}; document.querySelector('.diff-scroll').scrollTop += 10 * 28`,
          `${firstRow} !== window.__row`,
        ),
      );
      actions['only changed']?.push(await answer(panel.page, `document.querySelector('#only-changed').click()`));
      actions.baseline?.push(
        await answer(
          panel.page,
          `{ const s = document.querySelector('header select'); s.value = s.options[Math.floor(s.options.length / 2)].value; s.dispatchEvent(new Event('change')); }`,
        ),
      );
      actions.sort?.push(await answer(panel.page, `document.querySelector('button[aria-label="Sort runs by val_loss_0"]').click()`));
      await panel.close();

      const charts = await openPanel(browser, { built: true, viewport: VIEWPORT });
      await inPage(charts.page, pageHelpers + historyHost(pointsPerRun) + '0');
      await charts.page.click('#tab-charts');
      await stage(charts.page, snapshot);
      const r = await renderSnapshot(charts, count, true);
      completeTimes.push(r.complete ?? NaN);
      if (rep === 0) {
        heapCharts = await heapMb(charts.page);
        rssCharts = browserRssMb();
      }
      // Hiding a run from the legend: the legend answers in the next frame, the visible charts follow.
      const hide = await inPage<{ answer: number; charts: number }>(
        charts.page,
        `(async () => {
          const cards = [...document.querySelectorAll('.chart-grid .chart-card[data-runs-drawn]')];
          const started = performance.now();
          document.querySelector('.legend-item input').click();
          await window.__afterPaint();
          const answer = performance.now() - started;
          await window.__until(() => cards.every((f) => f.dataset.runsDrawn === '${count - 1}'));
          await window.__afterPaint();
          return { answer, charts: performance.now() - started };
        })()`,
      );
      actions['legend hide']?.push(hide.answer);
      actions['charts redrawn']?.push(hide.charts);
      // A hover: Chart.js answers pointer moves on its next animation frame, so two frames are waited for.
      const box = await charts.page.locator('.chart-grid .chart-card canvas').first().boundingBox();
      if (box) {
        const x = box.x + box.width * 0.6;
        const y = box.y + box.height * 0.5;
        actions.hover?.push(
          await answer(
            charts.page,
            `{ const c = document.querySelector('.chart-grid .chart-card canvas'); c.dispatchEvent(new MouseEvent('mousemove', { clientX: ${x}, clientY: ${y}, bubbles: true })); await window.__afterPaint(); }`,
            // Above 100 runs the panel's own tooltip names the nearest curve (Chart.js's otherwise).
            count > LAYER_CURVES_ABOVE ? `document.querySelector('.chart-grid .chart-card .curve-tooltip:not([hidden])') !== null` : 'true',
          ),
        );
      }
      await charts.close();
    }

    // Peer: the naive full table, same data, same browser.
    const peer = await naivePage(browser, css);
    await stage(peer, snapshot);
    const peerTimes: Record<string, number[]> = { render: [], scroll: [], 'only changed': [], baseline: [], sort: [] };
    const base = comparisonOptionsOf(viewState);
    // The states our panel reaches by the same clicks: only changed off, then a baseline, then a sort.
    const afterToggle = { ...base, onlyChanged: !viewState.onlyChanged };
    const afterBaseline = { ...afterToggle, baselineRunId: runs[Math.floor(count / 2)]?.id ?? '' };
    const peerComparisons = {
      'only changed': buildComparison(runs, afterToggle),
      baseline: buildComparison(runs, afterBaseline),
      sort: buildComparison(runs, { ...afterBaseline, sort: { kind: 'metric', key: 'val_loss_0', descending: false } }),
    };
    await inPage(peer, `window.__toggles = JSON.parse(${JSON.stringify(JSON.stringify(peerComparisons))}); 0`);
    let heapPeer = 0;
    for (let rep = 0; rep < REPEAT; rep++) {
      peerTimes.render?.push(
        await answer(peer, `window.__naive(JSON.parse(JSON.stringify(window.__message.comparison)), document.getElementById('peer'))`),
      );
      if (rep === 0) heapPeer = await heapMb(peer);
      peerTimes.scroll?.push(await answer(peer, `document.getElementById('peer').scrollTop += 10 * 28`));
      // The naive page re-builds the table from a comparison the host already made (the toggle's own
      // computation is not counted for the peer).
      for (const name of ['only changed', 'baseline', 'sort'] as const)
        peerTimes[name]?.push(
          await answer(peer, `window.__naive(window.__toggles[${JSON.stringify(name)}], document.getElementById('peer'))`),
        );
      await answer(peer, `document.getElementById('peer').scrollTop = 0`);
    }
    await peer.context().close();

    const table = median(tableTimes);
    const complete = median(completeTimes);
    const peerRender = median(peerTimes.render ?? []);
    const parts = Object.entries(actions).map(([name, times]) => {
      const ours = median(times);
      const theirs = peerTimes[name] ? median(peerTimes[name] ?? []) : undefined;
      return `${name} ${ours.toFixed(0)}${theirs === undefined ? '' : ` (naive ${theirs.toFixed(0)}, ${(ours / theirs).toFixed(2)}×)`}`;
    });
    console.log(
      `  ${count} runs (${snapshot.comparison.rows.length} rows, ${pointsPerRun} points per curve): snapshot → table painted ${table.toFixed(0)} ms (naive table ${peerRender.toFixed(0)} ms, ${(table / peerRender).toFixed(2)}×); → visible charts drawn ${complete.toFixed(0)} ms`,
    );
    console.log(`    answers to the next painted frame, ms: ${parts.join(', ')}`);
    console.log(
      `    JS heap: table ${heapTable.toFixed(1)} MB, with charts ${heapCharts.toFixed(1)} MB, naive table ${heapPeer.toFixed(1)} MB; browser processes RSS ${rssBefore.toFixed(0)} MB before, ${rssCharts.toFixed(0)} MB with the charts open`,
    );
    const slowest = Math.max(...['scroll', 'only changed', 'baseline', 'sort'].map((n) => median(actions[n] ?? [])));
    verdicts.push(
      `${count} runs: render ${complete.toFixed(0)} ms (table ${table.toFixed(0)} ms${count === 1000 ? `, ${complete < RENDER_GOAL_MS ? 'met' : 'NOT met'}` : ''}), slowest table answer ${slowest.toFixed(0)} ms (${slowest < ANSWER_GOAL_MS ? 'met' : 'NOT met'})`,
    );
  }
  await browser.close();
  console.log(`SUMMARY compareWebview: ${verdicts.join('; ')}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
