//! Our framing loop's reading and writing half: `Content-Length` frames in and out. Unlike the library's own
//! transport it never ends on bad input: a bad header or an undecodable body is reported to the caller, which
//! answers it with a JSON-RPC parse error, and reading resumes at the next `Content-Length` header.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest body accepted (a 10 MB buffer, JSON-escaped, fits many times over).
pub const MAX_BODY_BYTES: usize = 512 * 1024 * 1024;

/// What one read yields.
#[derive(Debug)]
pub enum Frame {
    /// A message body.
    Body(Vec<u8>),
    /// Something that was not a well-formed frame; reading can go on.
    Malformed(String),
    /// The input ended.
    Eof,
}

const HEADER: &[u8] = b"content-length:";

fn find_header(line: &[u8]) -> Option<usize> {
    line.windows(HEADER.len())
        .position(|w| w.eq_ignore_ascii_case(HEADER))
}

/// Reads the next frame. Header lines other than `Content-Length` (such as `Content-Type`) are ignored; text
/// before a `Content-Length` header on the same line is skipped as garbage.
pub async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R) -> Frame {
    let mut length: Option<usize> = None;
    let mut garbage: Option<String> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) => return Frame::Eof,
            Ok(_) => {}
            Err(e) => {
                return if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    Frame::Eof
                } else {
                    Frame::Malformed(format!("cannot read the input: {e}"))
                };
            }
        }
        let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        if trimmed.is_empty() {
            match (length, &garbage) {
                (Some(_), _) => break,
                (None, Some(_)) => continue,
                (None, None) => {
                    garbage = Some("an empty header block".into());
                    continue;
                }
            }
        }
        match find_header(trimmed) {
            Some(at) => {
                if at > 0 && garbage.is_none() {
                    garbage = Some(format!("{} bytes that are not a header", at));
                }
                let value = String::from_utf8_lossy(&trimmed[at + HEADER.len()..]);
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_BODY_BYTES => length = Some(n),
                    Ok(n) => {
                        return Frame::Malformed(format!(
                            "a Content-Length of {n} bytes is over the limit of {MAX_BODY_BYTES}"
                        ));
                    }
                    Err(_) => {
                        return Frame::Malformed(format!(
                            "a Content-Length that is not a number: {:?}",
                            value.trim()
                        ));
                    }
                }
            }
            None if length.is_some() || trimmed.contains(&b':') && garbage.is_none() => {
                // Another header (`Content-Type: …`): ignored.
            }
            None => {
                if garbage.is_none() {
                    let shown: String = String::from_utf8_lossy(trimmed).chars().take(40).collect();
                    garbage = Some(format!("text that is not a header: {shown:?}"));
                }
            }
        }
    }
    let length = length.unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).await.is_err() {
        return Frame::Eof;
    }
    if let Some(why) = garbage {
        // The frame is good; what came before it was not: logged, and the good frame still gets its answer.
        super::log_stderr(&format!("skipped {why} before a message"));
    }
    Frame::Body(body)
}

/// Writes one frame and flushes it, header and body in one write: tokio's stdout hands each write to a
/// blocking thread and waits for it before the next, so two writes were two round trips per message.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    body: &[u8],
) -> std::io::Result<()> {
    writer.write_all(&frame(body)).await?;
    writer.flush().await
}

/// A frame's header, for a body of `len` bytes.
fn header(len: usize) -> String {
    format!("Content-Length: {len}\r\n\r\n")
}

/// One message as it goes out: its header, then its body.
fn frame(body: &[u8]) -> Vec<u8> {
    let header = header(body.len());
    let mut frame = Vec::with_capacity(header.len() + body.len());
    frame.extend_from_slice(header.as_bytes());
    frame.extend_from_slice(body);
    frame
}

/// Writes every body `outgoing` yields to stdout, a frame per `writev`, until the channel closes or the
/// client stops reading; meant for a thread of its own. Not through `std::io::stdout()`: it is line
/// buffered, so each frame was searched for its last newline (13 KB at a keystroke of an 8 KB file) and went
/// out as two writes, the header and the body, the client woken for each; nor through tokio's stdout, which
/// copies each frame to a blocking thread it wakes per write.
pub fn write_stdout(mut outgoing: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>) {
    use std::io::Write;
    use std::os::fd::AsFd;
    // A second descriptor of the same pipe, written unbuffered.
    let file = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from);
    let mut out: Box<dyn Write> = match file {
        Ok(file) => Box::new(file),
        Err(_) => Box::new(std::io::stdout()),
    };
    while let Some(body) = outgoing.blocking_recv() {
        if write_parts(&mut out, &body)
            .and_then(|()| out.flush())
            .is_err()
        {
            // The client closed its end: nothing more can be said.
            break;
        }
    }
}

