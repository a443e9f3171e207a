import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { buildComparison } from '../../src/core/compare/comparison';
import type { Run } from '../../src/core/runs/model';
import { comparisonOptionsOf, defaultViewState, type CompareViewState, type HostToWebview } from '../../src/shared/compareProtocol';
import { requireTool, repoRoot, waitFor } from '../support/tools';
import { chromiumArgs, inPage, ORIGIN, openPanel, sendSnapshot, type PanelPage } from '../webview/compareHarness';

const XSS = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(2)</script>',
  '<svg onload=alert(3)>',
  "javascript:alert('4')",
  '<iframe src=javascript:alert(5)>',
  '{{constructor.constructor("alert(6)")()}}',
];

let browser: Browser | undefined;
async function launch(t: TestContext): Promise<Browser | undefined> {
  const executablePath = requireTool(t, 'chromium', 'apt-get install -y chromium');
  if (!executablePath) return undefined;
  browser ??= await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  return browser;
}

function snapshot(runs: Run[], viewState: CompareViewState = defaultViewState(runs.length)): HostToWebview & { type: 'snapshot' } {
  return { type: 'snapshot', runs, comparison: buildComparison(runs, comparisonOptionsOf(viewState)), viewState };
}

function run(id: string, params: Run['params'], metrics: Run['metrics'], tags: Run['tags'] = {}, name = `run ${id}`): Run {
  return { id, source: 'mlflow', experiment: 'wine', name, status: 'finished', params, metrics, tags };
}

const threeRuns = [
  run('a', { lr: 0.1, depth: 4, model: 'rf' }, { val_loss: 0.5, accuracy: 0.8 }),
  run('b', { lr: 0.01, depth: 4, model: 'rf' }, { val_loss: 0.4, accuracy: 0.9 }),
  run('c', { lr: 0.001, depth: 4, model: 'gb' }, { val_loss: 0.45, accuracy: 0.85 }),
];

const bodyText = (panel: PanelPage): Promise<string> => inPage(panel.page, 'document.body.innerText');
/** The text of every element matching a selector, in document order. */
const texts = (panel: PanelPage, selector: string): Promise<string[]> =>
  inPage(panel.page, `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent ?? '')`);
const attributes = (panel: PanelPage, selector: string, name: string): Promise<(string | null)[]> =>
  inPage(panel.page, `[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.getAttribute(${JSON.stringify(name)}))`);
const scrollToEnd = (panel: PanelPage): Promise<void> =>
  inPage(panel.page, `{ const s = document.querySelector('.diff-scroll'); s.scrollTop = s.scrollHeight; s.scrollLeft = s.scrollWidth; }`);
const savedState = (panel: PanelPage): Promise<{ runIds: string[]; viewState: CompareViewState } | undefined> =>
  inPage(panel.page, 'acquireVsCodeApi().getState()');

