// Which documents are ours: the ecosystem file names of spec §1 and §11 (JavaScript, and PM2's JSON, JSON5 and
// YAML files), the extra globs of `portos.files` and of the workspace's project files (`files` /
// `ranges.files` in portos-lsp.toml), and the project files themselves (the server reports their errors
// while they are open).
import { parse as parseToml } from 'smol-toml';
import * as vscode from 'vscode';
import type { DocumentSelector } from 'vscode-languageclient/node';

export const ECOSYSTEM_GLOBS = [
  '**/ecosystem.config.{js,cjs,mjs}',
  '**/ecosystem.*.config.{js,cjs,mjs}',
  '**/pm2.config.{js,cjs,mjs}',
];
/** PM2's JSON and YAML ecosystem files: names starting with `ecosystem` or `pm2`, and process(es).json. */
export const DATA_GLOBS = ['**/{ecosystem,pm2}*.{json,json5,yml,yaml}', '**/{process,processes}.json'];
/** The languages VS Code gives those files (JSON5 has none built in: matched by name alone). */
export const DATA_LANGUAGES = ['json', 'jsonc', 'yaml'];
export const PROJECT_FILE_GLOB = '**/{portos-lsp,.portos-lsp}.toml';
const EXCLUDE = '**/node_modules/**';

/** An extra glob, relative to `base` when it contains `/` (the workspace folder), else a file name anywhere. */
export interface ExtraGlob {
  glob: string;
  base: vscode.Uri;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** `files` and `ranges.files` of one project file; nothing when it does not parse (the server says why). */
export function globsOfProjectFile(text: string): string[] {
  try {
    const doc = parseToml(text) as Record<string, any>;
    return [...asStrings(doc.files), ...asStrings(doc.ranges?.files)];
  } catch {
    return [];
  }
}

/** Every extra glob in force: `portos.files` per workspace folder and the project files' `files`. */
export async function extraGlobs(): Promise<ExtraGlob[]> {
  const out: ExtraGlob[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const value = vscode.workspace.getConfiguration('portos', folder).get<unknown>('files');
    for (const glob of asStrings(value)) {
      out.push({ glob, base: folder.uri });
    }
  }
  const projectFiles = await vscode.workspace.findFiles(PROJECT_FILE_GLOB, EXCLUDE);
  for (const uri of projectFiles) {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) {
      continue;
    }
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      for (const glob of globsOfProjectFile(text)) {
        out.push({ glob, base: folder.uri });
      }
    } catch {
      // unreadable: the server reports it
    }
  }
  const seen = new Set<string>();
  return out.filter((g) => {
    const key = `${g.base.toString()}\n${g.glob}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

// The glob as a pattern for any directory (a bare name) or relative to its workspace folder (a path).
function patternOf(extra: ExtraGlob): string | vscode.RelativePattern {
  const glob = extra.glob.replace(/^\.\//, '');
  return glob.includes('/') ? new vscode.RelativePattern(extra.base, glob) : `**/${glob}`;
}

/** The language client's document selector for these extra globs. */
/** The filters of the fixed names: JavaScript ones as `javascript`, the data files in each data language and,
 * for JSON5 (no language of its own), by name alone. */
function nameFilters(): { language?: string; pattern: string }[] {
  const filters: { language?: string; pattern: string }[] = ECOSYSTEM_GLOBS.map((pattern) => ({
    language: 'javascript',
    pattern,
  }));
  for (const pattern of DATA_GLOBS) {
    for (const language of DATA_LANGUAGES) {
      filters.push({ language, pattern });
    }
  }
  filters.push({ pattern: '**/{ecosystem,pm2}*.json5' });
  return filters;
}

export function documentSelector(extras: ExtraGlob[]): DocumentSelector {
  const selector: DocumentSelector = nameFilters().map((f) => ({ scheme: 'file', ...f }));
  // An extra glob names the files it wants, whatever their language (a `deploy/*.yml`).
  for (const extra of extras) {
    const pattern = patternOf(extra);
    selector.push({
      scheme: 'file',
      pattern:
        typeof pattern === 'string' ? pattern : { baseUri: extra.base.toString(), pattern: pattern.pattern },
    });
  }
  selector.push({ scheme: 'file', pattern: PROJECT_FILE_GLOB });
  return selector;
}

/** The same selector for `vscode.languages.match`. */
export function vscodeSelector(extras: ExtraGlob[]): vscode.DocumentFilter[] {
  const filters: vscode.DocumentFilter[] = nameFilters().map((f) => ({ scheme: 'file', ...f }));
  for (const extra of extras) {
    filters.push({ scheme: 'file', pattern: patternOf(extra) });
  }
  filters.push({ scheme: 'file', pattern: PROJECT_FILE_GLOB });
  return filters;
}

/** Whether the workspace holds an ecosystem file (or a project file) anywhere. */
export async function workspaceHasEcosystemFiles(extras: ExtraGlob[]): Promise<boolean> {
  const patterns: vscode.GlobPattern[] = [
    ...ECOSYSTEM_GLOBS,
    ...DATA_GLOBS,
    PROJECT_FILE_GLOB,
    ...extras.map(patternOf),
  ];
  const found = await Promise.all(patterns.map((p) => vscode.workspace.findFiles(p, EXCLUDE, 1)));
  return found.some((uris) => uris.length > 0);
}

/** A key that changes exactly when the selector does. */
export function selectorKey(extras: ExtraGlob[]): string {
  return extras
    .map((e) => `${e.base.toString()}\n${e.glob}`)
    .sort()
    .join('\n\n');
}
