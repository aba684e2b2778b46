// The extension's tests, run inside a real VS Code's extension host (code-server, see
// ../run-in-code-server.sh) against the installed .vsix and a copy of examples/workspace.
//
// VS Code ignores a failing run here (the host exits 0 either way), so every result is written to
// PORTOS_TEST_RESULT as it happens, and the runner judges that file. Between the tests of the API and the
// tests that restart the server, the suite hands over to the browser driver (driver.mjs) for the UI checks
// and the screenshot: it writes SIGNALS/ui-ready and waits for SIGNALS/ui-done.
'use strict';
const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');

const EXTENSION_ID = 'portos-lsp.portos-lsp';
const env = process.env;
const RESULT = env.PORTOS_TEST_RESULT;
const WORKSPACE = env.PORTOS_TEST_WORKSPACE;
const SIGNALS = env.PORTOS_TEST_SIGNALS;
const EXPECTED = env.PORTOS_TEST_EXPECTED ? JSON.parse(fs.readFileSync(env.PORTOS_TEST_EXPECTED, 'utf8')) : {};

const results = { started: new Date().toISOString(), tests: [], finished: false };

function save() {
  if (!RESULT) {
    return;
  }
  fs.writeFileSync(`${RESULT}.tmp`, JSON.stringify(results, null, 2));
  fs.renameSync(`${RESULT}.tmp`, RESULT);
}

async function test(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.tests.push({ name, ok: true, ms: Date.now() - started });
  } catch (e) {
    results.tests.push({ name, ok: false, ms: Date.now() - started, error: (e && e.stack) || String(e) });
  }
  save();
}

