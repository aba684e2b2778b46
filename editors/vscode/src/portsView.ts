// The "PortOS ports" view in the Explorer: the workspace's port map from the server's
// `portos/workspacePorts` request (spec §10): the ranges, each app's block with its processes and ports,
// the free runs of the user range, and the conflicts between apps. A click on a port opens its definition.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

/** The request's answer, as spec §10 gives it. */
export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}
export interface WorkspacePorts {
  /** The guide preset in force (`v2`, `v1`, `portos-2026-08`); older servers send none. */
  guide?: string;
  ranges: { core: [number, number]; reserved: [number, number]; user: [number, number] };
  apps: {
    name: string;
    dir: string;
    uri: string;
    block: [number, number] | null;
    contiguous: boolean;
    processes: { name: string; ports: { label: string; port: number; uri: string; range: LspRange }[] }[];
  }[];
  free: [number, number][];
  conflicts: { port: number; uses: { app: string; process: string; uri: string; range: LspRange }[] }[];
}

export const WORKSPACE_PORTS = 'portos/workspacePorts';

/** One row of the view. */
export interface PortsNode {
  kind: 'message' | 'ranges' | 'range' | 'app' | 'process' | 'port' | 'free' | 'freeRun' | 'conflicts' | 'conflict' | 'use';
  label: string;
  description?: string;
  tooltip?: string;
  icon?: vscode.ThemeIcon;
  /** Opens this location when clicked. */
  location?: { uri: string; range: LspRange };
  children?: PortsNode[];
  parent?: PortsNode;
  /** Marked: in a conflict, or an app block with gaps. */
  marked?: boolean;
  expanded?: boolean;
  /** Unique among all rows, stable across refreshes while the row stays. */
  id?: string;
}

function span([first, last]: [number, number]): string {
  return first === last ? `${first}` : `${first}–${last}`;
}

function count([first, last]: [number, number]): number {
  return last - first + 1;
}

const warn = () => new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));

/** Builds the rows from the request's answer (pure; exported for tests). */
export function buildTree(map: WorkspacePorts, relative: (uri: string) => string): PortsNode[] {
  const conflictUses = new Map<number, { app: string; process: string }[]>();
  for (const conflict of map.conflicts ?? []) {
    conflictUses.set(conflict.port, conflict.uses.map((u) => ({ app: u.app, process: u.process })));
  }
  const roots: PortsNode[] = [];

  const ranges: PortsNode = {
    kind: 'ranges',
    label: 'Ranges',
    description: map.guide ? `guide ${map.guide}` : undefined,
    icon: new vscode.ThemeIcon('symbol-ruler'),
    children: [
      { kind: 'range', label: `core ${span(map.ranges.core)}`, description: 'PortOS' },
      { kind: 'range', label: `reserved ${span(map.ranges.reserved)}`, description: 'PortOS extensions' },
      {
        kind: 'range',
        label: `user ${span(map.ranges.user)}`,
        description: `apps · ${(map.free ?? []).reduce((n, run) => n + count(run), 0)} free`,
      },
    ],
  };
  roots.push(ranges);

  for (const app of map.apps ?? []) {
    const ports = app.processes.flatMap((p) => p.ports);
    const inConflict = ports.some((p) => conflictUses.has(p.port));
    const block = app.block ? span(app.block) : 'no port in its range';
    const notes = [!app.contiguous && app.block ? 'gaps' : undefined, inConflict ? 'conflict' : undefined].filter(
      Boolean,
    );
    const appNode: PortsNode = {
      kind: 'app',
      label: app.name,
      description: [block, ...notes].join(' · '),
      tooltip: `${app.name} (${relative(app.uri)})\nblock ${block}${app.contiguous ? ', contiguous' : app.block ? ', with gaps' : ''}`,
      icon: !app.contiguous || inConflict ? warn() : new vscode.ThemeIcon('package'),
      location: { uri: app.uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } },
      marked: !app.contiguous || inConflict,
      // Open what needs a look; an app whose block is fine stays folded.
      expanded: !app.contiguous || inConflict,
      children: [],
    };
    for (const process of app.processes) {
      const processNode: PortsNode = {
        kind: 'process',
        label: process.name,
        description: process.ports.map((p) => `${p.port}`).join(', '),
        icon: new vscode.ThemeIcon('server-process'),
        parent: appNode,
        expanded: process.ports.some((p) => conflictUses.has(p.port)),
        children: [],
      };
      for (const port of process.ports) {
        const others = (conflictUses.get(port.port) ?? []).filter(
          (u) => !(u.app === app.name && u.process === process.name),
        );
        const marked = others.length > 0;
        processNode.children!.push({
          kind: 'port',
          label: `${port.port}`,
          description: marked ? `${port.label} · conflict` : port.label,
          tooltip: marked
            ? `${port.port} (${port.label}) is also used by ${others.map((u) => `${u.process} of ${u.app}`).join(', ')}`
            : `${port.port} (${port.label}) of ${process.name}: ${relative(port.uri)}:${port.range.start.line + 1}`,
          icon: marked ? warn() : new vscode.ThemeIcon('symbol-number'),
          location: { uri: port.uri, range: port.range },
          marked,
          parent: processNode,
        });
      }
      appNode.children!.push(processNode);
    }
    roots.push(appNode);
  }

  const free: PortsNode = {
    kind: 'free',
    label: `Free in the user range ${span(map.ranges.user)}`,
    icon: new vscode.ThemeIcon('circle-large-outline'),
    expanded: true,
    children: (map.free ?? []).map((run) => ({
      kind: 'freeRun',
      label: span(run),
      description: count(run) === 1 ? '1 port' : `${count(run)} ports`,
    })),
  };
  if (free.children!.length === 0) {
    free.children!.push({ kind: 'message', label: 'none: every port of the user range is taken' });
  }
  roots.push(free);

  if ((map.conflicts ?? []).length > 0) {
    const conflicts: PortsNode = {
      kind: 'conflicts',
      label: `Conflicts (${map.conflicts.length})`,
      icon: warn(),
      expanded: true,
      marked: true,
      children: map.conflicts.map((conflict) => {
        const node: PortsNode = {
          kind: 'conflict',
          label: `${conflict.port}`,
          description: [...new Set(conflict.uses.map((u) => u.app))].join(' · '),
          icon: warn(),
          marked: true,
          expanded: true,
          children: [],
        };
        node.children = conflict.uses.map((use) => ({
          kind: 'use',
          label: `${use.app} / ${use.process}`,
          description: `${relative(use.uri)}:${use.range.start.line + 1}`,
          location: { uri: use.uri, range: use.range },
          icon: new vscode.ThemeIcon('go-to-file'),
          parent: node,
        }));
        return node;
      }),
    };
    roots.push(conflicts);
  }

  const ids = new Set<string>();
  const setParents = (nodes: PortsNode[], parent?: PortsNode) => {
    for (const node of nodes) {
      node.parent = parent;
      const base = `${parent?.id ?? ''}/${node.kind}:${node.label}`;
      let id = base;
      for (let n = 2; ids.has(id); n++) {
        id = `${base}#${n}`;
      }
      ids.add(id);
      node.id = id;
      if (node.children) {
        setParents(node.children, node);
      }
    }
  };
  setParents(roots);
  return roots;
}

