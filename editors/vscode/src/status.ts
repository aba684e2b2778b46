// The status bar item: shown while the server indexes the workspace (its `$/progress`) and while the server
// is down; hidden while all is well.
import * as vscode from 'vscode';

export type StatusState =
  | { kind: 'idle' }
  | { kind: 'starting' }
  | { kind: 'indexing'; title: string; percentage?: number; message?: string }
  | { kind: 'down'; reason: string };

export class Status implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  state: StatusState = { kind: 'idle' };

  constructor() {
    this.item = vscode.window.createStatusBarItem('portos.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'PortOS';
  }

  set(state: StatusState): void {
    this.state = state;
    const item = this.item;
    switch (state.kind) {
      case 'idle':
        item.hide();
        return;
      case 'starting':
        item.text = '$(sync~spin) PortOS';
        item.tooltip = 'portos-lsp is starting';
        item.command = 'portos.showOutput';
        item.backgroundColor = undefined;
        break;
      case 'indexing': {
        const pct = state.percentage !== undefined ? ` ${state.percentage}%` : '';
        item.text = `$(sync~spin) PortOS: indexing${pct}`;
        item.tooltip = `portos-lsp: ${state.title}${state.message ? ` (${state.message})` : ''}`;
        item.command = 'portos.showOutput';
        item.backgroundColor = undefined;
        break;
      }
      case 'down':
        item.text = '$(error) PortOS: server down';
        item.tooltip = `${state.reason}\n\nClick to restart portos-lsp; the PortOS output says more.`;
        item.command = 'portos.restartServer';
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
    item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
