// UI end-to-end tests: installs the packaged .vsix into code-server, opens a copy of the example
// project in headless Chromium, and checks what a user sees in the MLOps container. Screenshots
// go to test-results/ (`--update-screenshot` also refreshes media/screenshot.png for the README).
// Prints "e2e: N passed, M failed".
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeServerBinary, installVsix, launchChromium, makeProfile, repoRoot, startCodeServer } from './lib/codeServer.mjs';

const args = process.argv.slice(2);
const vsix = join(repoRoot, 'out', 'mlops-workbench.vsix');
if (!existsSync(vsix)) execFileSync('npm', ['run', '-s', 'package'], { cwd: repoRoot, stdio: 'inherit' });
const results = join(repoRoot, 'test-results');
mkdirSync(results, { recursive: true });

const workspace = join(mkdtempSync(join(tmpdir(), 'mlops-e2e-')), 'wine-quality');
cpSync(join(repoRoot, 'examples', 'wine-quality'), workspace, {
  recursive: true,
  filter: (source) => !/[\\/](artifacts|mlruns|\.mlops|tmp|__pycache__)$|mlflow\.db$/.test(source),
});

// A project that has been run once, with one param changed since: what a user's tree looks like.
if (args.includes('--update-screenshot') && existsSync(join(repoRoot, '.venv', 'bin', 'dvc'))) {
  symlinkSync(join(repoRoot, '.venv'), join(workspace, '.venv'));
  const sh = (cmd) =>
    execFileSync('sh', ['-c', cmd], {
      cwd: workspace,
      stdio: 'pipe',
      env: {
        ...process.env,
        PATH: `${join(workspace, '.venv', 'bin')}:${process.env.PATH}`,
        DVC_NO_ANALYTICS: '1',
      },
    });
  sh('git init -q -b main && git add -A && git -c user.name=e2e -c user.email=e2e@example.invalid commit -qm example');
  sh('.venv/bin/dvc repro -q');
  sh("sed -i 's/max_depth: 2/max_depth: 3/' params.yaml");
}

// Run records whose names, params, metric keys and tags are markup: they must show as text.
const HOSTILE = '<img src=x onerror=alert(1)>';
function writeHostileRuns() {
  mkdirSync(join(workspace, '.mlops', 'runs'), { recursive: true });
  for (const [i, accuracy] of [0.81, 0.86].entries()) {
    const id = `20261123T10000${i}000Z-e2e00${i}`;
    writeFileSync(
      join(workspace, '.mlops', 'runs', `${id}.json`),
      JSON.stringify({
        id,
        stages: [`${HOSTILE}${i}`],
        startTime: `2026-11-23T10:00:0${i}.000Z`,
        endTime: `2026-11-23T10:01:0${i}.000Z`,
        status: 'finished',
        exitCode: 0,
        params: { [`${HOSTILE}.depth`]: i + 2, 'split.test_size': `<script>alert(${i})</script>` },
        metrics: { accuracy, [`${HOSTILE}loss`]: 1 - accuracy },
      }),
    );
  }
}

// The README screenshot shows the project's own runs; every other run also shows hostile ones.
if (!args.includes('--update-screenshot')) writeHostileRuns();