/** A plain copy of the rows, for the extension's tests. */
export interface PortsSnapshot {
  kind: PortsNode['kind'];
  label: string;
  description?: string;
  marked?: boolean;
  location?: { uri: string; line: number };
  children?: PortsSnapshot[];
}

function snapshotOf(node: PortsNode): PortsSnapshot {
  return {
    kind: node.kind,
    label: node.label,
    description: node.description,
    marked: node.marked,
    location: node.location ? { uri: node.location.uri, line: node.location.range.start.line } : undefined,
    children: node.children?.map(snapshotOf),
  };
}

export class PortsView implements vscode.TreeDataProvider<PortsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PortsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private client: LanguageClient | undefined;
  private roots: PortsNode[] = [];
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];
  readonly view: vscode.TreeView<PortsNode>;

  constructor(private readonly log: (line: string) => void) {
    this.view = vscode.window.createTreeView('portos.ports', { treeDataProvider: this, showCollapseAll: true });
    this.disposables.push(
      this.view,
      this.changed,
      // The server republishes diagnostics after every change that can move a port.
      vscode.languages.onDidChangeDiagnostics(() => this.scheduleRefresh()),
    );
  }

  /** The client to ask; undefined while the server is not running (the view then shows its welcome text). */
  setClient(client: LanguageClient | undefined): void {
    this.client = client;
    if (client === undefined) {
      this.generation++;
      this.roots = [];
      this.changed.fire(undefined);
    } else {
      void this.refresh();
    }
  }

  scheduleRefresh(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, 300);
  }

  /** Asks the server again and redraws; resolves once the rows are replaced. */
  async refresh(): Promise<void> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      this.generation++;
      this.roots = [];
      this.changed.fire(undefined);
      return;
    }
    // Answers may come back out of order: only the latest request's answer is shown.
    const generation = ++this.generation;
    const load = (async () => {
      let roots: PortsNode[];
      try {
        const map = await client.sendRequest<WorkspacePorts>(WORKSPACE_PORTS, {});
        roots = buildTree(map, (uri) => vscode.workspace.asRelativePath(vscode.Uri.parse(uri), false));
      } catch (e: any) {
        const missing = e?.code === -32601;
        const message = missing
          ? 'This portos-lsp does not answer portos/workspacePorts: update it to see the port map'
          : `The port map could not be read: ${e?.message ?? e}`;
        if (generation === this.generation) {
          this.log(`[client] ${message}`);
        }
        roots = [{ kind: 'message', label: message, icon: warn() }];
      }
      if (generation === this.generation) {
        this.roots = roots;
        this.changed.fire(undefined);
      }
    })();
    this.loading = load;
    await load;
  }

  /** Waits for a refresh in flight. */
  async settled(): Promise<void> {
    while (this.timer || this.loading) {
      if (this.timer) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const current = this.loading;
      await current;
      if (this.loading === current) {
        this.loading = undefined;
      }
    }
  }

  treeItem(labels: string[]): vscode.TreeItem | undefined {
    let nodes = this.roots;
    let node: PortsNode | undefined;
    for (const label of labels) {
      node = nodes.find((n) => n.label === label);
      if (!node) {
        return undefined;
      }
      nodes = node.children ?? [];
    }
    return node ? this.getTreeItem(node) : undefined;
  }

  snapshot(): PortsSnapshot[] {
    return this.roots.map(snapshotOf);
  }

  getTreeItem(node: PortsNode): vscode.TreeItem {
    const state = node.children?.length
      ? node.expanded
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(node.label, state);
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = node.icon;
    item.contextValue = node.kind;
    item.id = node.id;
    if (node.location) {
      const uri = vscode.Uri.parse(node.location.uri);
      const { start, end } = node.location.range;
      item.command = {
        command: 'vscode.open',
        title: 'Open the definition',
        arguments: [
          uri,
          {
            selection: new vscode.Range(start.line, start.character, end.line, end.character),
            preview: true,
          } satisfies vscode.TextDocumentShowOptions,
        ],
      };
    }
    return item;
  }

  getChildren(node?: PortsNode): PortsNode[] {
    return node ? (node.children ?? []) : this.roots;
  }

  getParent(node: PortsNode): PortsNode | undefined {
    return node.parent;
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
