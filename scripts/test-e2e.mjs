// UI end-to-end tests: installs the packaged .vsix into code-server, opens a copy of the example
// project in headless Chromium, and checks what a user sees in the MLOps container. Screenshots
// go to test-results/ (`--update-screenshot` also refreshes media/screenshot.png for the README).
// Prints "e2e: N passed, M failed".
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  codeServerBinary,
  installVsix,
  launchChromium,
  makeProfile,
  missingDockerTools,
  repoRoot,
  startCodeServer,
} from './lib/codeServer.mjs';

const args = process.argv.slice(2);
const vsix = join(repoRoot, 'out', 'mlops-workbench.vsix');
if (!existsSync(vsix)) execFileSync('npm', ['run', '-s', 'package'], { cwd: repoRoot, stdio: 'inherit' });
const results = join(repoRoot, 'test-results');
mkdirSync(results, { recursive: true });

const workspace = join(mkdtempSync(join(tmpdir(), 'mlops-e2e-')), 'wine-quality');
cpSync(join(repoRoot, 'examples', 'wine-quality'), workspace, {
  recursive: true,
  filter: (source) => !/[\\/](artifacts|mlruns|\.mlops|\.venv|tmp|__pycache__)$|mlflow\.db$/.test(source),
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

// The secrets scan: a registry with htpasswd (scripts/docker-services.sh) and an MLflow-API
// stand-in that wants a bearer token; both secrets are entered through the editor's input boxes.
const secrets = args.includes('--update-screenshot') ? undefined : await startSecretServices();
/** Texts shown in notifications, dialogs and input messages while the secret checks run. */
const shownTexts = [];

const binary = codeServerBinary();
const profile = makeProfile({
  'workbench.colorTheme': 'Default Dark Modern',
  ...(secrets
    ? {
        'mlops.mlflow.trackingUri': secrets.mlflowUrl,
        'mlops.docker.registries': [{ address: secrets.registry, kind: 'generic' }],
      }
    : {}),
});
installVsix(binary, profile, vsix);
const server = await startCodeServer({ binary, profile, folder: workspace, env: secrets?.env ?? {} });
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
    // The list can re-render under a click (a click then lands on nothing): check each row until the
    // quick pick counts both as selected.
    const selected = page.locator('.quick-input-count');
    for (let attempt = 0; attempt < 5 && !/\b2 Selected/.test(await selected.innerText().catch(() => '')); attempt++) {
      for (const i of [0, 1]) {
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: `${HOSTILE}${i}` }).first();
        await row.waitFor({ timeout: 20_000 });
        const box = row.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first();
        if (!(await box.isChecked().catch(() => false))) await box.click();
      }
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

  await check("the compare panel's buttons show codicons: the webview loaded the codicon font and its glyphs draw", async () => {
    if (args.includes('--update-screenshot')) return;
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe');
    const icon = frame.locator('button[data-export="csv"] .codicon').first();
    await icon.waitFor({ timeout: 20_000 });
    // Inside the webview's own document: its FontFaceSet, the icon's computed font and its glyph drawn
    // on a canvas in that font (a missing font draws nothing for a private-use code point, or a box).
    const font = await icon.evaluate(async (span) => {
      await document.fonts.ready;
      const faces = [...document.fonts].filter((f) => f.family.replace(/["']/g, '') === 'codicon');
      const style = getComputedStyle(span, '::before');
      const glyph = style.content.replace(/^["']|["']$/g, '');
      const canvas = document.createElement('canvas');
      canvas.width = 32;
      canvas.height = 32;
      const context = canvas.getContext('2d');
      const draw = (family) => {
        context.clearRect(0, 0, 32, 32);
        context.font = `24px ${family}`;
        context.fillStyle = '#000';
        context.fillText(glyph, 2, 26);
        return context.getImageData(0, 0, 32, 32).data;
      };
      const withCodicon = draw('codicon');
      const withFallback = draw('monospace');
      let inkCodicon = 0;
      let differing = 0;
      for (let i = 3; i < withCodicon.length; i += 4) {
        if (withCodicon[i] > 0) inkCodicon++;
        if (withCodicon[i] !== withFallback[i]) differing++;
      }
      return {
        faces: faces.map((f) => f.status),
        family: style.fontFamily,
        codePoint: glyph.codePointAt(0),
        width: span.getBoundingClientRect().width,
        inkCodicon,
        // Pixels where the glyph in codicon differs from the same code point in a fallback font.
        differing,
      };
    });
    console.log(`# compare panel codicon: ${JSON.stringify(font)}`);
    if (!font.faces.includes('loaded')) throw new Error(`the codicon font is not loaded in the webview: ${JSON.stringify(font)}`);
    if (!/codicon/.test(font.family)) throw new Error(`the icon's font is ${font.family}, not codicon`);
    if (!(font.codePoint >= 0xe000 && font.codePoint <= 0xf8ff))
      throw new Error(`the icon is not a codicon glyph: ${JSON.stringify(font)}`);
    if (!(font.width > 0) || !(font.inkCodicon > 20)) throw new Error(`the codicon glyph draws nothing: ${JSON.stringify(font)}`);
    if (!(font.differing > 20)) throw new Error(`the codicon glyph draws like a fallback font's: ${JSON.stringify(font)}`);
    const toolbar = frame.locator('header.toolbar').first();
    await toolbar.screenshot({ path: join(results, 'compare-panel-codicons.png') });
  });
  if (secrets) await secretsChecks();
  if (outsideRequests.length > 0) console.log(`# requests outside the workbench: ${[...new Set(outsideRequests)].slice(0, 5).join(', ')}`);
  if (args.includes('--update-screenshot')) copyFileSync(join(results, 'mlops-views.png'), join(repoRoot, 'media', 'screenshot.png'));
  if (pageErrors.length > 0) console.log(`# page errors (not failures):\n${pageErrors.join('\n')}`);
} finally {
  await browser.close();
  server.stop();
  secrets?.stop();
  rmSync(profile.root, { recursive: true, force: true });
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

// ---- the secrets scan ----

/** Starts the authenticated registry and the MLflow stand-in; undefined (skipped) without Docker locally. */
async function startSecretServices() {
  const script = join(repoRoot, 'scripts', 'docker-services.sh');
  const missing = missingDockerTools();
  if (missing.length > 0) {
    const message = `the secrets scan needs ${missing.join(', ')} (apt-get install -y docker.io docker-registry apache2-utils)`;
    if (process.env.CI === 'true') throw new Error(message);
    console.log(`# ${message}: skipped`);
    return undefined;
  }
  let wasRunning = true;
  try {
    execFileSync('bash', [script, 'running'], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    wasRunning = false;
  }
  const values = Object.fromEntries(
    execFileSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 120_000 })
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  // An image built here (FROM scratch, labelled as the extension labels its builds) to push.
  const context = mkdtempSync(join(tmpdir(), 'mlops-e2e-image-'));
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  writeFileSync(join(context, 'hello.txt'), 'e2e secrets scan\n');
  execFileSync('docker', ['build', '-q', '-t', 'e2e-secret:1', '--label', 'dev.mlops-workbench.built=true', context], {
    stdio: 'pipe',
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
  });
  rmSync(context, { recursive: true, force: true });

  const token = `mlflow-e2e-token-${Math.random().toString(36).slice(2, 12)}`;
  const requests = { authorized: 0, refused: 0 };
  const standIn = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        requests.refused++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":"UNAUTHENTICATED"}');
        return;
      }
      requests.authorized++;
      const json = (value) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.url?.endsWith('/api/2.0/mlflow/experiments/search')) return json({ experiments: [{ experiment_id: '1', name: 'served' }] });
      if (req.url?.endsWith('/api/2.0/mlflow/runs/search'))
        return json({
          runs: [
            {
              info: { run_id: 'e2e0served0run', run_name: 'served-run', experiment_id: '1', status: 'FINISHED', start_time: 1764547200000 },
              data: {
                metrics: [{ key: 'accuracy', value: 0.93, step: 0, timestamp: 1764547200000 }],
                params: [{ key: 'model', value: 'rf' }],
              },
            },
          ],
        });
      res.writeHead(404).end('{}');
    });
  });
  await new Promise((r) => standIn.listen(0, '127.0.0.1', r));
  const dockerConfig = mkdtempSync(join(tmpdir(), 'mlops-e2e-docker-config-'));
  return {
    registry: values.REGISTRY_AUTH,
    user: values.REGISTRY_USER,
    password: values.REGISTRY_PASSWORD,
    token,
    requests,
    mlflowUrl: `http://127.0.0.1:${standIn.address().port}`,
    // No `docker login` of the machine may answer for the editor: the credentials come from the UI.
    env: { DOCKER_CONFIG: dockerConfig },
    stop: () => {
      standIn.close();
      rmSync(dockerConfig, { recursive: true, force: true });
      try {
        execFileSync('docker', ['rmi', '-f', 'e2e-secret:1', `${values.REGISTRY_AUTH}/e2e-secret:1`], { stdio: 'ignore' });
      } catch {
        // already gone
      }
      if (!wasRunning) execFileSync('bash', [script, 'stop'], { stdio: 'inherit', timeout: 60_000 });
    },
  };
}