const binary = codeServerBinary();
const profile = makeProfile({ 'workbench.colorTheme': 'Default Dark Modern' });
installVsix(binary, profile, vsix);
const server = await startCodeServer({ binary, profile, folder: workspace });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(String(error)));
const dialogs = [];
page.on('dialog', (dialog) => {
  dialogs.push(dialog.message());
  void dialog.dismiss();
});
const outsideRequests = [];
page.on('request', (request) => {
  const url = request.url();
  // Webview resources are served by the workbench under the vscode-cdn name (a service worker answers them).
  if (!url.startsWith(server.url) && !/^(data|blob):/.test(url) && !/\.vscode-resource\.vscode-cdn\.net\//.test(url))
    outsideRequests.push(url);
});

let passed = 0;
let failed = 0;
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    passed++;
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed++;
    console.log(
      `not ok - ${name}\n  ${String(error?.message ?? error)
        .split('\n')
        .join('\n  ')}`,
    );
    await page.screenshot({ path: join(results, `failed-${name.replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => {});
  }
}

try {
  await page.goto(server.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });

  await check('the MLOps container is in the activity bar and opens', async () => {
    const tab = page.locator('.activitybar [aria-label^="MLOps"]').first();
    await tab.waitFor({ timeout: 30_000 });
    await tab.click();
    for (const title of ['Pipelines', 'Runs', 'Images']) {
      await page.locator('.pane-header', { hasText: title }).first().waitFor({ timeout: 15_000 });
    }
  });

  await check('the Pipelines view lists dvc.yaml with its stages', async () => {
    const tree = page.locator('[id="workbench.view.extension.mlops"]');
    await tree.locator('.monaco-list-row', { hasText: 'dvc.yaml' }).first().waitFor({ timeout: 30_000 });
    for (const stage of ['ingest', 'validate', 'evaluate']) {
      await tree.locator('.monaco-list-row', { hasText: stage }).first().waitFor({ timeout: 10_000 });
    }
  });

  await check('the Runs and Images views show a state that says what to do', async () => {
    const container = page.locator('[id="workbench.view.extension.mlops"]');
    await container
      .getByText(/run|Run/)
      .first()
      .waitFor({ timeout: 15_000 });
    await container
      .getByText(/Docker|image|Image/)
      .first()
      .waitFor({ timeout: 15_000 });
  });

  await check('opening schema.yaml shows it with no error markers', async () => {
    await page.keyboard.press('Control+P');
    await page.keyboard.type('schema.yaml');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'schema.yaml' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tab', { hasText: 'schema.yaml' }).first().waitFor({ timeout: 15_000 });
    await page.locator('.monaco-editor .view-line', { hasText: 'TARGET_COLUMN' }).first().waitFor({ timeout: 15_000 });
    // The language server has had its say once the editor settles; the example is clean.
    const problems = await page.locator('.monaco-editor .squiggly-error').count();
    if (problems !== 0) throw new Error(`${problems} error squiggles in the example's schema.yaml`);
  });

  // Expand the changed stage so the screenshot shows its deps, params and outs.
  const rf = page.locator('[id="workbench.view.extension.mlops"] .monaco-list-row', { hasText: 'train@rf' }).first();
  if (await rf.count()) {
    await rf.click();
    await page
      .locator('[id="workbench.view.extension.mlops"] .monaco-list-row', { hasText: 'models.rf' })
      .first()
      .waitFor({ timeout: 10_000 });
  }
  // A wider sidebar, and no hover tooltip in the picture.
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('F1');
    await page.keyboard.type('View: Increase Current View Size');
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'Increase Current View Size' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
  }
  await page.mouse.move(900, 500);
  await page.screenshot({ path: join(results, 'mlops-views.png') });

  await check('run names and data written as markup show as text in the Runs view and the compare panel', async () => {
    if (args.includes('--update-screenshot')) return;
    const container = page.locator('[id="workbench.view.extension.mlops"]');
    await container
      .locator('.monaco-list-row', { hasText: `${HOSTILE}0` })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.keyboard.press('F1');
    await page.keyboard.type('MLOps: Compare Runs');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Compare Runs' }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    for (const i of [0, 1]) {
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: `${HOSTILE}${i}` }).first();
      await row.waitFor({ timeout: 20_000 });
      await row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    }
    await page.keyboard.press('Enter');
    const tab = page.locator('.tab', { hasText: /Compare 2 Runs/ }).first();
    await tab.waitFor({ timeout: 20_000 });
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe');
    const cells = frame.locator('th, td, [role=columnheader], [role=rowheader], [role=cell], [role=gridcell]');
    await cells
      .filter({ hasText: `${HOSTILE}0` })
      .first()
      .waitFor({ timeout: 30_000 });
    await cells.filter({ hasText: '<script>alert(0)</script>' }).first().waitFor({ timeout: 10_000 });
    // Browsers hide nonce attributes from the DOM, so look for what the markup would have created
    // instead (VS Code's own acquireVsCodeApi script is the one inline script a webview has).
    const injected = await frame.locator('img[src="x"], [onerror], script:not([src]):not(#_vscodeApiScript)').count();
    if (injected > 0) {
      const html = await frame
        .locator('img[src="x"], [onerror], script:not([src]):not(#_vscodeApiScript)')
        .evaluateAll((els) => els.map((e) => e.outerHTML.slice(0, 200)));
      throw new Error(`${injected} element(s) were created from run data: ${html.join(' | ')}`);
    }
    await page.screenshot({ path: join(results, 'compare-panel.png') });
    if (dialogs.length > 0) throw new Error(`a dialog opened: ${dialogs.join(', ')}`);
  });
  if (outsideRequests.length > 0) console.log(`# requests outside the workbench: ${[...new Set(outsideRequests)].slice(0, 5).join(', ')}`);
  if (args.includes('--update-screenshot')) copyFileSync(join(results, 'mlops-views.png'), join(repoRoot, 'media', 'screenshot.png'));
  if (pageErrors.length > 0) console.log(`# page errors (not failures):\n${pageErrors.join('\n')}`);
} finally {
  await browser.close();
  server.stop();
  rmSync(profile.root, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
