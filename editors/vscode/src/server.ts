// Finding the portos-lsp binary: PORTOS_LSP_PATH → portos.server.path → the bundled server/portos-lsp →
// portos-lsp on PATH → an error that says how to fix it.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export type ServerSource = 'PORTOS_LSP_PATH' | 'portos.server.path' | 'bundled' | 'PATH';

export interface FoundServer {
  /** Absolute path of the binary. */
  path: string;
  /** Where the path came from. */
  source: ServerSource;
  /** What `portos-lsp --version` printed, e.g. `portos-lsp 0.1.0`. */
  version: string;
}

/** The server could not be found or does not work; `message` says how to fix it. */
export class ServerError extends Error {}

const BINARY = process.platform === 'win32' ? 'portos-lsp.exe' : 'portos-lsp';

export const NOT_FOUND_MESSAGE =
  'portos-lsp was not found. Install it with `cargo install --path .` in a portos-lsp checkout (it goes to ' +
  '~/.cargo/bin, which must be on the PATH VS Code was started with), or set "portos.server.path" to the ' +
  'binary, or the PORTOS_LSP_PATH environment variable; the .vsix built for your platform bundles the binary.';

/** `~` and `~/…` to the home directory; a relative path to the first workspace folder. */
export function expandPath(value: string): string {
  let p = value.trim();
  if (p === '~') {
    p = os.homedir();
  } else if (p.startsWith('~/') || p.startsWith('~\\')) {
    p = path.join(os.homedir(), p.slice(2));
  }
  if (!path.isAbsolute(p)) {
    const folder = vscode.workspace.workspaceFolders?.[0];
    p = folder ? path.join(folder.uri.fsPath, p) : path.resolve(p);
  }
  return p;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) {
      return false;
    }
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `portos.server.path` as VS Code resolves it: in an untrusted workspace only the user's value counts. */
function settingPath(): string | undefined {
  const config = vscode.workspace.getConfiguration('portos');
  const inspected = config.inspect<string | null>('server.path');
  const value = vscode.workspace.isTrusted
    ? config.get<string | null>('server.path')
    : inspected?.globalValue;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, BINARY);
    if (isExecutableFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Where the binary is, in the documented order, without running it. */
export function locateServer(extensionPath: string): { path: string; source: ServerSource } {
  const fromEnv = process.env.PORTOS_LSP_PATH;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const p = expandPath(fromEnv);
    if (!isExecutableFile(p)) {
      throw new ServerError(
        `PORTOS_LSP_PATH is set to "${fromEnv}", which is not an executable file. Point it at a portos-lsp ` +
          'binary, or unset it to use "portos.server.path", the bundled binary or portos-lsp on PATH.',
      );
    }
    return { path: p, source: 'PORTOS_LSP_PATH' };
  }
  const fromSetting = settingPath();
  if (fromSetting !== undefined) {
    const p = expandPath(fromSetting);
    if (!isExecutableFile(p)) {
      throw new ServerError(
        `"portos.server.path" is set to "${fromSetting}"${p !== fromSetting ? ` (${p})` : ''}, which is not an ` +
          'executable file. Point it at a portos-lsp binary, or remove the setting to use the bundled binary or ' +
          'portos-lsp on PATH.',
      );
    }
    return { path: p, source: 'portos.server.path' };
  }
  const bundled = path.join(extensionPath, 'server', BINARY);
  if (fs.existsSync(bundled)) {
    if (!isExecutableFile(bundled)) {
      // Some unzip paths drop the executable bit.
      try {
        fs.chmodSync(bundled, 0o755);
      } catch {
        // reported below if it still cannot run
      }
    }
    if (isExecutableFile(bundled)) {
      return { path: bundled, source: 'bundled' };
    }
  }
  const fromPath = onPath();
  if (fromPath !== undefined) {
    return { path: fromPath, source: 'PATH' };
  }
  throw new ServerError(NOT_FOUND_MESSAGE);
}

/** Runs `BINARY --version` and returns what it printed. */
export function serverVersion(binary: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (error, stdout, stderr) => {
      const out = `${stdout}`.trim();
      if (error) {
        reject(
          new ServerError(
            `${binary} --version failed (${error.message.trim()}${stderr ? `: ${`${stderr}`.trim()}` : ''}); ` +
              'is it a portos-lsp binary built for this machine?',
          ),
        );
      } else if (!out.startsWith('portos-lsp')) {
        reject(new ServerError(`${binary} --version printed "${out}", not "portos-lsp …": is it portos-lsp?`));
      } else {
        resolve(out.split('\n')[0]);
      }
    });
  });
}

const SOURCE_TEXT: Record<ServerSource, string> = {
  PORTOS_LSP_PATH: 'the PORTOS_LSP_PATH environment variable',
  'portos.server.path': 'the "portos.server.path" setting',
  bundled: 'the binary bundled with the extension',
  PATH: 'portos-lsp on PATH',
};

export function describeSource(source: ServerSource): string {
  return SOURCE_TEXT[source];
}

export async function findServer(extensionPath: string): Promise<FoundServer> {
  const located = locateServer(extensionPath);
  const version = await serverVersion(located.path);
  return { ...located, version };
}
