// Stands in for the extension host around the compare panel's real bundle: serves the page with the
// host's own HTML (and CSP), fakes `acquireVsCodeApi`, and records everything the page asks the
// network for, every message it posts and every CSP violation.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { comparePanelHtml } from '../../src/core/compare/panelHtml';
import type { HostToWebview, WebviewToHost } from '../../src/shared/compareProtocol';
import { repoRoot, waitFor } from '../support/tools';

export const ORIGIN = 'https://panel.test';

/** Chromium flags that keep it offline and quiet on a headless machine. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Runs page code given as text. The tests are compiled for Node without the DOM's types (so the
 * core cannot use them by accident), hence page code is text rather than typed callbacks.
 */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** `acquireVsCodeApi` as the webview sees it, recording posted messages and CSP violations. */
const fakeVsCodeApi = `
  (() => {
    const posted = [];
    const violations = [];
    let state;
    window.__posted = posted;
    window.__violations = violations;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => {
        posted.push(JSON.parse(JSON.stringify(message)));
        // A stand-in host living in the page (the benchmark's) answers here without the driver.
        window.__onPost?.(message);
      },
      getState: () => state,
      setState: (next) => { state = next; },
    });
  })();
`;

let bundle: string | undefined;

/** Builds the panel bundle from source exactly as the build script does (browser, IIFE, ES2022). */
export async function buildBundle(): Promise<string> {
  if (bundle) return bundle;
  const esbuild = await import('esbuild');
  const outdir = mkdtempSync(join(tmpdir(), 'mlops-compare-bundle-'));
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    logLevel: 'warning',
    entryPoints: [join(repoRoot, 'webview', 'src', 'compare.ts')],
    outdir,
  });
  bundle = readFileSync(join(outdir, 'compare.js'), 'utf8');
  return bundle;
}

export interface PanelPage {
  page: Page;
  /** Every URL the page requested. */
  requests: string[];
  dialogs: string[];
  pageErrors: string[];
  posted(): Promise<WebviewToHost[]>;
  violations(): Promise<string[]>;
  send(message: HostToWebview): Promise<void>;
  close(): Promise<void>;
}

export interface OpenPanelOptions {
  /** Serve the page with the host's Content-Security-Policy (default) or without any, to prove the
   * rendering itself is safe rather than the CSP catching it. */
  csp?: boolean;
  /** VS Code theme variables set on the page, as the editor does. */
  themeVariables?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** Serve the built bundle and icon font from dist/webview (as packaged) instead of building from source. */
  built?: boolean;
}

export async function openPanel(browser: Browser, options: OpenPanelOptions = {}): Promise<PanelPage> {
  const script = options.built ? readFileSync(join(repoRoot, 'dist', 'webview', 'compare.js'), 'utf8') : await buildBundle();
  const css = readFileSync(join(repoRoot, 'media', 'compare.css'), 'utf8');
  const codicons = options.built ? join(repoRoot, 'dist', 'webview') : join(repoRoot, 'node_modules', '@vscode', 'codicons', 'dist');
  const codiconCss = readFileSync(join(codicons, 'codicon.css'), 'utf8');
  const codiconFont = readFileSync(join(codicons, 'codicon.ttf'));
  const nonce = randomBytes(16).toString('base64');
  let html = comparePanelHtml({
    cspSource: ORIGIN,
    nonce,
    scriptUri: `${ORIGIN}/compare.js`,
    styleUri: `${ORIGIN}/compare.css`,
    codiconsUri: `${ORIGIN}/codicon.css`,
    title: 'Compare',
  });
  if (options.csp === false) html = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');

  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  // Nothing leaves the harness: any URL other than the page's files is answered with 404 and recorded.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === `${ORIGIN}/index.html`) return route.fulfill({ contentType: 'text/html', body: html });
    if (url === `${ORIGIN}/compare.js`) return route.fulfill({ contentType: 'text/javascript', body: script });
    if (url === `${ORIGIN}/compare.css`) return route.fulfill({ contentType: 'text/css', body: css });
    if (url === `${ORIGIN}/codicon.css`) return route.fulfill({ contentType: 'text/css', body: codiconCss });
    // The stylesheet names the font with a cache-busting query, as it does in the editor.
    if (url.startsWith(`${ORIGIN}/codicon.ttf`)) return route.fulfill({ contentType: 'font/ttf', body: codiconFont });
    return route.fulfill({ status: 404, body: '' });
  });
  await page.addInitScript(fakeVsCodeApi);
  // The editor sets its theme variables on the page's root element, as here (an inline style
  // attribute would break the CSP).
  await page.goto(`${ORIGIN}/index.html`);
  await inPage(
    page,
    `for (const [name, value] of Object.entries(${JSON.stringify(options.themeVariables ?? {})})) document.documentElement.style.setProperty(name, value)`,
  );
  const panel: PanelPage = {
    page,
    requests,
    dialogs,
    pageErrors,
    posted: () => inPage<WebviewToHost[]>(page, 'window.__posted.slice()'),
    violations: () => inPage<string[]>(page, 'window.__violations.slice()'),
    // As text: the browser protocol is slow at copying large object graphs, and the host's
    // postMessage delivers a structured copy anyway.
    send: async (message) => {
      await inPage(page, `window.postMessage(JSON.parse(${JSON.stringify(JSON.stringify(message))}), '*')`);
    },
    close: () => context.close(),
  };
  await waitFor('the panel to say ready', async () => ((await panel.posted()).some((m) => m.type === 'ready') ? true : undefined));
  return panel;
}

/** Sends a snapshot, waits until the page has rendered it, and returns how long the page took (ms). */
export async function sendSnapshot(panel: PanelPage, message: HostToWebview & { type: 'snapshot' }): Promise<number> {
  const before = await inPage<string>(panel.page, "document.body.dataset.rendered ?? ''");
  await panel.send(message);
  return waitFor('the snapshot to render', async () => {
    const now = await inPage<string[]>(panel.page, "[document.body.dataset.rendered ?? '', document.body.dataset.renderMs ?? '']");
    return now[0] !== before ? Number(now[1]) : undefined;
  });
}
