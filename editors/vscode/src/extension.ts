// portos-lsp for VS Code: starts `portos-lsp serve` for PM2 ecosystem files and shows the workspace's port
// map in the Explorer.
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  type Executable,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  State,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import {
  documentSelector,
  type ExtraGlob,
  extraGlobs,
  PROJECT_FILE_GLOB,
  selectorKey,
  vscodeSelector,
  workspaceHasEcosystemFiles,
} from './files';
import { type PortsSnapshot, PortsView } from './portsView';
import { describeSource, type FoundServer, findServer } from './server';
import { declaredKeys, explicitSettings, extraArgs } from './settings';
import { Status, type StatusState } from './status';

/** What `activate` returns: used by the extension's own tests, and by anyone scripting VS Code. */
export interface PortosApi {
  /** The binary in use, once found. */
  server(): FoundServer | undefined;
  client(): LanguageClient | undefined;
  /** Resolves once the current start has finished (the client runs, or the failure is reported). */
  ready(): Promise<void>;
  restart(): Promise<void>;
  status(): StatusState;
  /** The extension's own log lines (the `[client]` lines of the PortOS output). */
  logLines(): string[];
  /** Every `$/progress` value the server sent. */
  progressLog(): (WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd)[];
  ports: {
    refresh(): Promise<void>;
    /** Waits for a pending refresh (the view follows diagnostics). */
    settled(): Promise<void>;
    snapshot(): PortsSnapshot[];
    /** The tree item of the row reached by these labels from the top (an app, its process, a port). */
    treeItem(labels: string[]): vscode.TreeItem | undefined;
    view: vscode.TreeView<unknown>;
  };
  /** The settings the server gets now (only what the user set). */
  settings(): object;
}

