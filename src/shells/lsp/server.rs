//! The `LanguageServer` implementation: one line per method, each handing the message to its handler (in
//! `handlers/`), and the service that starts the main loop.

use super::global_state::Shared;
use super::handlers::{
    code_action, completion, documents, hover, lifecycle, navigation, registry, symbols, workspace,
    workspace_ports,
};
use super::main_loop;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::mpsc::WeakUnboundedSender;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{ClientSocket, LanguageServer, LspService};

/// The server: the state its handlers and main loop share.
pub struct Server {
    shared: Arc<Shared>,
}

/// Builds the service and its client socket, and starts the main loop. `shut_down` is set when `shutdown`
/// is answered, so the framing loop knows which exit code `exit` means; `output` takes message bodies the
/// server serialises itself (diagnostics), in order with everything else written.
pub fn build(
    shut_down: Arc<AtomicBool>,
    output: WeakUnboundedSender<Vec<u8>>,
) -> (LspService<Server>, ClientSocket) {
    LspService::build(move |client| {
        let (shared, inbox) = Shared::new(client, shut_down, output);
        tokio::spawn(main_loop::run(shared.clone(), inbox));
        Server { shared }
    })
    .custom_method("portos/workspacePorts", Server::workspace_ports)
    .finish()
}

impl Server {
    /// `portos/workspacePorts` (spec §10).
    async fn workspace_ports(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        Ok(workspace_ports::workspace_ports(&self.shared, params))
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        lifecycle::initialize(&self.shared, params)
    }

    async fn initialized(&self, _: InitializedParams) {
        lifecycle::initialized(&self.shared)
    }

    async fn shutdown(&self) -> Result<()> {
        lifecycle::shutdown(&self.shared)
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        documents::did_open(&self.shared, params)
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        documents::did_change(&self.shared, params)
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        documents::did_close(&self.shared, params)
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        documents::did_save(&self.shared)
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        workspace::did_change_configuration(&self.shared, params)
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        workspace::did_change_watched_files(&self.shared, params)
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        workspace::did_change_workspace_folders(&self.shared, params)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        Ok(hover::hover(&self.shared, params).await)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        Ok(completion::completion(&self.shared, params).await)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(code_action::code_action(&self.shared, params).await)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        Ok(navigation::definition(&self.shared, params).await)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        Ok(navigation::references(&self.shared, params).await)
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        Ok(navigation::document_highlight(&self.shared, params).await)
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        navigation::prepare_rename(&self.shared, params).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        navigation::rename(&self.shared, params).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        Ok(symbols::inlay_hint(&self.shared, params).await)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        Ok(symbols::document_symbol(&self.shared, params).await)
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        registry::execute_command(&self.shared, params).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        Ok(Some(symbols::symbol(&self.shared, params)))
    }
}
