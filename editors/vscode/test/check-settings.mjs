// The extension's settings follow the one table of names in docs/configuration.md: every editor name there
// is a `portos.*` setting in package.json, with a null default (so that only what the user sets reaches the
// server), and package.json declares nothing else but the client-only keys. Also: `portos.rules` lists every
// rule code `portos-lsp explain` knows.
//
//   node check-settings.mjs docs/configuration.md editors/vscode/package.json [portos-lsp]
//
// Prints one `ok - …` / `FAIL - …` line per check.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [docsPath, packagePath, binary] = process.argv.slice(2);
const docs = readFileSync(docsPath, 'utf8');
const pkg = JSON.parse(readFileSync(packagePath, 'utf8'));
const properties = pkg.contributes.configuration.properties;
const CLIENT_ONLY = ['server.path', 'server.extraArgs', 'trace.server'];

let failed = 0;
const check = (ok, name, detail = '') => {
  if (ok) {
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail ? `: ${detail}` : ''}`);
  }
};

// The "## Keys" table: | TOML | editor (`portos.…`) | type | default | meaning |
const section = docs.split(/^## /m).find((s) => s.startsWith('Keys'));
const names = [];
for (const line of (section ?? '').split('\n')) {
  const cells = line.split('|').map((c) => c.trim());
  if (cells.length < 4 || !cells[2].startsWith('`')) {
    continue;
  }
  // `maxFileBytes` (or `limits.maxFileBytes`): the first spelling is the declared setting.
  const name = cells[2].replace(/`/g, '').replace(/\s*\(or [^)]*\)$/, '');
  if (name.includes('<')) {
    names.push(name.split('.')[0]); // rules.<code> is the rules object
  } else {
    names.push(name);
  }
}
check(names.length > 10, 'docs/configuration.md has its table of keys', `found ${names.length}`);

const declared = Object.keys(properties).map((k) => k.replace(/^portos\./, ''));
const missing = names.filter((n) => !declared.includes(n));
check(missing.length === 0, 'every editor name of docs/configuration.md is a portos.* setting', missing.join(', '));
const extra = declared.filter((n) => !names.includes(n) && !CLIENT_ONLY.includes(n));
check(extra.length === 0, 'package.json declares no setting the docs do not name (but server.*, trace.*)', extra.join(', '));
const nonNull = names.filter((n) => properties[`portos.${n}`] && properties[`portos.${n}`].default !== null);
check(nonNull.length === 0, "the server's settings default to null (unset)", nonNull.join(', '));
check(
  properties['portos.server.path']?.scope === 'machine-overridable' &&
    pkg.capabilities?.untrustedWorkspaces?.restrictedConfigurations?.includes('portos.server.path'),
  'portos.server.path is machine-overridable and restricted in untrusted workspaces',
);

if (binary) {
  const codes = execFileSync(binary, ['explain'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(/\s+/)[0])
    .filter(Boolean);
  const listed = Object.keys(properties['portos.rules'].properties ?? {});
  const notListed = codes.filter((c) => !listed.includes(c));
  const unknown = listed.filter((c) => !codes.includes(c));
  check(
    codes.length > 0 && notListed.length === 0 && unknown.length === 0,
    'portos.rules lists exactly the rule codes of `portos-lsp explain`',
    [...notListed.map((c) => `missing ${c}`), ...unknown.map((c) => `unknown ${c}`)].join(', '),
  );
}
process.exitCode = failed ? 1 : 0;
