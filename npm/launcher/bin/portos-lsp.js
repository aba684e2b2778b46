#!/usr/bin/env node
// The `portos-lsp` command of the npm package: finds the binary that this platform's package
// (@portos-lsp/cli-<os>-<cpu>, an optional dependency npm installs only where its os/cpu fit) carries, and
// runs it with this process's arguments, stdio and exit code. PORTOS_LSP_BINARY names another binary
// instead. Exit code 2 (portos-lsp's "could not check") when there is no binary to run, never 1 (findings).
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TROUBLE = 2;
const platform = `${process.platform}-${process.arch}`;
const packageName = `@portos-lsp/cli-${platform}`;
const executable = process.platform === 'win32' ? 'portos-lsp.exe' : 'portos-lsp';

function fail(lines) {
  process.stderr.write(`portos-lsp: ${lines.join('\n  ')}\n`);
  process.exit(TROUBLE);
}

/** The platforms with a package: the launcher's optional dependencies. */
function knownPlatforms() {
  const manifest = require('../package.json');
  return Object.keys(manifest.optionalDependencies || {}).map((name) => name.replace('@portos-lsp/cli-', ''));
}

function binaryPath() {
  const override = process.env.PORTOS_LSP_BINARY;
  if (override) {
    if (!fs.existsSync(override)) {
      fail([`PORTOS_LSP_BINARY is set to ${override}, which does not exist.`]);
    }
    return override;
  }
  const known = knownPlatforms();
  if (!known.includes(platform)) {
    fail([
      `there is no prebuilt portos-lsp for this platform (${platform}); prebuilt: ${known.join(', ')}.`,
      'Build it with `cargo install portos-lsp --locked` and set PORTOS_LSP_BINARY to its path',
      '(for example ~/.cargo/bin/portos-lsp).',
    ]);
  }
  let manifest;
  try {
    manifest = require.resolve(`${packageName}/package.json`);
  } catch {
    fail([
      `the package ${packageName}, which carries the binary for this platform (${platform}), is not installed.`,
      'npm skips optional dependencies under --omit=optional (or --no-optional), and a lockfile written on',
      'another platform can leave it out: run `npm install` again without those, or set PORTOS_LSP_BINARY.',
    ]);
  }
  const binary = path.join(path.dirname(manifest), 'bin', executable);
  if (!fs.existsSync(binary)) {
    fail([`${packageName} is installed but has no bin/${executable}; reinstall it, or set PORTOS_LSP_BINARY.`]);
  }
  if (process.platform !== 'win32') {
    try {
      fs.accessSync(binary, fs.constants.X_OK);
    } catch {
      // Some tools unpack packages without the executable bit.
      try {
        fs.chmodSync(binary, 0o755);
      } catch {
        // spawnSync's error below names the file.
      }
    }
  }
  return binary;
}

const binary = binaryPath();
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
if (result.error) {
  fail([`cannot run ${binary}: ${result.error.message}`]);
}
if (result.signal) {
  // Die the way the binary did, so a shell or CI sees the same signal.
  process.kill(process.pid, result.signal);
  // Node ignores some signals (SIGPIPE): then the shell's convention, 128 + the signal's number.
  process.exit(128 + (os.constants.signals[result.signal] || 0));
}
process.exit(result.status === null ? TROUBLE : result.status);