/** Writes a signal file whole (a rename): the driver polls for it and must never read it half-written. */
function signal(name, text) {
  const file = path.join(SIGNALS, name);
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function assert(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something truthy; the error names `what` and the last value seen. */
async function waitFor(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) {
        return last;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      let shown;
      try {
        shown = last instanceof Error ? last.message : JSON.stringify(last);
      } catch {
        shown = String(last);
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${shown}`);
    }
    await sleep(100);
  }
}

/** Runs `check` (which throws while its assertions fail) until it passes; the last failure is the error. */
async function eventually(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) {
        e.message = `${what}, still after ${timeoutMs} ms: ${e.message}`;
        throw e;
      }
    }
    await sleep(250);
  }
}

const fileUri = (relative) => vscode.Uri.file(path.join(WORKSPACE, relative));
const LEGACY = 'legacy/ecosystem.config.cjs';
const SHOP = 'shop/ecosystem.config.cjs';
const WORKERS = 'workers/ecosystem.yml';

function codeOf(diagnostic) {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code);
}

function ours(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'portos-lsp');
}

function where(d) {
  return `${codeOf(d)}@${d.range.start.line + 1}:${d.range.start.character + 1}`;
}

async function open(relative) {
  const doc = await vscode.workspace.openTextDocument(fileUri(relative));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** Each edited document's text before the suite's first edit: a revert must bring exactly this back. */
const pristine = new Map();

async function revert(doc) {
  await vscode.window.showTextDocument(doc, { preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
  await waitFor(`${doc.uri.fsPath} reverted`, () => !doc.isDirty);
  // A revert of a file that was saved meanwhile (auto-save) leaves the edit in place, and the next test would
  // see a file it did not expect: say so here rather than as that test's timeout.
  const before = pristine.get(doc.uri.toString());
  assert(before === undefined || doc.getText() === before, `${doc.uri.fsPath}: the revert left the edit in place (was it saved?)`);
}

/** Inserts `text` at the start of 0-based `line` (in the buffer only). */
async function insertLine(doc, line, text) {
  if (!doc.isDirty && !pristine.has(doc.uri.toString())) {
    pristine.set(doc.uri.toString(), doc.getText());
  }
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.uri, new vscode.Position(line, 0), text);
  assert(await vscode.workspace.applyEdit(edit), 'the edit was not applied');
}

function hoverText(hovers) {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

function flatten(nodes, out = []) {
  for (const node of nodes) {
    out.push(node);
    flatten(node.children || [], out);
  }
  return out;
}

async function run() {
  save();
  let api;

  await test('the extension under test is the installed .vsix, with its bundled server', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert(ext, `${EXTENSION_ID} is not installed`);
    const extensionsDir = env.PORTOS_TEST_EXTENSIONS_DIR;
    assert(
      extensionsDir && ext.extensionPath.startsWith(extensionsDir),
      `${ext.extensionPath} is not under the extensions dir ${extensionsDir}`,
    );
    assert(fs.existsSync(path.join(ext.extensionPath, 'server', 'portos-lsp')), 'server/portos-lsp is not in the package');
    assert(ext.packageJSON.version === EXPECTED.version, `version ${ext.packageJSON.version}, expected ${EXPECTED.version}`);
  });

  await test('activates by itself in a workspace with ecosystem files (workspaceContains)', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    await waitFor('the extension to activate', () => ext.isActive, 60_000);
    api = ext.exports;
    await api.ready();
    assert(api.client() && api.client().isRunning(), `the client is not running: ${JSON.stringify(api.status())}`);
  });
  if (!api) {
    results.finished = true;
    save();
    return;
  }

  await test('uses the bundled server, logs its path and checks --version', async () => {
    const server = api.server();
    assert(server, 'no server was found');
    assert(server.source === 'bundled', `server source ${server.source} (${server.path})`);
    assert(server.version === EXPECTED.serverVersion, `--version said ${server.version}, expected ${EXPECTED.serverVersion}`);
    const line = api.logLines().find((l) => l.includes(`using ${server.path}`));
    assert(line && line.includes('bundled') && line.includes(server.version), `log: ${api.logLines().join(' | ')}`);
  });

  let legacy;
  await test('legacy: duplicate-port, port-gap and common-port diagnostics', async () => {
    legacy = await open(LEGACY);
    const diagnostics = await waitFor('legacy diagnostics', () => {
      const d = ours(legacy.uri);
      return d.some((x) => codeOf(x) === 'common-port') ? d : undefined;
    });
    const find = (code, line) => diagnostics.find((d) => codeOf(d) === code && d.range.start.line === line - 1);
    const duplicate = find('duplicate-port', 24);
    assert(duplicate, `no duplicate-port on line 24: ${diagnostics.map(where).join(', ')}`);
    assert(duplicate.severity === vscode.DiagnosticSeverity.Error, `duplicate-port severity ${duplicate.severity}`);
    assert(duplicate.message.includes('legacy-api'), duplicate.message);
    const gap = find('port-gap', 17);
    assert(gap && gap.severity === vscode.DiagnosticSeverity.Warning, `no port-gap warning on line 17`);
    assert(gap.message.includes('5576–5577'), gap.message);
    const common = diagnostics.find((d) => codeOf(d) === 'common-port' && d.range.start.line === 41);
    assert(common && common.message.includes('3000'), `no common-port for 3000 on line 42: ${diagnostics.map(where).join(', ')}`);
    assert(common.severity === vscode.DiagnosticSeverity.Warning, `common-port severity ${common.severity}`);
    assert(typeof duplicate.code === 'object' && String(duplicate.code.target).endsWith('docs/rules/duplicate-port.md'), 'the code links to its docs');
  });

  await test("legacy's and shop's diagnostics are exactly `portos-lsp check`'s", async () => {
    for (const relative of [LEGACY, SHOP]) {
      const doc = await open(relative);
      const expected = (EXPECTED.check || [])
        .filter((d) => path.normalize(d.file) === path.normalize(`./${relative}`))
        .map((d) => `${d.code}@${d.start_line}:${d.start_column}`)
        .sort();
      assert(expected.length > 0, `no expected diagnostics for ${relative}`);
      await waitFor(`${relative}: the same diagnostics as check (${expected.join(', ')})`, () => {
        const got = ours(doc.uri).map(where).sort();
        return JSON.stringify(got) === JSON.stringify(expected) ? got : undefined;
      });
      const got = ours(doc.uri).map(where).sort();
      assert(JSON.stringify(got) === JSON.stringify(expected), `${relative}: got ${got.join(', ')}, check says ${expected.join(', ')}`);
    }
  });

  await test("a YAML ecosystem file: the extension attaches, and its findings are `portos-lsp check`'s", async () => {
    const doc = await open(WORKERS);
    assert(doc.languageId === 'yaml', `${WORKERS} opened as ${doc.languageId}`);
    const expected = (EXPECTED.check || [])
      .filter((d) => path.normalize(d.file) === path.normalize(`./${WORKERS}`))
      .map((d) => `${d.code}@${d.start_line}:${d.start_column}`)
      .sort();
    assert(expected.some((e) => e.startsWith('instances-port-clash@')), `check finds: ${expected.join(', ')}`);
    await waitFor(`${WORKERS}: the same diagnostics as check (${expected.join(', ')})`, () => {
      const got = ours(doc.uri).map(where).sort();
      return JSON.stringify(got) === JSON.stringify(expected) ? got : undefined;
    });
    const clash = ours(doc.uri).find((d) => codeOf(d) === 'instances-port-clash');
    assert(clash.severity === vscode.DiagnosticSeverity.Error, `instances-port-clash severity ${clash.severity}`);
    assert(doc.getText(clash.range) === '5591', `it points at ${doc.getText(clash.range)}`);
  });

  await test('a conflict between two apps shows in both files', async () => {
    const shop = await open(SHOP);
    const conflict = await waitFor('port-conflict in shop', () =>
      ours(shop.uri).find((d) => codeOf(d) === 'port-conflict'),
    );
    assert(conflict.range.start.line === 38 && conflict.message.includes('legacy'), `${where(conflict)} ${conflict.message}`);
    assert(ours(legacy.uri).some((d) => codeOf(d) === 'port-conflict' && d.message.includes('shop-browser')), 'and in legacy');
  });

  await test('hover on a port names its PortOS label', async () => {
    const shop = await open(SHOP);
    const line = shop.lineAt(4).text;
    assert(line.includes('API: 5570'), `line 5 is ${line}`);
    const hovers = await vscode.commands.executeCommand(
      'vscode.executeHoverProvider',
      shop.uri,
      new vscode.Position(4, line.indexOf('5570') + 1),
    );
    const text = hoverText(hovers);
    assert(text.includes('**5570**') && text.includes('`api`'), `hover: ${text}`);
    assert(text.includes('`shop-api`'), `hover names the process: ${text}`);
  });

  await test('completion offers the next free port first', async () => {
    const doc = await open(LEGACY);
    assert(doc.lineAt(16).text.includes('METRICS_PORT'), `line 17 is ${doc.lineAt(16).text}`);
    await insertLine(doc, 17, '      DOCS_PORT: \n');
    try {
      const position = new vscode.Position(17, '      DOCS_PORT: '.length);
      const list = await waitFor('completion items', async () => {
        const l = await vscode.commands.executeCommand('vscode.executeCompletionItemProvider', doc.uri, position);
        return l && l.items.some((i) => /^\d+$/.test(typeof i.label === 'string' ? i.label : i.label.label)) ? l : undefined;
      });
      const label = (i) => (typeof i.label === 'string' ? i.label : i.label.label);
      const ports = list.items
        .filter((i) => /^\d+$/.test(label(i)))
        .sort((a, b) => (a.sortText || label(a)).localeCompare(b.sortText || label(b)));
      const first = ports[0];
      assert(label(first) === String(EXPECTED.next.legacy), `first port offered: ${ports.map(label).join(', ')}; next says ${EXPECTED.next.legacy}`);
      assert(first.preselect === true, 'the first port is preselected');
      assert(String(first.detail).includes('gap'), `its reason: ${first.detail}`);
    } finally {
      await revert(doc);
    }
  });

  await test('a quick fix moves a typed duplicate port to a free one', async () => {
    // In legacy, whose block has a gap: the fix fills it, so it adds no finding and is offered (shop's block has
    // no room beside it, and a fix that would open a gap is not).
    const doc = await open(LEGACY);
    assert(doc.lineAt(16).text.includes('METRICS_PORT'), `line 17 is ${doc.lineAt(16).text}`);
    await insertLine(doc, 17, '      DOCS_PORT: 5578,\n');
    try {
      const typed = (d) => codeOf(d) === 'duplicate-port' && d.range.start.line === 17;
      const duplicate = await waitFor('a duplicate-port on the typed line', () => ours(doc.uri).find(typed));
      const actions = await vscode.commands.executeCommand(
        'vscode.executeCodeActionProvider',
        doc.uri,
        duplicate.range,
        vscode.CodeActionKind.QuickFix.value,
      );
      const titles = actions.map((a) => a.title);
      const fix = actions.find((a) => a.title.startsWith(`Use free port ${EXPECTED.next.legacy}`));
      assert(fix, `no "Use free port ${EXPECTED.next.legacy}" among ${titles.join(' | ')}`);
      assert(fix.isPreferred, 'the fix is the preferred one');
      assert(fix.kind && fix.kind.value === 'quickfix', `kind ${fix.kind && fix.kind.value}`);
      assert(await vscode.workspace.applyEdit(fix.edit), 'the fix was not applied');
      assert(doc.lineAt(17).text.includes(`DOCS_PORT: ${EXPECTED.next.legacy},`), `after the fix: ${doc.lineAt(17).text}`);
      await waitFor('the duplicate-port to go away', () => !ours(doc.uri).some(typed));
    } finally {
      await revert(doc);
    }
  });

  await test('the PortOS ports view shows the ranges, the apps, the free runs and the conflict', async () => {
    // The view follows the diagnostics: the edits of the tests before may still be arriving.
    await eventually('the view shows the example workspace', async () => {
      await api.ports.refresh();
      const roots = api.ports.snapshot();
      const message = roots.find((n) => n.kind === 'message');
      assert(!message, `the view says: ${message && message.label}`);
      const labels = roots.map((n) => n.label);
      const ranges = roots.find((n) => n.kind === 'ranges');
      assert(ranges, `no Ranges row: ${labels.join(', ')}`);
      const rangeLabels = ranges.children.map((n) => n.label);
      for (const want of ['core 5554–5560', 'reserved 5561–5569', 'user 5570–5599']) {
        assert(rangeLabels.includes(want), `ranges: ${rangeLabels.join(', ')}`);
      }
      const apps = roots.filter((n) => n.kind === 'app');
      for (const want of ['blog', 'legacy', 'portos', 'shop']) {
        assert(apps.some((a) => a.label === want), `apps: ${apps.map((a) => a.label).join(', ')}`);
      }
      const legacyApp = apps.find((a) => a.label === 'legacy');
      assert(legacyApp.description.startsWith('5573–5578') && legacyApp.description.includes('gaps') && legacyApp.marked, `legacy: ${legacyApp.description}`);
      const legacyApi = legacyApp.children.find((p) => p.label === 'legacy-api');
      assert(legacyApi, `legacy's processes: ${legacyApp.children.map((p) => p.label).join(', ')}`);
      // legacy-worker serves 5574 too: a port served twice inside one app is marked, as a conflict is.
      const apiPort = legacyApi.children.find((p) => p.label === '5574');
      assert(apiPort && apiPort.description === 'api · conflict' && apiPort.marked, `legacy-api's ports: ${JSON.stringify(legacyApi.children)}`);
      assert(apiPort.location && apiPort.location.uri.endsWith(`/${LEGACY}`), `5574 opens ${JSON.stringify(apiPort.location)}`);
      const shopApp = apps.find((a) => a.label === 'shop');
      const health = flatten(shopApp.children).find((n) => n.kind === 'port' && n.label === '5573');
      assert(health && health.marked && health.description.includes('conflict'), `shop's 5573: ${JSON.stringify(health)}`);
      const free = roots.find((n) => n.kind === 'free');
      const runs = free.children.map((n) => n.label);
      for (const want of ['5576–5577', '5579', '5587–5590', '5595–5599']) {
        assert(runs.includes(want), `free runs: ${runs.join(', ')}`);
      }
      const conflicts = roots.find((n) => n.kind === 'conflicts');
      assert(conflicts && conflicts.children.some((c) => c.label === '5573'), `conflicts: ${JSON.stringify(conflicts)}`);
      assert(conflicts.children.some((c) => c.label === '5574'), `5574 twice in legacy: ${JSON.stringify(conflicts)}`);
      const uses = conflicts.children.find((c) => c.label === '5573').children.map((u) => u.label);
      assert(uses.includes('legacy / shop-api') && uses.includes('shop / shop-browser'), `5573 uses: ${uses.join(', ')}`);
    });
  });

  await test("a click on a port in the view opens its definition", async () => {
    const roots = api.ports.snapshot();
    const legacyApp = roots.find((n) => n.kind === 'app' && n.label === 'legacy');
    const port = legacyApp.children.find((p) => p.label === 'legacy-worker').children.find((p) => p.label === '5574');
    assert(port, 'legacy-worker has 5574');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The row's own command, as a click runs it.
    const item = api.ports.treeItem(['legacy', 'legacy-worker', '5574']);
    assert(item && item.command, `the row has no command: ${JSON.stringify(item)}`);
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments || []));
    const editor = await waitFor('an editor on the definition', () => vscode.window.activeTextEditor);
    assert(editor.document.uri.fsPath === fileUri(LEGACY).fsPath, `opened ${editor.document.uri.fsPath}`);
    assert(editor.selection.start.line === port.location.line, `selection on line ${editor.selection.start.line + 1}`);
    const text = editor.document.lineAt(port.location.line).text;
    assert(text.includes('PORT: PORTS.API'), `the definition line is ${text}`);
  });

  await test('the diagnostics-driven refresh: a typed conflict appears in the view and goes away', async () => {
    const doc = await open(SHOP);
    await insertLine(doc, 39, '        METRICS_PORT: 5580,\n');
    try {
      await waitFor('5580 to be marked as a conflict in the view', async () => {
        await api.ports.settled();
        const conflicts = api.ports.snapshot().find((n) => n.kind === 'conflicts');
        return conflicts && conflicts.children.some((c) => c.label === '5580');
      });
    } finally {
      await revert(doc);
    }
    await waitFor('5580 to leave the view', async () => {
      await api.ports.settled();
      const conflicts = api.ports.snapshot().find((n) => n.kind === 'conflicts');
      return !(conflicts && conflicts.children.some((c) => c.label === '5580'));
    });
  });

  // The browser's turn: Quick Open, squiggles, a hover and the ports view in the page, and the screenshot.
  await test('the UI checks and the screenshot (driver.mjs)', async () => {
    if (!SIGNALS) {
      throw new Error('PORTOS_TEST_SIGNALS is not set');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.explorer');
    await vscode.commands.executeCommand('portos.ports.focus');
    signal('ui-ready', new Date().toISOString());
    const done = path.join(SIGNALS, 'ui-done');
    await waitFor('the driver to finish its checks', () => fs.existsSync(done), 240_000);
    const report = fs.readFileSync(done, 'utf8');
    assert(report.trim() === 'ok', `the driver reported: ${report}`);
  });

  await test('portos.files: a file matching an extra glob is attached, and no longer once the glob is gone', async () => {
    const extra = fileUri('deploy/api.pm2.js');
    await vscode.workspace.fs.writeFile(
      extra,
      Buffer.from("module.exports = {\n  apps: [{ name: 'deploy-api', script: 'a.js', env: { PORT: 5432 } }],\n};\n"),
    );
    const config = vscode.workspace.getConfiguration('portos');
    try {
      const doc = await vscode.workspace.openTextDocument(extra);
      await vscode.window.showTextDocument(doc);
      await sleep(1500);
      assert(ours(extra).length === 0, `not an ecosystem file, yet: ${ours(extra).map(where).join(', ')}`);
      const before = api.client();
      await config.update('files', ['deploy/*.pm2.js'], vscode.ConfigurationTarget.Workspace);
      await waitFor('a restart with the new glob', () => api.client() && api.client() !== before);
      await api.ready();
      const found = await waitFor('common-port on the extra file', () =>
        ours(extra).find((d) => codeOf(d) === 'common-port'),
      );
      assert(found.message.includes('5432'), found.message);
      await config.update('files', undefined, vscode.ConfigurationTarget.Workspace);
      await waitFor('the extra file to be let go', () => ours(extra).length === 0);
    } finally {
      await config.update('files', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(vscode.Uri.file(path.dirname(extra.fsPath)), { recursive: true });
    }
    await api.ready();
  });

  await test('a bad portos.server.path: the error, the status bar says the server is down, then a restart', async () => {
    const config = vscode.workspace.getConfiguration('portos');
    const missing = path.join(WORKSPACE, 'no-such-portos-lsp');
    await config.update('server.path', missing, vscode.ConfigurationTarget.Workspace);
    try {
      const status = await waitFor('the status to say the server is down', () => {
        const s = api.status();
        return s.kind === 'down' ? s : undefined;
      });
      assert(status.reason.includes('portos.server.path') && status.reason.includes(missing), status.reason);
      assert(!api.client(), 'no client while the binary is missing');
    } finally {
      await config.update('server.path', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('the server to run again', () => api.client() && api.client().isRunning() && api.status().kind === 'idle');
    await api.ready();
    assert(api.server().source === 'bundled', `source ${api.server().source}`);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  await test('portos.showOutput runs', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['portos.restartServer', 'portos.showOutput', 'portos.ports.refresh']) {
      assert(commands.includes(command), `${command} is not registered`);
    }
    await vscode.commands.executeCommand('portos.showOutput');
  });

  await test('portos.restartServer restarts the server and the diagnostics come back', async () => {
    const before = api.client();
    await vscode.commands.executeCommand('portos.restartServer');
    await api.ready();
    const after = api.client();
    assert(after && after !== before && after.isRunning(), 'a new running client');
    const doc = await open(LEGACY);
    await waitFor('legacy diagnostics after the restart', () => ours(doc.uri).some((d) => codeOf(d) === 'duplicate-port'));
  });

  await test('only settings the user set reach the server', async () => {
    assert(JSON.stringify(api.settings()) === '{}', `nothing set, yet: ${JSON.stringify(api.settings())}`);
    const config = vscode.workspace.getConfiguration('portos');
    await config.update('rules', { 'port-gap': 'off' }, vscode.ConfigurationTarget.Workspace);
    try {
      assert(JSON.stringify(api.settings()) === '{"rules":{"port-gap":"off"}}', JSON.stringify(api.settings()));
      await waitFor('port-gap to be turned off', () => !ours(legacy.uri).some((d) => codeOf(d) === 'port-gap'));
    } finally {
      await config.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('port-gap to come back', () => ours(legacy.uri).some((d) => codeOf(d) === 'port-gap'));
    assert(JSON.stringify(api.settings()) === '{}', JSON.stringify(api.settings()));
  });

  results.finished = true;
  save();
}

module.exports = { run };
