import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePanelHtml, panelContentSecurityPolicy } from '../../../src/core/compare/panelHtml';

const options = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'bm9uY2Utb25l',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/compare.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/compare.css',
  codiconsUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
  title: 'Compare 3 Runs',
};

test('the panel CSP allows nothing but the bundle, its style, images and fonts, and never eval', () => {
  const csp = panelContentSecurityPolicy(options.cspSource, options.nonce);
  assert.equal(
    csp,
    "default-src 'none'; img-src https://file+.vscode-resource.vscode-cdn.net data:; style-src https://file+.vscode-resource.vscode-cdn.net 'nonce-bm9uY2Utb25l'; script-src 'nonce-bm9uY2Utb25l'; font-src https://file+.vscode-resource.vscode-cdn.net",
  );
  assert.ok(!csp.includes('unsafe'));
});

test('the page loads one script and two stylesheets (codicons first, so the panel style wins), all with the nonce, and holds no inline script', () => {
  const html = comparePanelHtml(options);
  assert.equal(html.match(/<script\b/g)?.length, 1);
  assert.ok(html.includes(`<script nonce="${options.nonce}" src="${options.scriptUri}"></script>`));
  assert.deepEqual(
    [...html.matchAll(/<link rel="stylesheet" nonce="([^"]*)" href="([^"]*)">/g)].map((m) => [m[1], m[2]]),
    [
      [options.nonce, options.codiconsUri],
      [options.nonce, options.styleUri],
    ],
  );
  assert.ok(html.includes('<meta http-equiv="Content-Security-Policy"'));
});

test('the title is escaped, since it is the only text the host writes into the page', () => {
  const html = comparePanelHtml({ ...options, title: '<img src=x onerror=alert(1)>' });
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
});