/// Writes a frame's header and body in one `writev` where the pipe takes it all (a body is not copied
/// behind its header).
fn write_parts(out: &mut dyn std::io::Write, body: &[u8]) -> std::io::Result<()> {
    let header = header(body.len());
    let mut parts = [
        std::io::IoSlice::new(header.as_bytes()),
        std::io::IoSlice::new(body),
    ];
    let mut rest = &mut parts[..];
    while !rest.is_empty() {
        match out.write_vectored(rest) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(written) => std::io::IoSlice::advance_slices(&mut rest, written),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Stdin as the frame reader reads it, fed by a thread of its own (see [`read_stdin`]): tokio's stdin
/// starts a blocking read on its pool for each poll and wakes a pool thread to do it, one more hand-over
/// per message.
pub struct ChannelReader {
    incoming: tokio::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl ChannelReader {
    /// Reads stdin on a thread of its own (left blocked in `read` when the server exits: the process ends
    /// with it), at most a few chunks ahead of the frame reader.
    pub fn stdin() -> std::io::Result<Self> {
        let (sender, incoming) = tokio::sync::mpsc::channel(8);
        std::thread::Builder::new()
            .name("portos-lsp stdin".into())
            .spawn(move || read_stdin(&sender))?;
        Ok(ChannelReader {
            incoming,
            chunk: Vec::new(),
            at: 0,
        })
    }
}

/// Sends what stdin yields, a chunk per `read`, until it ends, fails, or nobody listens.
fn read_stdin(sender: &tokio::sync::mpsc::Sender<Vec<u8>>) {
    use std::io::Read;
    let mut stdin = std::io::stdin().lock();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match stdin.read(&mut buffer) {
            Ok(0) => return,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        if sender.blocking_send(buffer[..read].to_vec()).is_err() {
            return;
        }
    }
}

impl tokio::io::AsyncRead for ChannelReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        loop {
            if self.at < self.chunk.len() {
                let n = buf.remaining().min(self.chunk.len() - self.at);
                buf.put_slice(&self.chunk[self.at..self.at + n]);
                self.at += n;
                return std::task::Poll::Ready(Ok(()));
            }
            match self.incoming.poll_recv(cx) {
                std::task::Poll::Ready(Some(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                // The input ended: a read of nothing.
                std::task::Poll::Ready(None) => return std::task::Poll::Ready(Ok(())),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<String> {
        let mut reader = tokio::io::BufReader::new(input);
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader).await {
                Frame::Body(b) => out.push(format!("body {}", String::from_utf8_lossy(&b))),
                Frame::Malformed(why) => out.push(format!("bad {why}")),
                Frame::Eof => return out,
            }
        }
    }

    /// A writer that takes at most a few bytes per call, the first part of a vectored write only.
    struct Trickle(Vec<u8>);

    impl std::io::Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_frame_written_in_pieces_arrives_whole() {
        let mut out = Trickle(Vec::new());
        write_parts(&mut out, b"{\"jsonrpc\":\"2.0\"}").unwrap();
        assert_eq!(
            String::from_utf8(out.0).unwrap(),
            "Content-Length: 17\r\n\r\n{\"jsonrpc\":\"2.0\"}"
        );
    }

    #[tokio::test]
    async fn reads_frames_and_skips_garbage() {
        let input = b"Content-Length: 2\r\n\r\n{}garbage line\nContent-Length: 4\r\nContent-Type: x\r\n\r\nnull";
        assert_eq!(frames(input).await, vec!["body {}", "body null"]);
        let input = b"Content-Length: nope\r\n\r\nContent-Length: 2\r\n\r\n[]";
        let got = frames(input).await;
        assert!(got[0].starts_with("bad "), "{got:?}");
        assert_eq!(got.last().unwrap(), "body []");
    }

    #[tokio::test]
    async fn a_truncated_body_is_the_end() {
        assert_eq!(
            frames(b"Content-Length: 10\r\n\r\n{}").await,
            Vec::<String>::new()
        );
    }
}