describe('compare panel in headless Chromium', () => {
  after(async () => {
    await browser?.close();
  });

  test('data that looks like markup renders as text: no script runs, no element is made, nothing is fetched', async (t) => {
    const b = await launch(t);
    if (!b) return;
    // Without the CSP, so it is the rendering that is safe, not the policy catching it.
    const panel = await openPanel(b, { csp: false });
    const runs = XSS.map((x, i) =>
      run(`xss-${i}`, { [x]: x, lr: i }, { [`${x}_loss`]: i + 0.5, accuracy: 1 / (i + 1) }, { [x]: x, note: x }, x),
    );
    await sendSnapshot(panel, snapshot(runs, { ...defaultViewState(runs.length), onlyChanged: false }));
    const seen = async (): Promise<void> => {
      const text = await bodyText(panel);
      assert.ok(text.includes('<img src=x onerror=alert(1)>'), 'the literal text is shown');
      const injected = await inPage<number>(
        panel.page,
        "document.querySelectorAll('img, svg, iframe, script:not([src]), [onerror], [onload]').length",
      );
      assert.equal(injected, 0, 'no element was created from data');
    };
    await seen();
    // The same data through the transposed table, a baseline, and every chart.
    await panel.page.check('#transpose');
    await panel.page.selectOption('header select', { index: 1 });
    await seen();
    await panel.page.click('#tab-charts');
    await panel.page.waitForSelector('.chart-card canvas');
    await waitFor('history requests', async () => ((await panel.posted()).some((m) => m.type === 'requestHistory') ? true : undefined));
    const requested = (await panel.posted()).filter((m) => m.type === 'requestHistory');
    for (const r of requested) {
      if (r.type !== 'requestHistory') continue;
      await panel.send({
        type: 'history',
        metric: r.metric,
        series: r.runIds.map((runId) => ({ runId, points: [0, 1, 2].map((step) => ({ step, timestamp: step * 1000, value: step + 1 })) })),
      });
    }
    await panel.page.hover('.chart-box canvas');
    await seen();
    assert.ok((await texts(panel, '.chart-title')).includes(`${XSS[0]}_loss`));
    assert.deepEqual(panel.dialogs, [], 'no dialog opened');
    assert.deepEqual(
      panel.requests.filter(
        (u) =>
          ![`${ORIGIN}/index.html`, `${ORIGIN}/compare.js`, `${ORIGIN}/compare.css`, `${ORIGIN}/codicon.css`].includes(u) &&
          !u.startsWith(`${ORIGIN}/codicon.ttf?`),
      ),
      [],
      'no network request beyond the page, its bundle, its styles and the icon font',
    );
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('under the host CSP the bundle runs with no violation, and the page holds no data before the snapshot', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b);
    assert.ok(!(await panel.page.content()).includes('run a'));
    await sendSnapshot(panel, snapshot(threeRuns));
    await panel.page.click('#tab-charts');
    await panel.page.waitForSelector('.chart-card canvas');
    assert.deepEqual(await panel.violations(), []);
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('only changed, baseline deltas, best marks, sorting, keyboard and export behave as a user expects', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b);
    await sendSnapshot(panel, snapshot(threeRuns));
    const rowKeys = (): Promise<string[]> => texts(panel, 'tbody .key-header .key');
    const runOrder = (): Promise<string[]> => texts(panel, 'thead .run-name');

    assert.equal(await panel.page.isChecked('#only-changed'), true, 'on by default for three runs');
    assert.deepEqual(await rowKeys(), ['lr', 'model', 'accuracy', 'val_loss']);
    await panel.page.uncheck('#only-changed');
    assert.deepEqual(await rowKeys(), ['depth', 'lr', 'model', 'accuracy', 'val_loss']);

    // The best of each metric is marked: run b has the lowest loss and the highest accuracy.
    const best = await attributes(panel, 'td.best', 'aria-colindex');
    assert.deepEqual(best, ['3', '3']);

    await panel.page.selectOption('header select', 'b');
    assert.deepEqual(await runOrder(), ['run b', 'run a', 'run c'], 'the baseline comes first');
    const deltas = await texts(panel, 'td .delta');
    assert.ok(deltas.includes('−0.1 (−11.1%)'), `accuracy delta of run a: ${deltas.join(' | ')}`);
    assert.ok(deltas.includes('+0.1 (+25.0%)'), 'val_loss delta of run a');
    assert.equal(await panel.page.locator('td .delta.worse').count(), 4, 'run a and c are worse than b on both metrics');
    await panel.page.selectOption('header select', '');

    // Sort runs by val_loss: best (lowest) first, then reversed.
    const sortLoss = panel.page.locator('tbody tr', { hasText: 'val_loss' }).locator('button[aria-label="Sort runs by val_loss"]');
    await sortLoss.click();
    assert.deepEqual(await runOrder(), ['run b', 'run c', 'run a']);
    await sortLoss.click();
    assert.deepEqual(await runOrder(), ['run a', 'run c', 'run b']);

    // Filter.
    await panel.page.fill('input[type="search"]', 'LOSS');
    assert.deepEqual(await rowKeys(), ['val_loss']);
    await panel.page.fill('input[type="search"]', '');

    // Keyboard: a cell takes focus and arrows move it.
    await panel.page.locator('tbody td').first().click();
    await panel.page.keyboard.press('ArrowDown');
    const focused = await inPage<string>(panel.page, "document.activeElement.dataset.row + ',' + document.activeElement.dataset.column");
    assert.equal(focused, '1,0');

    await panel.page.click('button:has-text("Save CSV…")');
    await panel.page.click('button:has-text("Copy as Markdown")');
    const posted = await panel.posted();
    assert.ok(posted.some((m) => m.type === 'export' && m.format === 'csv' && m.action === 'save'));
    assert.ok(posted.some((m) => m.type === 'export' && m.format === 'markdown' && m.action === 'copy'));
    const lastState = [...posted].reverse().find((m) => m.type === 'viewState');
    assert.ok(lastState?.type === 'viewState' && lastState.viewState.sort?.key === 'val_loss', 'view state reaches the host');
    await panel.close();
  });

  test('histories load lazily per visible chart, a live run extends its curve, and the view state is kept for a reload', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b, { viewport: { width: 1200, height: 700 } });
    const live = threeRuns.map((r) => (r.id === 'c' ? { ...r, status: 'running' as const } : r));
    await sendSnapshot(panel, snapshot(live));
    assert.equal((await panel.posted()).filter((m) => m.type === 'requestHistory').length, 0, 'nothing is fetched before the charts show');
    await panel.page.click('#tab-charts');
    const firstRequest = await waitFor('a history request', async () => {
      const r = (await panel.posted()).find((m) => m.type === 'requestHistory');
      return r?.type === 'requestHistory' ? r : undefined;
    });
    assert.equal(firstRequest.metric, 'accuracy');
    assert.deepEqual(firstRequest.runIds, ['a', 'b', 'c']);
    const points = (n: number) => Array.from({ length: n }, (_, step) => ({ step, timestamp: step * 1000, value: step / 10 }));
    await panel.send({ type: 'history', metric: 'accuracy', series: ['a', 'b', 'c'].map((runId) => ({ runId, points: points(5) })) });

    // A chart saves as a PNG through the host (a webview cannot download).
    await panel.page.locator('.chart-card', { hasText: 'accuracy' }).first().locator('button:has-text("Save PNG")').click();
    const image = await waitFor('the chart image', async () => {
      const m = (await panel.posted()).find((p) => p.type === 'exportImage');
      return m?.type === 'exportImage' ? m : undefined;
    });
    assert.equal(image.name, 'accuracy.png');
    assert.match(image.dataUrl, /^data:image\/png;base64,[A-Za-z0-9+/=]{1000,}$/);

    // The running run logs a new value: the table shows it and its history is fetched again.
    const before = (await panel.posted()).length;
    const updated = { ...live[2]!, metrics: { ...live[2]!.metrics, accuracy: 0.95 } };
    await panel.send({ type: 'runUpdated', run: updated });
    const again = await waitFor('the live run to be fetched again', async () => {
      const r = (await panel.posted()).slice(before).find((m) => m.type === 'requestHistory');
      return r?.type === 'requestHistory' ? r : undefined;
    });
    assert.deepEqual(again.runIds, ['c']);
    await panel.page.click('#tab-table');
    const bestNow = await texts(panel, 'td.best .value');
    assert.ok(bestNow.includes('0.95'), `the new accuracy is the best: ${bestNow.join(', ')}`);

    await panel.page.check('#transpose');
    const state = await savedState(panel);
    assert.deepEqual(state?.runIds, ['a', 'b', 'c']);
    assert.equal(state?.viewState.transposed, true);
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('2,000 runs × 200 keys render with a bounded DOM, scroll to the last row and transpose', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b);
    const runs: Run[] = [];
    for (let i = 0; i < 2000; i++) {
      const params: Run['params'] = {};
      const metrics: Run['metrics'] = {};
      const tags: Run['tags'] = {};
      for (let k = 0; k < 80; k++) params[`p${k}`] = (i * (k + 1)) % 97;
      for (let k = 0; k < 100; k++) metrics[`m${k}_loss`] = Math.sin(i + k);
      for (let k = 0; k < 20; k++) tags[`t${k}`] = `tag ${(i + k) % 7}`;
      runs.push(run(`r${i}`, params, metrics, tags, `run ${i}`));
    }
    const ms = await sendSnapshot(panel, snapshot(runs));
    t.diagnostic(`2,000 × 200: snapshot to first render in the page: ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `first render took ${ms} ms`);
    const counts = () =>
      inPage<{ rows: number; cells: number; rowCount: string; colCount: string }>(
        panel.page,
        `({
        rows: document.querySelectorAll('tbody tr').length,
        cells: document.querySelectorAll('tbody td').length,
        rowCount: document.querySelector('table').getAttribute('aria-rowcount'),
        colCount: document.querySelector('table').getAttribute('aria-colcount'),
      })`,
      );
    let c = await counts();
    assert.equal(c.rowCount, '201');
    assert.equal(c.colCount, '2001');
    assert.ok(c.rows > 10 && c.rows <= 40, `rows in the DOM: ${c.rows}`);
    assert.ok(c.cells <= 40 * 12, `cells in the DOM: ${c.cells}`);

    await scrollToEnd(panel);
    await waitFor('the last key to be drawn', async () =>
      (await attributes(panel, 'tbody tr:last-child', 'aria-rowindex'))[0] === '201' ? true : undefined,
    );
    assert.ok((await texts(panel, 'thead .run-name')).includes('run 1999'));
    // Long values and deltas must not widen columns: the scroll position maps to columns by width.
    const geometry = await inPage<{ table: number; columns: number }>(
      panel.page,
      "({ table: document.querySelector('table').getBoundingClientRect().width, columns: document.querySelectorAll('thead th').length - 1 })",
    );
    assert.equal(Math.round(geometry.table), 260 + geometry.columns * 168);

    // A toggle answers synchronously in the page: measured there, without the driver's round trips.
    const toggle = (selector: string): Promise<number> =>
      inPage(
        panel.page,
        `{ const started = performance.now(); document.querySelector(${JSON.stringify(selector)}).click(); performance.now() - started; }`,
      );
    const onlyChangedMs = await toggle('#only-changed');
    const backMs = await toggle('#only-changed');
    const transposeMs = await toggle('#transpose');
    t.diagnostic(
      `2,000 × 200: only-changed off ${onlyChangedMs.toFixed(0)} ms, on ${backMs.toFixed(0)} ms, transpose ${transposeMs.toFixed(0)} ms`,
    );
    assert.ok(onlyChangedMs < 1000 && transposeMs < 1000, 'toggles answer within a second even on a loaded machine');
    c = await counts();
    assert.equal(c.rowCount, '2001');
    assert.ok(c.rows <= 40, `rows in the DOM after transpose: ${c.rows}`);
    await scrollToEnd(panel);
    await waitFor('the last run to be drawn', async () =>
      (await texts(panel, 'tbody tr:last-child .run-name'))[0] === 'run 1999' ? true : undefined,
    );
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('buttons show VS Code codicons from the shipped font under the CSP, and keep their accessible names', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b);
    await sendSnapshot(panel, snapshot(threeRuns, { ...defaultViewState(3), baselineRunId: 'b' }));
    // The pin of the baseline is filled, the others are outlines; every run is shown in the charts.
    assert.deepEqual(await attributes(panel, 'thead button[data-action="baseline"] .codicon', 'class'), [
      'codicon codicon-pinned',
      'codicon codicon-pin',
      'codicon codicon-pin',
    ]);
    assert.deepEqual(await attributes(panel, 'thead button[data-action="hide"] .codicon', 'class'), [
      'codicon codicon-eye',
      'codicon codicon-eye',
      'codicon codicon-eye',
    ]);
    assert.deepEqual(await attributes(panel, 'thead button[data-action="baseline"]', 'aria-label'), ['Baseline', 'Baseline', 'Baseline']);
    assert.deepEqual(await attributes(panel, 'thead button[data-action="hide"]', 'aria-pressed'), ['false', 'false', 'false']);
    assert.deepEqual(
      await attributes(panel, '.codicon:not(.best-mark)', 'aria-hidden').then((a) => [...new Set(a)]),
      ['true'],
      'icons are decorative',
    );
    // Icon buttons carry no text symbols any more: their names come from aria-label alone.
    const iconText = await texts(panel, 'button.icon:not(.direction)');
    assert.deepEqual([...new Set(iconText)], ['']);
    const sortLoss = panel.page.locator('button[aria-label="Sort runs by val_loss"]');
    assert.equal(await sortLoss.locator('.codicon').getAttribute('class'), 'codicon codicon-arrow-both');
    await sortLoss.click();
    assert.equal(await sortLoss.locator('.codicon').getAttribute('class'), 'codicon codicon-arrow-up', 'lowest loss first');
    await panel.page.locator('thead button[data-action="hide"]').nth(1).click();
    assert.equal(
      await panel.page.locator('thead button[data-action="hide"] .codicon').nth(1).getAttribute('class'),
      'codicon codicon-eye-closed',
    );
    assert.deepEqual(await attributes(panel, 'td.best .best-mark', 'aria-label'), ['best', 'best']);
    assert.deepEqual(await texts(panel, '[data-export]'), ['Copy as Markdown', 'Save CSV…', 'Save Markdown…']);
    // The font itself loaded (from the webview's origin, allowed by font-src) and draws the icons.
    const font = await waitFor('the codicon font to load', async () => {
      const f = await inPage<{ loaded: boolean; family: string }>(
        panel.page,
        `document.fonts.ready.then(() => ({ loaded: document.fonts.check('16px codicon'), family: getComputedStyle(document.querySelector('.codicon')).fontFamily }))`,
      );
      return f.loaded ? f : undefined;
    });
    assert.equal(font.family, 'codicon');
    assert.deepEqual(
      panel.requests.filter((u) => u.includes('codicon')).map((u) => u.replace(/\?.*/, '')),
      [`${ORIGIN}/codicon.css`, `${ORIGIN}/codicon.ttf`],
    );
    assert.deepEqual(await panel.violations(), []);
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('the legend lists every run beside the charts: filter, show and hide the listed runs, and arrow keys', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b, { viewport: { width: 1200, height: 700 } });
    const many = Array.from({ length: 30 }, (_, i) => run(`r${i}`, { lr: i / 100 }, { val_loss: 1 / (i + 1) }, {}, `run ${i}`));
    await sendSnapshot(panel, snapshot(many));
    await panel.page.click('#tab-charts');
    await panel.page.waitForSelector('.legend-item');
    const listed = (): Promise<string[]> => texts(panel, '.legend-item:not([hidden]) label');
    const hiddenIds = async (): Promise<string[]> => (await savedState(panel))?.viewState.hiddenRunIds ?? [];
    assert.deepEqual(
      await listed(),
      many.map((r) => r.name),
      'all 30 runs, in the runs order, none left out',
    );
    assert.deepEqual(await texts(panel, '.legend-count'), ['30 of 30 shown']);
    // The swatch is the run's curve colour.
    const swatches = await inPage<string[]>(panel.page, `[...document.querySelectorAll('.legend-swatch')].map((s) => s.style.background)`);
    assert.equal(new Set(swatches).size, 30, 'every run has its own colour');

    await panel.page.fill('.legend-filter', 'RUN 1');
    assert.deepEqual(await listed(), [
      'run 1',
      'run 10',
      'run 11',
      'run 12',
      'run 13',
      'run 14',
      'run 15',
      'run 16',
      'run 17',
      'run 18',
      'run 19',
    ]);
    await panel.page.click('button[aria-label="Hide listed runs"]');
    assert.deepEqual(await hiddenIds(), ['r1', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'r16', 'r17', 'r18', 'r19']);
    assert.deepEqual(await texts(panel, '.legend-count'), ['19 of 30 shown']);

    // The table's eye buttons and the legend are one state.
    await panel.page.click('#tab-table');
    assert.equal(await panel.page.locator('thead button[data-action="hide"]').nth(1).getAttribute('aria-pressed'), 'true');
    await panel.page.click('#tab-charts');

    // One tab stop for the whole list; arrows move between the listed runs, Space toggles one.
    await panel.page.focus('.legend-filter');
    await panel.page.keyboard.press('Tab');
    assert.equal(await inPage<string>(panel.page, 'document.activeElement.dataset.run'), 'r1');
    await panel.page.keyboard.press('ArrowDown');
    await panel.page.keyboard.press('ArrowDown');
    assert.equal(await inPage<string>(panel.page, 'document.activeElement.dataset.run'), 'r11');
    await panel.page.keyboard.press('Space');
    assert.ok(!(await hiddenIds()).includes('r11'), 'Space showed run 11 again');
    await panel.page.keyboard.press('End');
    assert.equal(await inPage<string>(panel.page, 'document.activeElement.dataset.run'), 'r19');
    await panel.page.keyboard.press('Tab');
    assert.notEqual(await inPage<string | undefined>(panel.page, 'document.activeElement.dataset.run'), 'r19', 'Tab leaves the list');

    await panel.page.fill('.legend-filter', '');
    await panel.page.click('button[aria-label="Show listed runs"]');
    assert.deepEqual(await hiddenIds(), []);
    await panel.page.locator('.legend-item label', { hasText: /^run 7$/ }).click();
    assert.deepEqual(await hiddenIds(), ['r7'], 'a click on a name hides that run');
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('at 2,000 runs the legend lists them all, and hiding runs takes them out of the drawn curves', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const panel = await openPanel(b, { viewport: { width: 1200, height: 700 } });
    const many = Array.from({ length: 2000 }, (_, i) => run(`r${i}`, { lr: i }, { val_loss: 1 / (i + 1) }, {}, `run ${i}`));
    await sendSnapshot(panel, snapshot(many));
    await panel.page.click('#tab-charts');
    const request = await waitFor('the history request', async () => {
      const r = (await panel.posted()).find((m) => m.type === 'requestHistory');
      return r?.type === 'requestHistory' ? r : undefined;
    });
    assert.equal(request.runIds.length, 2000);
    await panel.send({
      type: 'history',
      metric: 'val_loss',
      series: request.runIds.map((runId, i) => ({
        runId,
        points: [0, 1, 2, 3, 4].map((step) => ({ step, timestamp: step, value: (i % 50) / (step + 1) + i / 1000 })),
      })),
    });
    const drawn = (): Promise<string | undefined> =>
      inPage(panel.page, `document.querySelector('.chart-card[data-metric-index="0"]')?.dataset.runsDrawn`);
    await waitFor('2,000 curves drawn', async () => ((await drawn()) === '2000' ? true : undefined));
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await panel.page.screenshot({ path: join(repoRoot, 'test-results', 'compare-charts-2000-runs.png') });
    assert.equal(await panel.page.locator('.legend-item').count(), 2000);
    await panel.page.fill('.legend-filter', 'run 19');
    assert.equal(await panel.page.locator('.legend-item:not([hidden])').count(), 111, 'run 19, 190–199 and 1900–1999');
    await panel.page.click('button[aria-label="Hide listed runs"]');
    await waitFor('the hidden runs to leave the chart', async () => ((await drawn()) === '1889' ? true : undefined));
    assert.deepEqual(await texts(panel, '.legend-count'), ['1889 of 2000 shown']);
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('at 2,000 runs the tooltip names the curve under the pointer, and hiding a run removes its pixels from the chart', async (t) => {
    const b = await launch(t);
    if (!b) return;
    // Runs 0 and 1 take the theme's first two chart colours, set here to colours no other run has.
    const themeVariables = {
      '--vscode-charts-blue': '#ff00ff',
      '--vscode-charts-orange': '#00ffff',
      '--vscode-editor-background': '#1e1e1e',
    };
    const panel = await openPanel(b, { themeVariables, viewport: { width: 1200, height: 700 } });
    const many = Array.from({ length: 2000 }, (_, i) => run(`r${i}`, { lr: i }, { val_loss: i }, {}, `run ${i}`));
    await sendSnapshot(panel, snapshot(many));
    await panel.page.click('#tab-charts');
    const request = await waitFor('the history request', async () => {
      const r = (await panel.posted()).find((m) => m.type === 'requestHistory');
      return r?.type === 'requestHistory' ? r : undefined;
    });
    // Run 0 lies flat below every other curve (-5), run 1 flat above them (90); the others in 0–51.
    const value = (i: number, step: number): number => (i === 0 ? -5 : i === 1 ? 90 : (i % 50) / (step + 1) + i / 1000);
    await panel.send({
      type: 'history',
      metric: 'val_loss',
      series: request.runIds.map((runId, i) => ({
        runId,
        points: [0, 1, 2, 3, 4].map((step) => ({ step, timestamp: step, value: value(i, step) })),
      })),
    });
    const card = '.chart-card[data-metric-index="0"]';
    await waitFor('2,000 curves drawn', async () =>
      (await inPage(panel.page, `document.querySelector('${card}')?.dataset.runsDrawn`)) === '2000' ? true : undefined,
    );
    /** The chart's pixels of one pure colour (antialiased edges included): how many, and the row holding most. */
    const pixelsOf = (channels: string): Promise<{ count: number; row: number; x: number }> =>
      inPage(
        panel.page,
        `(() => {
          const canvas = document.querySelector('${card} canvas');
          const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          const rows = new Map();
          let count = 0;
          for (let y = 0; y < height; y++)
            for (let x = 0; x < width; x++) {
              const [r, g, b] = data.slice((y * width + x) * 4, (y * width + x) * 4 + 3);
              const [on1, on2, off] = ${channels};
              if (on1 > 120 && on2 > 120 && Math.abs(on1 - on2) < 40 && off < 40) {
                count++;
                const row = rows.get(y) ?? { n: 0, sum: 0 };
                row.n++;
                row.sum += x;
                rows.set(y, row);
              }
            }
          let best = { row: -1, x: -1, n: 0 };
          for (const [y, r] of rows) if (r.n > best.n) best = { row: y, x: r.sum / r.n, n: r.n };
          const scale = canvas.width / canvas.clientWidth;
          return { count, row: best.row / scale, x: best.x / scale };
        })()`,
      );
    const magenta = '[r, b, g]';
    const cyan = '[g, b, r]';
    const tooltipAt = async (x: number, y: number): Promise<string> => {
      const box = await panel.page.locator(`${card} canvas`).boundingBox();
      assert.ok(box, 'the chart is on screen');
      await panel.page.mouse.move(box.x + x, box.y + y);
      return waitFor('the tooltip', async () => {
        const text = await inPage<string | null>(
          panel.page,
          `(() => { const t = document.querySelector('${card} .curve-tooltip'); return t && !t.hidden ? t.textContent : null; })()`,
        );
        return text ?? undefined;
      });
    };
    const run0 = await pixelsOf(magenta);
    const run1 = await pixelsOf(cyan);
    assert.ok(run0.count > 300, `run 0's line crosses the chart: ${run0.count} pixels`);
    assert.ok(run1.count > 300, `run 1's line crosses the chart: ${run1.count} pixels`);
    // The middle of a flat line over steps 0–4 is step 2.
    assert.equal(await tooltipAt(run0.x, run0.row), 'run 0: -5 (step 2)');
    assert.equal(await tooltipAt(run1.x, run1.row), 'run 1: 90 (step 2)');

    await panel.page
      .locator('.legend-item', { hasText: /^run 0$/ })
      .locator('input')
      .click();
    await waitFor('run 0 to leave the chart', async () =>
      (await inPage(panel.page, `document.querySelector('${card}')?.dataset.runsDrawn`)) === '1999' ? true : undefined,
    );
    assert.equal((await pixelsOf(magenta)).count, 0, "no pixel of run 0's colour is left");
    const run1After = await pixelsOf(cyan);
    assert.ok(run1After.count > 300, `run 1 is still drawn: ${run1After.count} pixels`);
    assert.equal(await tooltipAt(run1After.x, run1After.row), 'run 1: 90 (step 2)');
    // The table shares the legend's hidden runs.
    assert.deepEqual((await savedState(panel))?.viewState.hiddenRunIds, ['r0']);
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await panel.page.screenshot({ path: join(repoRoot, 'test-results', 'compare-charts-2000-runs-tooltip.png') });
    assert.deepEqual(panel.pageErrors, []);
    await panel.close();
  });

  test('light and dark themes: screenshots of the table and the charts', async (t) => {
    const b = await launch(t);
    if (!b) return;
    const results = join(repoRoot, 'test-results');
    mkdirSync(results, { recursive: true });
    const themes: Record<string, Record<string, string>> = {
      dark: { '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-charts-green': '#89d185' },
      light: {
        '--vscode-foreground': '#3b3b3b',
        '--vscode-editor-background': '#ffffff',
        '--vscode-charts-green': '#388a34',
        '--vscode-charts-red': '#e51400',
      },
    };
    for (const [name, themeVariables] of Object.entries(themes)) {
      const panel = await openPanel(b, { themeVariables, viewport: { width: 1200, height: 760 } });
      await sendSnapshot(panel, snapshot(threeRuns, { ...defaultViewState(3), baselineRunId: 'a' }));
      const background = await inPage<string>(panel.page, 'getComputedStyle(document.body).backgroundColor');
      assert.equal(background, name === 'dark' ? 'rgb(31, 31, 31)' : 'rgb(255, 255, 255)');
      await panel.page.screenshot({ path: join(results, `compare-table-${name}.png`) });
      await panel.page.click('#tab-charts');
      await panel.page.waitForSelector('.chart-card canvas');
      const requests = (await panel.posted()).filter((m) => m.type === 'requestHistory');
      for (const r of requests) {
        if (r.type !== 'requestHistory') continue;
        await panel.send({
          type: 'history',
          metric: r.metric,
          series: r.runIds.map((runId, i) => ({
            runId,
            points: Array.from({ length: 50 }, (_, step) => ({ step, timestamp: step * 1000, value: (1 + i) / (step + 2) })),
          })),
        });
      }
      // Charts are drawn one per frame after the answer: wait until each requested one holds its curves.
      await waitFor('the charts to be drawn', async () =>
        (await attributes(panel, '.chart-grid .chart-card[data-runs-drawn]', 'data-runs-drawn')).filter((n) => n === '3').length ===
        requests.length
          ? true
          : undefined,
      );
      // The scatter, parallel-coordinates and bar charts below them are drawn when they come into view.
      assert.deepEqual(
        await attributes(panel, '.chart-card[data-card="bar"]', 'data-drawn'),
        [null],
        'the bar chart is off screen, not drawn yet',
      );
      for (const chart of ['scatter', 'parallel', 'bar'])
        await panel.page.locator(`.chart-card[data-card="${chart}"]`).scrollIntoViewIfNeeded();
      await waitFor('the charts below the histories to be drawn', async () =>
        (await attributes(panel, '.chart-card[data-card]', 'data-drawn')).join() === 'true,true,true' ? true : undefined,
      );
      await inPage(panel.page, 'document.scrollingElement.scrollTop = 0');
      await panel.page.screenshot({ path: join(results, `compare-charts-${name}.png`), fullPage: true });
      assert.deepEqual(panel.pageErrors, []);
      await panel.close();
    }
  });
});
