// The `portos.*` settings the server gets: only values the user set explicitly (every declared default is
// null), nested the way docs/configuration.md names them (`ranges.user` → {ranges: {user: …}}).
import * as vscode from 'vscode';

/** Keys only this extension reads; never sent to the server. */
const CLIENT_ONLY = ['server.', 'trace.'];

/** Keys an untrusted workspace may not set (package.json `restrictedConfigurations`). */
const RESTRICTED = ['server.path', 'server.extraArgs', 'tokenEnv', 'passwordEnv'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `portos.*` keys declared in package.json, without the `portos.` prefix. */
export function declaredKeys(packageJSON: any): string[] {
  const properties = packageJSON?.contributes?.configuration?.properties ?? {};
  return Object.keys(properties)
    .filter((k) => k.startsWith('portos.'))
    .map((k) => k.slice('portos.'.length));
}

/**
 * The value the user set for `portos.KEY` in the scope, or undefined when none was set (null counts as not
 * set). Objects (`rules`, `commonPorts`, …) merge user → workspace → folder, as VS Code shows them; any other
 * value is the most specific one.
 */
function explicitValue(key: string, scope: vscode.ConfigurationScope | undefined): Json | undefined {
  const inspected = vscode.workspace.getConfiguration('portos', scope).inspect<Json>(key);
  if (!inspected) {
    return undefined;
  }
  const trusted = vscode.workspace.isTrusted || !RESTRICTED.includes(key);
  const layers: unknown[] = [inspected.globalValue];
  if (trusted) {
    layers.push(inspected.workspaceValue, inspected.workspaceFolderValue);
  }
  const set = layers.filter((v) => v !== undefined && v !== null) as Json[];
  if (set.length === 0) {
    return undefined;
  }
  if (set.every(isPlainObject)) {
    return Object.assign({}, ...set);
  }
  return set[set.length - 1];
}

/** The explicitly set server settings for a scope, as one nested object (`{}` when nothing is set). */
export function explicitSettings(keys: string[], scope?: vscode.ConfigurationScope): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const key of keys) {
    if (CLIENT_ONLY.some((prefix) => key.startsWith(prefix))) {
      continue;
    }
    const value = explicitValue(key, scope);
    if (value === undefined) {
      continue;
    }
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) {
        node[part] = {};
      }
      node = node[part] as { [key: string]: Json };
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/** `portos.server.extraArgs`, honouring workspace trust. */
export function extraArgs(): string[] {
  const value = explicitValue('server.extraArgs', undefined);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