class Controller implements vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('PortOS', { log: true });
  private readonly statusItem = new Status();
  private readonly ports = new PortsView((line) => this.log(line));
  private readonly keys: string[];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lines: string[] = [];
  private readonly progress: (WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd)[] = [];
  private client: LanguageClient | undefined;
  private found: FoundServer | undefined;
  private extras: ExtraGlob[] = [];
  private extrasKey = '';
  /** Start, stop and restart run one after another. */
  private queue: Promise<void> = Promise.resolve();
  /** Whether the server should run (an ecosystem file was seen). */
  private wanted = false;
  private stopping = false;
  private indexingTitle = '';

  constructor(private readonly context: vscode.ExtensionContext) {
    this.keys = declaredKeys(context.extension.packageJSON);
  }

  log(line: string): void {
    this.output.appendLine(line);
    this.lines.push(line);
    if (this.lines.length > 500) {
      this.lines.shift();
    }
  }

  async activate(): Promise<void> {
    this.disposables.push(
      this.output,
      this.statusItem,
      this.ports,
      vscode.commands.registerCommand('portos.restartServer', () => this.restart('the restart command')),
      vscode.commands.registerCommand('portos.showOutput', () => this.output.show(true)),
      vscode.commands.registerCommand('portos.ports.refresh', () => this.ports.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => this.configurationChanged(e)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.documentOpened(doc)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.checkSelector()),
    );
    const projectFiles = vscode.workspace.createFileSystemWatcher(PROJECT_FILE_GLOB);
    this.disposables.push(
      projectFiles,
      projectFiles.onDidCreate(() => this.checkSelector()),
      projectFiles.onDidChange(() => this.checkSelector()),
      projectFiles.onDidDelete(() => this.checkSelector()),
    );
    this.extras = await extraGlobs();
    this.extrasKey = selectorKey(this.extras);
    const open = vscode.workspace.textDocuments.some((doc) => this.matches(doc));
    if (open || (await workspaceHasEcosystemFiles(this.extras))) {
      void this.start();
    } else {
      this.log('[client] no ecosystem file in the workspace yet: the server starts when one is opened');
    }
  }

  private matches(doc: vscode.TextDocument): boolean {
    return vscode.languages.match(vscodeSelector(this.extras), doc) > 0;
  }

  private documentOpened(doc: vscode.TextDocument): void {
    if (!this.wanted && this.matches(doc)) {
      void this.start();
    }
  }

  /** Runs the task after the ones before; a task that throws is reported, never left unhandled. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task).catch((e: any) => this.fail(`portos-lsp: ${e?.message ?? e}`));
    this.queue = run;
    return run;
  }

  start(): Promise<void> {
    this.wanted = true;
    return this.enqueue(() => this.doStart());
  }

  restart(reason: string): Promise<void> {
    this.wanted = true;
    return this.enqueue(async () => {
      this.log(`[client] restarting the server (${reason})`);
      await this.doStop();
      await this.doStart();
    });
  }

  ready(): Promise<void> {
    return this.queue;
  }

  private async doStart(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'portos.active', true);
    this.statusItem.set({ kind: 'starting' });
    let found: FoundServer;
    try {
      found = await findServer(this.context.extensionPath);
    } catch (e: any) {
      this.found = undefined;
      this.fail(e?.message ?? `${e}`);
      return;
    }
    this.found = found;
    this.log(`[client] using ${found.path} (${describeSource(found.source)}): ${found.version}`);
    this.extras = await extraGlobs();
    this.extrasKey = selectorKey(this.extras);
    const keys = this.keys;
    const args = ['serve', ...extraArgs()];
    const serverOptions: Executable = { command: found.path, args, options: { env: process.env } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(this.extras),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: 'portos-lsp',
      markdown: { isTrusted: false, supportHtml: false },
      // Only what the user set: the project file is never overridden by a default.
      initializationOptions: () => explicitSettings(keys),
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            return params.items.map((item, i) =>
              item.section === 'portos'
                ? explicitSettings(keys, item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                : answer[i],
            );
          },
        },
        handleWorkDoneProgress: (_token, params) => this.onProgress(params),
      },
      initializationFailedHandler: (error) => {
        this.log(`[client] the server failed to initialize: ${error?.message ?? error}`);
        return false;
      },
    };
    const client = new LanguageClient('portos', 'PortOS (portos-lsp)', serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      if (this.client !== client) {
        return;
      }
      if (e.newState === State.Running) {
        this.statusItem.set({ kind: 'idle' });
        this.ports.setClient(client);
      } else if (e.newState === State.Starting) {
        this.statusItem.set({ kind: 'starting' });
      } else if (e.newState === State.Stopped && !this.stopping) {
        this.statusItem.set({ kind: 'down', reason: 'portos-lsp stopped.' });
        this.ports.setClient(undefined);
      }
    });
    this.client = client;
    this.log(`[client] starting ${found.path} ${args.join(' ')}`);
    try {
      await client.start();
    } catch (e: any) {
      this.fail(`portos-lsp did not start: ${e?.message ?? e}`);
      return;
    }
    if (this.statusItem.state.kind !== 'indexing') {
      this.statusItem.set({ kind: 'idle' });
    }
    this.ports.setClient(client);
  }

  private fail(message: string): void {
    this.log(`[client] ${message}`);
    this.statusItem.set({ kind: 'down', reason: message });
    this.ports.setClient(undefined);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'portos.server');
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
    });
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.ports.setClient(undefined);
    if (!client) {
      return;
    }
    this.stopping = true;
    try {
      if (client.isRunning()) {
        await client.stop(5000);
      }
    } catch (e: any) {
      this.log(`[client] stopping the server: ${e?.message ?? e}`);
    } finally {
      this.stopping = false;
      await client.dispose().catch(() => undefined);
    }
  }

  stop(): Promise<void> {
    this.wanted = false;
    return this.enqueue(() => this.doStop());
  }

  private onProgress(value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd): void {
    this.progress.push(value);
    switch (value.kind) {
      case 'begin':
        this.indexingTitle = value.title;
        this.statusItem.set({ kind: 'indexing', title: value.title, percentage: value.percentage, message: value.message });
        break;
      case 'report': {
        const previous = this.statusItem.state;
        this.statusItem.set({
          kind: 'indexing',
          title: this.indexingTitle,
          percentage: value.percentage ?? (previous.kind === 'indexing' ? previous.percentage : undefined),
          message: value.message,
        });
        break;
      }
      case 'end':
        this.statusItem.set({ kind: 'idle' });
        this.ports.scheduleRefresh();
        break;
    }
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('portos')) {
      return;
    }
    if (e.affectsConfiguration('portos.server')) {
      if (this.wanted) {
        void this.restart('a portos.server setting changed');
      }
      return;
    }
    if (e.affectsConfiguration('portos.files')) {
      void this.checkSelector();
    }
    const client = this.client;
    if (client?.isRunning()) {
      void client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { portos: explicitSettings(this.keys) },
      });
    }
  }

  /** The document selector is fixed per client: restart when the extra globs change. */
  private async checkSelector(): Promise<void> {
    const extras = await extraGlobs();
    const key = selectorKey(extras);
    if (key === this.extrasKey) {
      return;
    }
    this.extras = extras;
    this.extrasKey = key;
    if (this.wanted) {
      await this.restart('the ecosystem-file globs changed');
    } else if (vscode.workspace.textDocuments.some((doc) => this.matches(doc))) {
      await this.start();
    }
  }

  api(): PortosApi {
    return {
      server: () => this.found,
      client: () => this.client,
      ready: () => this.ready(),
      restart: () => this.restart('requested through the API'),
      status: () => this.statusItem.state,
      logLines: () => [...this.lines],
      progressLog: () => [...this.progress],
      settings: () => explicitSettings(this.keys),
      ports: {
        refresh: () => this.ports.refresh(),
        settled: () => this.ports.settled(),
        snapshot: () => this.ports.snapshot(),
        treeItem: (labels) => this.ports.treeItem(labels),
        view: this.ports.view as vscode.TreeView<unknown>,
      },
    };
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<PortosApi> {
  controller = new Controller(context);
  context.subscriptions.push(controller);
  await controller.activate();
  return controller.api();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
}
