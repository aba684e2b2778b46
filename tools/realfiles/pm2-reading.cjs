#!/usr/bin/env node
// pm2-reading.cjs — what PM2 would run from one ecosystem file, as one JSON object on stdout.
//
//   node pm2-reading.cjs FILE [--extra REL=SRC]... [--pm2 NODE_MODULES]
//
// `--extra REL=SRC` copies SRC into the sandbox at REL, relative to the file's directory, or to HOME
// when REL starts with `~/`: for a file that needs another file of its repo (`./package.json`, a
// `.env.production`) or of its user's home. Without it the sandbox holds the single file only.
//
// THIS EXECUTES FILE. It does so in a throw-away sandbox (see `outer` below), which limits the damage
// of an ordinary config file but is no security boundary: only run it on files you accept to execute.
//
// `--pm2 NODE_MODULES` names a node_modules holding pm2 (7.0.3) and js-yaml (default:
// ~/.cache/portos-lsp/realfiles/node_modules when it exists; `npm install --prefix DIR pm2@7.0.3 js-yaml@4`).
// With it, JSON and YAML files are loaded by PM2's own `Common.parseConfig` (a JSON file is evaluated as
// `(` + text + `)`, YAML goes through js-yaml), and every file's apps are put through PM2's own
// `Common.verifyConfs`: `pm2_valid` says whether PM2's validation accepts them and would start them
// (`pm2_error` why not). An `.mjs` is loaded by PM2's parseConfig too (PM2 `require`s it: its named export
// `apps` counts, not its default export). Without it, JSON and YAML files are not loadable here.
//
// Reading, as `pm2 start FILE` (no --env) does it:
//   * `.js`/`.cjs` are loaded with require() (an ESM `.js` fails there, as in PM2 without
//     `"type": "module"`: not loadable); `.mjs` with import(), taking the default export, else the
//     namespace (its `apps`); `.json*` and `.yml`/`.yaml` (by PM2's substring test) by PM2's parseConfig.
//   * apps = export.apps if present, else export.pm2 (PM2's alias), else the export if it is an
//     array, else [export] if it has `script` (or PM2's aliases `cmd` / `command`), else none.
//   * an app without `name` is named as PM2's renderApplicationName does: the basename of the script
//     up to its last dot.
//   * `env` is the app's `env` block only (no --env merge, no process.env), with the app's `port` applied as its
//     `PORT` when it is truthy, as PM2's prepareAppConf does (`port_applied`).
//   * each entry of the config's `static` list is an app too, named `static-page-server-PORT` unless it has a
//     name, with `env: { PM2_SERVE_PORT: port }`, as PM2 starts it.
//
// Output: {"loadable": true, "export_kind": ..., "apps": [{name, script, args, instances, env,
// env_undefined, env_keys, port_fields: [{path, value}]}]} or {"loadable": false, "error": "..."}.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const TIMEOUT_MS = 5000;
const STUB_NAMES = ['child_process', 'dotenv', 'dotenv/config', 'dotenv/config.js'];

function fail(error) {
  process.stdout.write(JSON.stringify({ loadable: false, error: String(error) }) + '\n');
}