/** Every form a secret could leak in: itself, and its base64 (and base64url) at any byte alignment, alone or after "user:". */
function leakForms(secret, user) {
  const forms = new Set([secret]);
  for (const text of [secret, ...(user ? [`${user}:${secret}`] : [])]) {
    for (const shift of [0, 1, 2]) {
      const bytes = Buffer.concat([Buffer.alloc(shift, 0x22), Buffer.from(text)]);
      for (const encoding of ['base64', 'base64url']) {
        let encoded = bytes.toString(encoding).replace(/=+$/, '');
        // Drop the characters that also carry bits of the neighbouring bytes.
        encoded = encoded.slice(shift === 0 ? 0 : shift + 1);
        if (bytes.length % 3 !== 0) encoded = encoded.slice(0, -1);
        forms.add(encoded);
      }
    }
  }
  return [...forms].filter((f) => f.length >= 8);
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile());
}

async function quickInputTitled(title) {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).first().waitFor({ state: 'visible', timeout: 20_000 });
}

/** Types into the quick input's own text box, key by key, and confirms with Enter. */
async function typeIntoQuickInput(text) {
  const input = page.locator('.quick-input-widget .quick-input-box input').first();
  await input.pressSequentially(text);
  await input.press('Enter');
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function pick(text) {
  await page.keyboard.type(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Push Image through the palette; `signIn` answers the sign-in input boxes when they come. */
async function pushThroughUi(signIn) {
  await runCommand('MLOps: Push Image');
  await quickInputTitled('Push Image');
  await pick('e2e-secret:1');
  await quickInputTitled('Push e2e-secret:1');
  await pick(secrets.registry);
  const pushed = page.locator('.notifications-toasts', { hasText: `Pushed ${secrets.registry}/e2e-secret:1` }).first();
  const prompt = page.locator('.quick-input-widget .quick-input-title', { hasText: `Sign in to ${secrets.registry}` }).first();
  const deadline = Date.now() + 90_000;
  let prompted = false;
  while (Date.now() < deadline) {
    if (await pushed.isVisible()) return { prompted };
    if (await prompt.isVisible()) {
      if (!signIn) throw new Error('the second push asked for the registry credentials again: they were not kept in the secret storage');
      prompted = true;
      await typeIntoQuickInput(secrets.user);
      await page.locator('.quick-input-widget input[type=password]').first().waitFor({ state: 'visible', timeout: 10_000 });
      await typeIntoQuickInput(secrets.password);
      await prompt.waitFor({ state: 'hidden', timeout: 10_000 });
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no "Pushed ${secrets.registry}/e2e-secret:1" notification within 90 s`);
}

/**
 * Records every text shown in a notification, a dialog or a quick input's message while the checks
 * run (toasts disappear and are cleared, so looking at the end would miss them).
 */
async function recordShownTexts() {
  await page.evaluate(() => {
    const shown = (window.__mlopsShown ??= new Set());
    const take = () => {
      for (const element of document.querySelectorAll(
        '.notifications-toasts, .notifications-center, .monaco-dialog-box, .quick-input-widget .quick-input-message, .quick-input-widget .quick-input-title',
      ))
        if (element.innerText) shown.add(element.innerText);
    };
    new MutationObserver(take).observe(document.body, { subtree: true, childList: true, characterData: true });
    take();
  });
}

async function collectShownTexts() {
  shownTexts.push(...(await page.evaluate(() => [...(window.__mlopsShown ?? [])]).catch(() => [])));
}

async function secretsChecks() {
  const container = page.locator('[id="workbench.view.extension.mlops"]');
  await recordShownTexts();

  await check('an MLflow token entered in the input box is kept in the secret storage and sent to its server', async () => {
    await runCommand('MLOps: Sign In to MLflow Tracking Server');
    await quickInputTitled('MLflow tracking server');
    await page.keyboard.press('Enter'); // the configured tracking URI is filled in
    await quickInputTitled('MLflow tracking server credentials');
    await pick('Token');
    await quickInputTitled('MLflow token');
    await page.locator('.quick-input-widget input[type=password]').first().waitFor({ state: 'visible', timeout: 10_000 });
    await typeIntoQuickInput(secrets.token);
    await container.locator('.monaco-list-row', { hasText: 'served-run' }).first().waitFor({ timeout: 30_000 });
    if (secrets.requests.authorized === 0) throw new Error('the stand-in got no request with the token');
  });

  await check('a registry password entered in the sign-in boxes pushes, and the next push does not ask again', async () => {
    const first = await pushThroughUi(true);
    if (!first.prompted) throw new Error('the first push did not ask for credentials (a docker login answered?)');
    await runCommand('Notifications: Clear All Notifications');
    await pushThroughUi(false);
    const auth = `Basic ${Buffer.from(`${secrets.user}:${secrets.password}`).toString('base64')}`;
    const tags = await (await fetch(`http://${secrets.registry}/v2/e2e-secret/tags/list`, { headers: { authorization: auth } })).json();
    if (!tags.tags?.includes('1')) throw new Error(`the registry lists ${JSON.stringify(tags)}`);
  });

  await check('after a reload the stored token still lists the server runs without a prompt', async () => {
    const before = secrets.requests.authorized;
    await collectShownTexts();
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await recordShownTexts();
    const tab = page.locator('.activitybar [aria-label^="MLOps"]').first();
    await tab.waitFor({ timeout: 30_000 });
    // The restored window reopens the MLOps container itself; clicking its tab then would close it.
    const restored = await container
      .waitFor({ state: 'visible', timeout: 15_000 })
      .then(() => true)
      .catch(() => false);
    if (!restored) await tab.click();
    await container.locator('.monaco-list-row', { hasText: 'served-run' }).first().waitFor({ timeout: 60_000 });
    if (secrets.requests.authorized <= before) throw new Error('no authorized request after the reload');
    if (
      await page
        .locator('.quick-input-widget .quick-input-title', { hasText: /MLflow|Sign in/ })
        .first()
        .isVisible()
    )
      throw new Error('a sign-in box opened after the reload');
  });

  await check(
    'the registry password and the MLflow token appear nowhere: settings, logs, state, webview state, what is shown',
    async () => {
      const leaks = [];
      const scan = (where, text) => {
        for (const [name, forms] of [
          ['registry password', leakForms(secrets.password, secrets.user)],
          ['MLflow token', leakForms(secrets.token)],
        ]) {
          for (const form of forms)
            if (text.includes(form))
              leaks.push(`${name} (${form === secrets.password || form === secrets.token ? 'as is' : `as ${form}`}) in ${where}`);
        }
      };
      // The forms catch what an engine or a server would be sent: the X-Registry-Auth header (base64
      // JSON), a Basic header, a Bearer header.
      for (const sample of [
        Buffer.from(JSON.stringify({ username: secrets.user, password: secrets.password, serveraddress: secrets.registry })).toString(
          'base64url',
        ),
        `Basic ${Buffer.from(`${secrets.user}:${secrets.password}`).toString('base64')}`,
        Buffer.from(`{"auth":"x","password":"${secrets.password}"}`).toString('base64'),
      ]) {
        if (!leakForms(secrets.password, secrets.user).some((form) => sample.includes(form)))
          throw new Error(`the scan would miss ${sample}`);
      }
      // Settings, every log (the extension's output channel among them), global and workspace storage on the server side.
      const files = [...filesUnder(profile.userData), ...filesUnder(join(workspace, '.vscode'))];
      const outputLog = files.find((f) => /MLOps Workbench\.log$/.test(f));
      if (!outputLog) throw new Error(`no log file of the MLOps Workbench output channel under ${profile.userData}/logs`);
      if (!readFileSync(outputLog, 'utf8').includes(`Pushing ${secrets.registry}/e2e-secret:1`))
        throw new Error('the output channel log does not have the push in it: the scan would look at the wrong file');
      for (const file of files) scan(file.slice(profile.root.length), readFileSync(file).toString('latin1'));
      // The workbench's storage in the browser: extension globalState/workspaceState, the compare
      // panel's saved state, and SecretStorage (which must hold both secrets, and is the one place allowed to).
      const entries = await page.evaluate(async () => {
        const request = (r) =>
          new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
        const text = (v) =>
          typeof v === 'string' ? v : v instanceof Uint8Array || v instanceof ArrayBuffer ? new TextDecoder().decode(v) : JSON.stringify(v);
        const out = [];
        for (const info of await indexedDB.databases()) {
          const db = await request(indexedDB.open(info.name));
          for (const store of db.objectStoreNames) {
            const objects = db.transaction(store, 'readonly').objectStore(store);
            const [keys, values] = await Promise.all([request(objects.getAllKeys()), request(objects.getAll())]);
            keys.forEach((key, i) => out.push({ where: `IndexedDB ${info.name}/${store}`, key: text(key), value: text(values[i]) }));
          }
          db.close();
        }
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i);
          out.push({ where: 'localStorage', key, value: localStorage.getItem(key) ?? '' });
        }
        return out;
      });
      // code-server keeps SecretStorage encrypted in the browser (localStorage "secrets.provider",
      // its key half on the server): it must hold something, and it is scanned like the rest.
      const secretEntries = entries.filter((e) => e.where === 'localStorage' && e.key === 'secrets.provider');
      if (secretEntries.length !== 1 || secretEntries[0].value.length < 100) throw new Error('the secret storage holds nothing');
      for (const entry of entries) scan(`${entry.where} key ${entry.key}`, `${entry.key}\n${entry.value}`);
      const compareState = entries.filter((e) => /mlops\.compareRuns|Compare 2 Runs/.test(e.value));
      console.log(
        `# secrets scan: ${files.length} files, ${entries.length} storage entries, ${new Set(shownTexts).size} shown texts (${compareState.length} with the compare panel's state, ${secretEntries.length} secret-storage entries)`,
      );
      // What is on the screen: notifications, views, status bar, the notification centre's history.
      await runCommand('Notifications: Show Notifications');
      scan('the workbench as shown', await page.evaluate(() => document.body.innerText));
      await collectShownTexts();
      if (!shownTexts.some((text) => text.includes(`Pushed ${secrets.registry}/e2e-secret:1`)))
        throw new Error('the notification recorder saw no push notification: it would miss a leak there');
      for (const text of shownTexts) scan(`a notification, dialog or input message: ${text.slice(0, 60)}`, text);
      for (const frame of page.frames())
        scan(`frame ${frame.url().slice(0, 80)}`, await frame.evaluate(() => document.body?.innerText ?? '').catch(() => ''));
      if (leaks.length > 0) throw new Error(`found:\n${leaks.join('\n')}`);
    },
  );
}
