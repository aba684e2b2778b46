//! The language server shell: our own framing loop driving tower-lsp-server's `LspService` over stdio.
//!
//! Why our own loop: the library's transport ends the stream at the first message it cannot decode and lets a
//! panicking handler take the task down. Here an undecodable message gets a JSON-RPC parse error and reading
//! goes on; every handler runs under `catch_unwind`; stdin's end or the client's process disappearing ends the
//! server within a second.
//!
//! Ordering under concurrent dispatch: notifications (`didOpen`, `didChange`, …) are run to completion, in
//! arrival order, before the next message is read; their handlers only apply the edit to the host and hand
//! the main loop a task (`main_loop.rs`), so this is quick. Requests are spawned, so a slow one never blocks
//! reading — but each is started only after every notification before it has been applied, so a completion
//! sent right after a `didChange` sees that change (it waits for the main loop to analyse that version).
//! Handlers that must wait for the client (configuration pulls, registrations) do that in tasks of their own,
//! since the client's answer arrives through this same loop.

mod first_publish;
mod from_proto;
mod global_state;
mod handlers;
mod main_loop;
mod publish;
mod server;
mod to_proto;
mod transport;

pub use server::Server;

use futures::{FutureExt, SinkExt, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::sync::mpsc;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};
use transport::Frame;

/// Logs a line on stderr (stdout carries the protocol only).
pub(crate) fn log_stderr(message: &str) {
    eprintln!("portos-lsp: {message}");
}

/// Runs the server on stdin/stdout until the client says `exit` or goes away; returns the exit code.
///
/// One async worker: the async side only reads, routes, answers quick requests and publishes, while
/// anything long (a large analysis, indexing, disk and registry reads) runs on the blocking pool. A second
/// worker was woken for nearly every message only to find nothing to steal: with one, a keystroke costs
/// about 30 % fewer context switches and 10 % less CPU (docs/performance.md).
pub fn run_stdio() -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            log_stderr(&format!("cannot start the async runtime: {e}"));
            return 1;
        }
    };
    let code = runtime.block_on(async {
        match transport::ChannelReader::stdin() {
            Ok(input) => serve_to(input, Output::<tokio::io::Stdout>::Stdout).await,
            Err(_) => serve(tokio::io::stdin(), tokio::io::stdout()).await,
        }
    });
    // Analyses still running for a client that is gone are abandoned, not awaited.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// Serves one client over `input`/`output` (stdio, or a duplex pipe in tests). Returns 0 after `shutdown`
/// then `exit`, 1 after `exit` alone or when the input ends first.
pub async fn serve<I, O>(input: I, output: O) -> i32
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    serve_to(input, Output::Async(output)).await
}

/// Where the frames go: an async writer, or stdout written from a thread of its own (see
/// [`transport::write_stdout`]).
enum Output<O> {
    Async(O),
    Stdout,
}

async fn serve_to<I, O>(input: I, output: Output<O>) -> i32
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let shut_down = Arc::new(AtomicBool::new(false));
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let (mut service, socket) = server::build(shut_down.clone(), out_tx.downgrade());
    let (mut client_requests, mut client_responses) = socket.split();

    let writer = match output {
        Output::Async(mut output) => tokio::spawn(async move {
            while let Some(body) = out_rx.recv().await {
                if transport::write_frame(&mut output, &body).await.is_err() {
                    // The client closed its end: nothing more can be said.
                    break;
                }
            }
        }),
        Output::Stdout => tokio::task::spawn_blocking(move || transport::write_stdout(out_rx)),
    };
    let to_client = out_tx.clone();
    let forwarder = tokio::spawn(async move {
        while let Some(request) = client_requests.next().await {
            if let Ok(body) = serde_json::to_vec(&request) {
                let _ = to_client.send(body);
            }
        }
    });

    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let mut code = 1;
    loop {
        let body = match transport::read_frame(&mut reader).await {
            Frame::Eof => break,
            Frame::Malformed(why) => {
                log_stderr(&format!("bad message frame: {why}"));
                send_error(&out_tx, Id::Null, Error::parse_error(), &why);
                continue;
            }
            Frame::Body(body) => body,
        };
        let value: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(e) => {
                log_stderr(&format!("a message that is not JSON: {e}"));
                send_error(&out_tx, Id::Null, Error::parse_error(), &e.to_string());
                continue;
            }
        };
        let mut value = value;
        // `portos/workspacePorts` takes its params absent, `null` or `{}` alike (spec §10).
        if value.get("method").and_then(|m| m.as_str()) == Some("portos/workspacePorts")
            && value.get("params").is_none_or(|p| p.is_null())
            && let Some(object) = value.as_object_mut()
        {
            object.insert("params".into(), serde_json::json!({}));
        }
        if value.get("method").is_some() {
            let id = value
                .get("id")
                .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok());
            let request: Request = match serde_json::from_value(value) {
                Ok(request) => request,
                Err(e) => {
                    log_stderr(&format!("an invalid request: {e}"));
                    if let Some(id) = id {
                        send_error(&out_tx, id, Error::invalid_request(), &e.to_string());
                    }
                    continue;
                }
            };
            if request.method() == "exit" {
                code = if shut_down.load(Ordering::SeqCst) {
                    0
                } else {
                    1
                };
                break;
            }
            if futures::future::poll_fn(|cx| service.poll_ready(cx))
                .await
                .is_err()
            {
                break;
            }
            let method = request.method().to_string();
            let is_request = request.id().is_some();
            let future = AssertUnwindSafe(service.call(request)).catch_unwind();
            let to_client = out_tx.clone();
            let answer = async move {
                match future.await {
                    Ok(Ok(Some(response))) => send_response(&to_client, &response),
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => log_stderr(&format!("{method}: {e}")),
                    Err(panic) => {
                        let why = panic_message(&panic);
                        log_stderr(&format!("{method} panicked: {why}"));
                        if let Some(id) = id.filter(|_| is_request) {
                            send_error(
                                &to_client,
                                id,
                                Error::internal_error(),
                                &format!("portos-lsp failed on {method}: {why}"),
                            );
                        }
                    }
                }
            };
            if is_request {
                tokio::spawn(answer);
            } else {
                answer.await;
            }
        } else if value.get("id").is_some()
            && (value.get("result").is_some() || value.get("error").is_some())
        {
            match serde_json::from_value::<Response>(value) {
                Ok(response) => {
                    let _ = client_responses.send(response).await;
                }
                Err(e) => log_stderr(&format!("an invalid response from the client: {e}")),
            }
        } else {
            let id = value
                .get("id")
                .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok())
                .unwrap_or(Id::Null);
            send_error(
                &out_tx,
                id,
                Error::invalid_request(),
                "neither a request, a notification nor a response",
            );
        }
    }
    forwarder.abort();
    drop(out_tx);
    drop(service);
    // Let what was already answered reach the client, briefly.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(200), writer).await;
    code
}

fn send_response(out: &mpsc::UnboundedSender<Vec<u8>>, response: &Response) {
    if let Ok(body) = serde_json::to_vec(response) {
        let _ = out.send(body);
    }
}

fn send_error(out: &mpsc::UnboundedSender<Vec<u8>>, id: Id, mut error: Error, detail: &str) {
    if error.code == ErrorCode::ParseError || !detail.is_empty() {
        error.message = format!("{}: {detail}", error.message).into();
    }
    send_response(out, &Response::from_error(id, error));
}

/// The text of a caught panic.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}