// ---------------------------------------------------------------------------------------------
// Outer process: build the sandbox and run this script again inside it (`--inner COPY`).
// ---------------------------------------------------------------------------------------------
function outer(file, extras, modules) {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) return fail(`no such file: ${file}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pm2-reading-'));
  try {
    const work = path.join(root, 'work');   // cwd, holds the single copied file and nothing else
    const home = path.join(root, 'home');   // HOME
    fs.mkdirSync(work);
    fs.mkdirSync(home);
    // No package.json beside the file: Node's nearest package.json lookup goes up from `work`.
    // `"type": "commonjs"` at the sandbox root stops it there and turns off Node's ESM syntax
    // detection for `.js`, so an ESM `.js` fails to require as it does under PM2 without
    // `"type": "module"`.
    fs.writeFileSync(path.join(root, 'package.json'), '{"type": "commonjs"}\n');
    const copy = path.join(work, path.basename(abs));
    fs.copyFileSync(abs, copy);
    for (const extra of extras) {
      const eq = extra.indexOf('=');
      if (eq < 1) return fail(`bad --extra ${extra}: want REL=SRC`);
      const rel = extra.slice(0, eq);
      const src = extra.slice(eq + 1);
      const base = rel.startsWith('~/') ? home : work;
      const dest = path.resolve(base, rel.startsWith('~/') ? rel.slice(2) : rel);
      if (!dest.startsWith(root + path.sep)) return fail(`--extra ${rel} leaves the sandbox`);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(src, dest);
    }
    const r = spawnSync(process.execPath, [__filename, '--inner', copy, modules || ''], {
      cwd: work,
      env: { PATH: process.env.PATH || '/usr/bin:/bin', HOME: home },
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.error && r.error.code === 'ETIMEDOUT') return fail(`timeout after ${TIMEOUT_MS} ms`);
    if (r.error) return fail(r.error.message);
    // The inner process writes its object on the last line; the file may have printed before it.
    const lines = (r.stdout || '').split('\n').filter((l) => l.startsWith('{"loadable"'));
    if (lines.length === 0) {
      const err = (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
      return fail(`no result (exit ${r.status}${r.signal ? ', ' + r.signal : ''}): ${err}`);
    }
    process.stdout.write(lines[lines.length - 1] + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Inner process: stubs, load, describe.
// ---------------------------------------------------------------------------------------------
function refused(name) {
  return function () {
    throw new Error(`child_process.${name} refused by pm2-reading sandbox`);
  };
}
const CP_FUNCS = ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'];
const cpStub = {};
for (const f of CP_FUNCS) cpStub[f] = refused(f);
const dotenvStub = {
  config() { return { parsed: {} }; },
  configDotenv() { return { parsed: {} }; },
  parse() { return {}; },
  populate() {},
  decrypt() { return ''; },
};
dotenvStub.default = dotenvStub;

const ESM_STUBS = {
  child_process:
    CP_FUNCS.map((f) => `export function ${f}() { throw new Error('child_process.${f} refused by pm2-reading sandbox'); }`).join('\n') +
    `\nexport default { ${CP_FUNCS.join(', ')} };\n`,
  dotenv:
    'export function config() { return { parsed: {} }; }\n' +
    'export function configDotenv() { return { parsed: {} }; }\n' +
    'export function parse() { return {}; }\n' +
    'export function populate() {}\n' +
    'export default { config, configDotenv, parse, populate };\n',
  'dotenv/config': 'export {};\n',
};

// ESM hooks (module.register): resolve the stubbed specifiers to data: modules.
const HOOKS = `
const STUBS = ${JSON.stringify(ESM_STUBS)};
function stubFor(spec) {
  if (spec === 'child_process' || spec === 'node:child_process') return STUBS.child_process;
  if (spec === 'dotenv') return STUBS.dotenv;
  if (spec === 'dotenv/config' || spec === 'dotenv/config.js') return STUBS['dotenv/config'];
  return null;
}
export async function resolve(spec, context, next) {
  const src = stubFor(spec);
  if (src !== null) {
    return { url: 'data:text/javascript,' + encodeURIComponent(src), format: 'module', shortCircuit: true };
  }
  return next(spec, context);
}
`;

function installStubs() {
  const Module = require('module');
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const r = request.startsWith('node:') ? request.slice(5) : request;
    if (r === 'child_process') return cpStub;
    if (r === 'dotenv') return dotenvStub;
    if (r === 'dotenv/config' || r === 'dotenv/config.js') return {};
    return load.apply(this, arguments);
  };
  if (typeof Module.register === 'function') {
    Module.register('data:text/javascript,' + encodeURIComponent(HOOKS));
  }
  // A config file that exits would hide its result.
  process.exit = function (code) {
    throw new Error(`process.exit(${code}) called by the file`);
  };
}

function describe(value, seen = new Set()) {
  // JSON-safe copy: undefined → omitted by the caller, functions etc. → a marker.
  if (value === null) return null;
  const t = typeof value;
  if (t === 'string' || t === 'boolean') return value;
  if (t === 'number') return Number.isFinite(value) ? value : { $nonfinite: String(value) };
  if (t === 'undefined') return { $undefined: true };
  if (t === 'bigint') return { $bigint: String(value) };
  if (t === 'function' || t === 'symbol') return { ['$' + t]: true };
  if (seen.has(value)) return { $cycle: true };
  seen.add(value);
  let out;
  if (Array.isArray(value)) out = value.map((v) => describe(v, seen));
  else {
    out = {};
    for (const k of Object.keys(value)) out[k] = describe(value[k], seen);
  }
  seen.delete(value);
  return out;
}

function isNumeric(v) {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return v.trim() !== '' && Number.isFinite(Number(v));
  return false;
}

function portFields(app) {
  const found = [];
  const seen = new Set();
  (function walk(v, trail, matched) {
    if (v === null || typeof v !== 'object') {
      if (matched && isNumeric(v)) found.push({ path: trail.join('.'), value: v });
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
    for (const k of keys) {
      let child;
      try { child = v[k]; } catch (e) { continue; }
      walk(child, trail.concat(k), matched || /port/i.test(k));
    }
    seen.delete(v);
  })(app, [], false);
  return found;
}

function renderName(app) {
  // PM2's Common.verifyConfs: cmd / command alias script, then renderApplicationName.
  let script = app.script;
  if (!script && app.cmd) script = app.cmd;
  if (!script && app.command) script = app.command;
  let name = app.name;
  if (!name && script) {
    name = path.basename(String(script));
    const lastDot = name.lastIndexOf('.');
    if (lastDot > 0) name = name.slice(0, lastDot);
  }
  return { name: name === undefined ? null : name, script: script === undefined ? null : script };
}

function appsOf(exported) {
  if (exported === null || exported === undefined) return { kind: String(exported), apps: [] };
  if (typeof exported !== 'object' && typeof exported !== 'function') return { kind: typeof exported, apps: [] };
  if (exported.apps) {
    const a = exported.apps;
    return { kind: 'apps', apps: Array.isArray(a) ? a : [a] };
  }
  if (exported.pm2) {
    const a = exported.pm2;
    return { kind: 'pm2', apps: Array.isArray(a) ? a : [a] };
  }
  if (Array.isArray(exported)) return { kind: 'array', apps: exported };
  if (exported.script || exported.cmd || exported.command) return { kind: 'single', apps: [exported] };
  return { kind: 'no-apps', apps: [] };
}

// The format PM2 reads a file in, by its substring test on the name.
function formatOf(file) {
  const name = path.basename(file);
  if (name.includes('.json')) return 'json';
  if (name.includes('.yml') || name.includes('.yaml')) return 'yaml';
  return 'js';
}

// PM2's own validation of the apps (Common.verifyConfs, on a copy): null when PM2 accepts them.
function pm2Validation(Common, apps) {
  if (!Common || apps.length === 0) return undefined;
  let copy;
  try {
    copy = JSON.parse(JSON.stringify(apps.filter((a) => a !== null && typeof a === 'object')));
  } catch (e) {
    return `could not copy the apps: ${e.message}`;
  }
  const log = console.log;
  const warn = console.warn;
  const error = console.error;
  console.log = console.warn = console.error = () => {};
  try {
    const r = Common.verifyConfs(copy);
    if (r instanceof Error) return String(r.message);
    // PM2's prepareAppConf aborts an app without a script when it starts it.
    const scriptless = r.filter((app) => !app.script).length;
    return scriptless > 0 ? `${scriptless} app(s) without a script: PM2 aborts them (No script path)` : null;
  } catch (e) {
    return `verifyConfs threw: ${String((e && e.message) || e)}`;
  } finally {
    console.log = log;
    console.warn = warn;
    console.error = error;
  }
}

function report(exported, Common) {
  const { kind, apps: found } = appsOf(exported);
  const apps = found.slice();
  // `static` entries are apps PM2 starts beside the others.
  const statics = exported && typeof exported === 'object' && Array.isArray(exported.static) ? exported.static : [];
  const validation = pm2Validation(Common, apps);
  for (const serve of statics) {
    if (serve === null || typeof serve !== 'object') continue;
    apps.push({
      name: serve.name ? serve.name : `static-page-server-${serve.port}`,
      script: 'Serve.js',
      env: { PM2_SERVE_PORT: serve.port },
    });
  }
  const out = [];
  for (const app of apps) {
    if (app === null || typeof app !== 'object') {
      out.push({ name: null, script: null, invalid: typeof app });
      continue;
    }
    const { name, script } = renderName(app);
    const env = {};
    const envUndefined = [];
    if (app.env && typeof app.env === 'object') {
      for (const k of Object.keys(app.env)) {
        if (app.env[k] === undefined) envUndefined.push(k);
        else env[k] = describe(app.env[k]);
      }
    }
    // PM2's prepareAppConf: `port` becomes the env's PORT.
    const portApplied = Boolean(app.port);
    if (portApplied) {
      env.PORT = describe(app.port);
      const at = envUndefined.indexOf('PORT');
      if (at >= 0) envUndefined.splice(at, 1);
    }
    out.push({
      name: describe(name),
      script: describe(script),
      args: app.args === undefined ? null : describe(app.args),
      instances: app.instances === undefined ? null : describe(app.instances),
      env,
      env_undefined: envUndefined,
      env_keys: Object.keys(app).filter((k) => k.startsWith('env_')),
      port_applied: portApplied,
      port_fields: portFields(app).map((f) => ({ path: f.path, value: f.value })),
    });
  }
  const result = { loadable: true, export_kind: kind, apps: out };
  if (validation !== undefined) {
    result.pm2_valid = validation === null;
    if (validation !== null) result.pm2_error = validation;
  }
  return result;
}

async function inner(copy, modules) {
  installStubs();
  let Common = null;
  if (modules) {
    try {
      Common = require(path.join(modules, 'pm2', 'lib', 'Common.js'));
    } catch (e) {
      return fail(`cannot load PM2 from ${modules}: ${e.message}`);
    }
  }
  let exported;
  const format = formatOf(copy);
  try {
    if (format !== 'js' || (Common && copy.endsWith('.mjs'))) {
      if (!Common) return fail(`a ${format} file needs PM2 (--pm2 NODE_MODULES) to be read as PM2 reads it`);
      // PM2's own loading, from the file's bytes, as `pm2 start FILE` does it (an `.mjs` through require(),
      // which gives the module's namespace: its named export `apps`, not its default export).
      exported = Common.parseConfig(fs.readFileSync(copy), path.basename(copy));
    } else if (copy.endsWith('.mjs')) {
      const ns = await import(require('url').pathToFileURL(copy).href);
      exported = ns.default !== undefined ? ns.default : ns;
    } else {
      exported = require(copy);
    }
    // A thenable export: PM2 does not await it (its `apps` is undefined there).
  } catch (e) {
    return fail(`${(e && e.code) || (e && e.name) || 'Error'}: ${String((e && e.message) || e).split('\n')[0]}`);
  }
  let result;
  try {
    result = report(exported, Common);
  } catch (e) {
    return fail(`reading the export threw: ${String((e && e.message) || e)}`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (process.argv[2] === '--inner') {
  inner(process.argv[3], process.argv[4]).then(
    () => process.stdout.write('', () => process.reallyExit(0)),
    (e) => { fail(e); process.reallyExit(0); },
  );
} else if (process.argv.length >= 3 && !process.argv[2].startsWith('--')) {
  const extras = [];
  const cached = path.join(os.homedir(), '.cache', 'portos-lsp', 'realfiles', 'node_modules');
  let modules = fs.existsSync(path.join(cached, 'pm2')) ? cached : '';
  const rest = process.argv.slice(3);
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--extra' && i + 1 < rest.length) extras.push(rest[++i]);
    else if (rest[i].startsWith('--extra=')) extras.push(rest[i].slice(8));
    else if (rest[i] === '--pm2' && i + 1 < rest.length) modules = path.resolve(rest[++i]);
    else {
      process.stderr.write(`unknown argument ${rest[i]}\n`);
      process.exit(2);
    }
  }
  outer(process.argv[2], extras, modules);
} else {
  process.stderr.write('usage: node pm2-reading.cjs FILE [--extra REL=SRC]... [--pm2 NODE_MODULES]\n');
  process.exitCode = 2;
}
