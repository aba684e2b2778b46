// The browser side of the real-editor test (run by run-in-code-server.sh): opens code-server's page in
// headless Chromium with the test payload, waits for the suite (suite/index.js) to hand over, then checks what
// the page shows — a file opened with Quick Open (retried: on a cold start Quick Open races the file index),
// squiggles, a hover naming the port's label, the PortOS ports view's rows — and takes the screenshot.
// Results go to PORTOS_TEST_UI_RESULT as they happen; SIGNALS/ui-done tells the suite to go on.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const env = process.env;
const require = createRequire(`${env.PORTOS_PLAYWRIGHT}/`);
const { chromium } = require(env.PORTOS_PLAYWRIGHT);

const RESULT = env.PORTOS_TEST_UI_RESULT;
const SIGNALS = env.PORTOS_TEST_SIGNALS;
const SUITE_RESULT = env.PORTOS_TEST_RESULT;
const SHOP = 'shop/ecosystem.config.cjs';

const results = { tests: [], finished: false };
const save = () => {
  fs.writeFileSync(`${RESULT}.tmp`, JSON.stringify(results, null, 2));
  fs.renameSync(`${RESULT}.tmp`, RESULT);
};
const log = (...args) => console.log(new Date().toISOString(), ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.tests.push({ name, ok: true, ms: Date.now() - started });
    log('ok', name);
  } catch (e) {
    results.tests.push({ name, ok: false, ms: Date.now() - started, error: (e && e.stack) || String(e) });
    log('FAIL', name, e);
  }
  save();
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function suiteResult() {
  try {
    return JSON.parse(fs.readFileSync(SUITE_RESULT, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Writes a signal file whole (a rename): the suite polls for it and must never read it half-written. */
function signal(name, text) {
  const file = path.join(SIGNALS, name);
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Waits for a file, unless the suite finished (or stopped writing) first. */
async function waitForSignal(name, timeoutMs) {
  const file = path.join(SIGNALS, name);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      return true;
    }
    if (suiteResult()?.finished) {
      return false;
    }
    await sleep(200);
  }
  return false;
}

async function main() {
  save();
  const browser = await chromium.launchPersistentContext(env.PORTOS_TEST_BROWSER_DIR, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Tall enough that the PortOS ports view shows every root row of the example workspace (the tree is
    // virtualised: rows below the pane are not in the page).
    viewport: { width: 1440, height: 1400 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('console', (m) => {
    // Offline, the gallery and telemetry lookups fail: noise, not findings.
    if (m.type() === 'error' && !/gallery|marketplace|telemetry|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION/i.test(m.text())) {
      log('console error:', m.text().slice(0, 300));
    }
  });
  page.on('pageerror', (e) => log('page error:', e.message.slice(0, 300)));

  await test('the workbench loads with the test payload', async () => {
    await page.goto(env.PORTOS_TEST_URL, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  });

  const handedOver = await waitForSignal('ui-ready', 300_000);
  if (handedOver) {
    await uiChecks(page);
  } else {
    results.tests.push({ name: 'the suite handed over to the browser', ok: false, ms: 0, error: 'no ui-ready signal' });
    save();
  }
  signal('ui-done', results.tests.every((t) => t.ok) ? 'ok' : results.tests.filter((t) => !t.ok).map((t) => t.name).join('; '));

  // The suite goes on (settings, restart) in the page's extension host: keep the page until it is done.
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && !suiteResult()?.finished) {
    await sleep(250);
  }
  results.finished = true;
  save();
  await browser.close();
}

async function uiChecks(page) {
  const editorTab = page.locator('.tabs-container .tab.active');

  // Room for the ports view: fold the file tree's section (the PortOS ports section then takes its place).
  const folders = page.locator('.pane-header', { hasText: /^\s*workspace/i }).first();
  if ((await folders.getAttribute('aria-expanded').catch(() => null)) === 'true') {
    await folders.click();
  }

  await test(`Quick Open opens ${SHOP} (retried until the tab exists)`, async () => {
    let opened = false;
    for (let attempt = 1; attempt <= 15 && !opened; attempt++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(SHOP);
      // The first row must be the file itself, not a recently opened one or nothing at all.
      const row = page.locator('.quick-input-list .monaco-list-row').first();
      try {
        await page.waitForFunction(
          () => {
            const r = document.querySelector('.quick-input-list .monaco-list-row');
            return r && /ecosystem\.config\.cjs/.test(r.textContent) && /shop/.test(r.textContent);
          },
          undefined,
          { timeout: 3_000 },
        );
      } catch {
        log(`Quick Open attempt ${attempt}: no matching row yet`);
        continue;
      }
      await row.waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      try {
        await page.waitForFunction(
          () => {
            const group = document.querySelector('.editor-group-container.active');
            const label = group && group.querySelector('.tabs-container .tab.active .monaco-icon-label');
            return label && /\/shop\/ecosystem\.config\.cjs\b/.test(label.getAttribute('aria-label') || '');
          },
          undefined,
          { timeout: 5_000 },
        );
        opened = true;
      } catch {
        log(`Quick Open attempt ${attempt}: no editor tab for ${SHOP} yet`);
        await sleep(1000);
      }
    }
    assert(opened, `no editor tab for ${SHOP}: active tab ${await editorTab.getAttribute('aria-label').catch(() => 'none')}`);
  });

  const editor = page.locator('.editor-group-container.active .monaco-editor').first();
  await test('the editor underlines the findings (an error and a warning squiggle)', async () => {
    await page.waitForFunction(
      () =>
        document.querySelector('.editor-group-container.active .monaco-editor .squiggly-error') &&
        document.querySelector('.editor-group-container.active .monaco-editor .squiggly-warning'),
      undefined,
      { timeout: 30_000 },
    );
  });

  await test('a hover on a port shows its PortOS label', async () => {
    let text = '';
    for (let attempt = 1; attempt <= 5; attempt++) {
      await editor.click({ position: { x: 200, y: 10 } });
      await page.keyboard.press('Control+G');
      await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.type('5:11');
      await page.keyboard.press('Enter');
      await sleep(300);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      try {
        const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: 'shop-api' }).first();
        await hover.waitFor({ state: 'visible', timeout: 5_000 });
        text = await hover.innerText();
        if (text.includes('5570') && /\bapi\b/.test(text)) {
          break;
        }
      } catch {
        log(`hover attempt ${attempt}: none yet`);
      }
    }
    assert(text.includes('5570') && /\bapi\b/.test(text) && text.includes('shop-api'), `the hover says: ${text}`);
  });

  await test('the PortOS ports view lists the apps, the free runs and the conflict', async () => {
    const pane = page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: /PortOS ports/i }) });
    await pane.waitFor({ state: 'visible', timeout: 10_000 });
    await page.waitForFunction(
      () => {
        const panes = [...document.querySelectorAll('.pane')].filter((p) =>
          /PortOS ports/i.test(p.querySelector('.pane-header')?.textContent || ''),
        );
        const text = panes[0]?.querySelector('.pane-body')?.textContent || '';
        return /legacy/.test(text) && /shop/.test(text) && /Conflicts/.test(text);
      },
      undefined,
      { timeout: 15_000 },
    );
    const rows = await pane.locator('.monaco-list-row').allInnerTexts();
    const text = rows.join(' | ');
    for (const want of ['legacy', 'shop', 'Free in the user range', 'Conflicts']) {
      assert(text.includes(want), `the view shows: ${text}`);
    }
  });

  await test('the screenshot: squiggles, the hover and the ports view', async () => {
    const hover = page.locator('.monaco-hover:not(.hidden)').filter({ hasText: 'shop-api' }).first();
    assert(await hover.isVisible(), 'the hover is gone');
    await page.screenshot({ path: env.PORTOS_TEST_SCREENSHOT });
    assert(fs.statSync(env.PORTOS_TEST_SCREENSHOT).size > 10_000, 'the screenshot is empty');
  });
}

main().catch((e) => {
  log('driver failed:', e);
  results.tests.push({ name: 'the browser driver ran', ok: false, ms: 0, error: (e && e.stack) || String(e) });
  save();
  try {
    signal('ui-done', `driver failed: ${e}`);
  } catch {
    // the run directory is gone
  }
  process.exit(1);
});
