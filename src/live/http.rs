//! A minimal HTTP/1.1 response reader: enough to GET one JSON document from PortOS on loopback.
//!
//! The parser is sans-IO (bytes in, a response or an error out) so it can be fed in arbitrary pieces and
//! fuzzed without a socket; `get` wraps it around a `TcpStream` with one deadline for the whole exchange.
//! Nothing here panics on what a server sends: every malformed input becomes an error message.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Most bytes we accept before the blank line that ends the response head.
const MAX_HEAD: usize = 64 * 1024;
/// Most body bytes we keep; a registry of a few hundred apps is well under a megabyte.
pub(crate) const MAX_BODY: usize = 32 * 1024 * 1024;
/// Longest chunk-size or trailer line we wait for before calling the framing broken.
const MAX_LINE: usize = 4096;

/// A complete response: status, reason phrase, decoded (de-chunked) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub reason: String,
    pub body: Vec<u8>,
    /// `Content-Encoding`, when present and not `identity`; we never ask for compression.
    pub content_encoding: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Length { remaining: usize },
    ToEof,
    ChunkSize,
    ChunkData { remaining: usize },
    ChunkEnd,
    Trailers,
    Done,
}

/// Incremental response parser. `push` bytes as they arrive; call `finish` at end of stream.
#[derive(Debug)]
pub(crate) struct ResponseParser {
    buf: Vec<u8>,
    pos: usize,
    state: State,
    received_any: bool,
    status: u16,
    reason: String,
    content_encoding: Option<String>,
    body: Vec<u8>,
}

impl ResponseParser {
    pub fn new() -> Self {
        ResponseParser {
            buf: Vec::new(),
            pos: 0,
            state: State::Head,
            received_any: false,
            status: 0,
            reason: String::new(),
            content_encoding: None,
            body: Vec::new(),
        }
    }

    /// Feeds bytes; `Ok(true)` once the response is complete (later bytes are ignored).
    pub fn push(&mut self, data: &[u8]) -> Result<bool, String> {
        if self.state == State::Done {
            return Ok(true);
        }
        if !data.is_empty() {
            self.received_any = true;
        }
        // Drop what has been consumed so the buffer only holds unparsed bytes.
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
        self.advance()?;
        Ok(self.state == State::Done)
    }

    /// Signals end of stream; succeeds when the body was delimited by the close or already complete.
    pub fn finish(&mut self) -> Result<(), String> {
        match self.state {
            State::Done | State::ToEof => {
                self.state = State::Done;
                Ok(())
            }
            // A missing final CRLF after the last chunk loses nothing.
            State::Trailers => {
                self.state = State::Done;
                Ok(())
            }
            State::Head if !self.received_any => {
                Err("the server closed the connection without answering".to_string())
            }
            State::Head => Err("the response ended inside its status line or headers".to_string()),
            State::Length { remaining } => Err(format!(
                "the body ended {remaining} bytes short of its Content-Length"
            )),
            State::ChunkSize | State::ChunkData { .. } | State::ChunkEnd => {
                Err("the chunked body ended before its last chunk".to_string())
            }
        }
    }

    /// The finished response; `None` until `push` returned true or `finish` succeeded.
    pub fn into_response(self) -> Option<Response> {
        (self.state == State::Done).then_some(Response {
            status: self.status,
            reason: self.reason,
            body: self.body,
            content_encoding: self.content_encoding,
        })
    }

    fn avail(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    fn take_body(&mut self, max: usize) -> Result<usize, String> {
        let avail = self.buf.len().saturating_sub(self.pos);
        let n = avail.min(max);
        if self.body.len().saturating_add(n) > MAX_BODY {
            return Err(format!("the body is larger than {} MiB", MAX_BODY >> 20));
        }
        let end = self.pos + n;
        if let Some(bytes) = self.buf.get(self.pos..end) {
            self.body.extend_from_slice(bytes);
        }
        self.pos = end;
        Ok(n)
    }

    fn advance(&mut self) -> Result<(), String> {
        loop {
            match self.state {
                State::Done => return Ok(()),
                State::Head => {
                    let Some((head_len, consumed)) = find_head_end(self.avail()) else {
                        if self.avail().len() > MAX_HEAD {
                            return Err(format!(
                                "the response head is longer than {} KiB",
                                MAX_HEAD >> 10
                            ));
                        }
                        return Ok(());
                    };
                    if head_len > MAX_HEAD {
                        return Err(format!(
                            "the response head is longer than {} KiB",
                            MAX_HEAD >> 10
                        ));
                    }
                    let head = self.avail().get(..head_len).unwrap_or(&[]).to_vec();
                    self.pos += consumed;
                    self.start_body(&head)?;
                }
                State::Length { remaining } => {
                    let n = self.take_body(remaining)?;
                    let remaining = remaining - n;
                    if remaining == 0 {
                        self.state = State::Done;
                    } else {
                        self.state = State::Length { remaining };
                        return Ok(());
                    }
                }
                State::ToEof => {
                    self.take_body(usize::MAX)?;
                    return Ok(());
                }
                State::ChunkSize => {
                    let Some((line, consumed)) = next_line(self.avail()) else {
                        return self.wait_for_line("chunk size");
                    };
                    let size = parse_chunk_size(line)?;
                    self.pos += consumed;
                    if size > MAX_BODY.saturating_sub(self.body.len()) {
                        return Err(format!("the body is larger than {} MiB", MAX_BODY >> 20));
                    }
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData { remaining: size }
                    };
                }
                State::ChunkData { remaining } => {
                    let n = self.take_body(remaining)?;
                    let remaining = remaining - n;
                    if remaining == 0 {
                        self.state = State::ChunkEnd;
                    } else {
                        self.state = State::ChunkData { remaining };
                        return Ok(());
                    }
                }
                State::ChunkEnd => match self.avail() {
                    [] | [b'\r'] => return Ok(()),
                    [b'\r', b'\n', ..] => {
                        self.pos += 2;
                        self.state = State::ChunkSize;
                    }
                    [b'\n', ..] => {
                        self.pos += 1;
                        self.state = State::ChunkSize;
                    }
                    _ => return Err("a chunk is longer than its declared size".to_string()),
                },
                State::Trailers => {
                    let Some((line, consumed)) = next_line(self.avail()) else {
                        return self.wait_for_line("trailer");
                    };
                    let empty = line.is_empty();
                    self.pos += consumed;
                    if empty {
                        self.state = State::Done;
                    }
                }
            }
        }
    }

    fn wait_for_line(&self, what: &str) -> Result<(), String> {
        if self.avail().len() > MAX_LINE {
            Err(format!("a {what} line is longer than {MAX_LINE} bytes"))
        } else {
            Ok(())
        }
    }

    /// Reads the status line and headers and picks how the body is delimited.
    fn start_body(&mut self, head: &[u8]) -> Result<(), String> {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let status_line = lines.next().unwrap_or("");
        let (status, reason) = parse_status_line(status_line)?;

        let mut content_length: Option<usize> = None;
        let mut transfer_encoding: Option<String> = None;
        let mut content_encoding: Option<String> = None;
        for line in lines {
            if line.is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                return Err("folded header lines are not allowed in HTTP/1.1".to_string());
            }
            let Some((name, value)) = line.split_once(':') else {
                return Err(format!("a header line has no colon: {:?}", shorten(line)));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                let n = parse_content_length(value)?;
                if content_length.is_some_and(|old| old != n) {
                    return Err("conflicting Content-Length headers".to_string());
                }
                content_length = Some(n);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                let joined = match transfer_encoding.take() {
                    Some(old) => format!("{old}, {value}"),
                    None => value.to_string(),
                };
                transfer_encoding = Some(joined);
            } else if name.eq_ignore_ascii_case("content-encoding")
                && !value.is_empty()
                && !value.eq_ignore_ascii_case("identity")
            {
                content_encoding = Some(value.to_string());
            }
        }

        // Interim responses (100 Continue and friends) are followed by the real one.
        if (100..200).contains(&status) {
            self.state = State::Head;
            return Ok(());
        }
        self.status = status;
        self.reason = reason;
        self.content_encoding = content_encoding;
        self.body.clear();
        self.state = if status == 204 || status == 304 {
            State::Done
        } else if let Some(te) = transfer_encoding {
            // Transfer-Encoding overrides Content-Length; chunked must be the last coding to be readable.
            let last = te
                .rsplit(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if last == "chunked" {
                State::ChunkSize
            } else {
                State::ToEof
            }
        } else if let Some(n) = content_length {
            if n > MAX_BODY {
                return Err(format!("the body is larger than {} MiB", MAX_BODY >> 20));
            }
            if n == 0 {
                State::Done
            } else {
                State::Length { remaining: n }
            }
        } else {
            State::ToEof
        };
        Ok(())
    }
}

/// Where the head ends: (length of the head text without its final line break, bytes to consume).
fn find_head_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = bytes.get(i..)?.iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match bytes.get(nl + 1..) {
            Some([b'\n', ..]) => return Some((nl, nl + 2)),
            Some([b'\r', b'\n', ..]) => return Some((nl, nl + 3)),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// One line (CRLF or bare LF) from the front of `bytes`: (line without terminator, bytes consumed).
fn next_line(bytes: &[u8]) -> Option<(&[u8], usize)> {
    let nl = bytes.iter().position(|&b| b == b'\n')?;
    let line = bytes.get(..nl)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, nl + 1))
}

fn parse_status_line(line: &str) -> Result<(u16, String), String> {
    let malformed = || format!("the status line is not HTTP/1.x: {:?}", shorten(line));
    let (version, rest) = line.split_once(' ').ok_or_else(malformed)?;
    if !version.starts_with("HTTP/1.") {
        return Err(malformed());
    }
    let rest = rest.trim_start_matches(' ');
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed());
    }
    let status: u16 = code.parse().map_err(|_| malformed())?;
    if !(100..=599).contains(&status) {
        return Err(malformed());
    }
    Ok((status, shorten(reason.trim())))
}

fn parse_content_length(value: &str) -> Result<usize, String> {
    // A list of identical values ("12, 12") is allowed by RFC 9110; anything else is an error.
    let mut result: Option<usize> = None;
    for part in value.split(',') {
        let part = part.trim();
        if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid Content-Length: {:?}", shorten(value)));
        }
        let n: usize = part
            .parse()
            .map_err(|_| format!("invalid Content-Length: {:?}", shorten(value)))?;
        if result.is_some_and(|old| old != n) {
            return Err("conflicting Content-Length values".to_string());
        }
        result = Some(n);
    }
    result.ok_or_else(|| "empty Content-Length".to_string())
}

fn parse_chunk_size(line: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(line);
    let size = text.split(';').next().unwrap_or("").trim();
    if size.is_empty() || size.len() > 15 || !size.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("invalid chunk size line: {:?}", shorten(&text)));
    }
    usize::from_str_radix(size, 16)
        .map_err(|_| format!("invalid chunk size line: {:?}", shorten(&text)))
}

/// Cuts server-provided text so an error message stays one readable line.
fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cleaned.chars().count() <= MAX {
        cleaned
    } else {
        let mut cut: String = cleaned.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

/// Which step of the exchange ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening the TCP connection.
    Connecting,
    /// Writing the request.
    Sending,
    /// Waiting for or reading the response.
    Reading,
}

/// How one GET failed, before any interpretation of the status or body.
#[derive(Debug)]
pub(crate) enum GetError {
    Refused,
    Timeout(Phase),
    Io(Phase, io::Error),
    Malformed(String),
}

/// Time left before `deadline`, or `None` when it has passed (a zero timeout is invalid for sockets).
fn remaining(deadline: Instant) -> Option<Duration> {
    let left = deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then_some(left)
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Sends `request` to the first of `addrs` that accepts a connection and reads one response,
/// all within `timeout`.
pub(crate) fn get(
    addrs: &[SocketAddr],
    request: &[u8],
    timeout: Duration,
) -> Result<Response, GetError> {
    let deadline = Instant::now() + timeout;
    let mut stream = connect(addrs, deadline)?;

    let left = remaining(deadline).ok_or(GetError::Timeout(Phase::Sending))?;
    stream
        .set_write_timeout(Some(left))
        .map_err(|e| GetError::Io(Phase::Sending, e))?;
    match stream.write_all(request).and_then(|()| stream.flush()) {
        Ok(()) => {}
        Err(e) if is_timeout(&e) => return Err(GetError::Timeout(Phase::Sending)),
        Err(e) => return Err(GetError::Io(Phase::Sending, e)),
    }

    let mut parser = ResponseParser::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let left = remaining(deadline).ok_or(GetError::Timeout(Phase::Reading))?;
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| GetError::Io(Phase::Reading, e))?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                parser.finish().map_err(GetError::Malformed)?;
                break;
            }
            Ok(n) => {
                let bytes = chunk.get(..n).unwrap_or(&[]);
                if parser.push(bytes).map_err(GetError::Malformed)? {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(GetError::Timeout(Phase::Reading)),
            Err(e) => return Err(GetError::Io(Phase::Reading, e)),
        }
    }
    parser
        .into_response()
        .ok_or_else(|| GetError::Malformed("the response was incomplete".to_string()))
}

/// Tries each address in turn. When all fail, the most telling failure is reported: a timeout (something is
/// there but slow), then "refused" (PortOS is not running), then any other socket error — so `localhost` with
/// IPv6 disabled still says "refused" when 127.0.0.1 refused.
fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, GetError> {
    fn rank(e: &GetError) -> u8 {
        match e {
            GetError::Timeout(_) => 3,
            GetError::Refused => 2,
            GetError::Io(..) | GetError::Malformed(_) => 1,
        }
    }
    let mut worst: Option<GetError> = None;
    for addr in addrs {
        let Some(left) = remaining(deadline) else {
            return Err(GetError::Timeout(Phase::Connecting));
        };
        let failure = match TcpStream::connect_timeout(addr, left) {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => GetError::Refused,
            Err(e) if is_timeout(&e) => GetError::Timeout(Phase::Connecting),
            Err(e) => GetError::Io(Phase::Connecting, e),
        };
        if worst.as_ref().is_none_or(|w| rank(&failure) > rank(w)) {
            worst = Some(failure);
        }
    }
    Err(worst.unwrap_or(GetError::Refused))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8]) -> Result<Response, String> {
        let mut p = ResponseParser::new();
        if !p.push(bytes)? {
            p.finish()?;
        }
        p.into_response().ok_or_else(|| "incomplete".to_string())
    }

    /// Feeds the input one byte at a time, which exercises every split point of the state machine.
    fn parse_bytewise(bytes: &[u8]) -> Result<Response, String> {
        let mut p = ResponseParser::new();
        let mut done = false;
        for b in bytes {
            if p.push(std::slice::from_ref(b))? {
                done = true;
                break;
            }
        }
        if !done {
            p.finish()?;
        }
        p.into_response().ok_or_else(|| "incomplete".to_string())
    }

    #[test]
    fn live_http_content_length() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]trailing";
        for r in [parse_all(raw), parse_bytewise(raw)] {
            let r = r.unwrap();
            assert_eq!(
                (r.status, r.reason.as_str(), r.body.as_slice()),
                (200, "OK", &b"[]"[..])
            );
        }
    }

    #[test]
    fn live_http_chunked_with_extensions_and_trailers() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n\
                    3;ext=1\r\n[1,\r\nA\r\n 2, 3, 4, \r\n1\r\n5\r\n1\r\n]\r\n0\r\nX-Trailer: y\r\n\r\n";
        for r in [parse_all(raw), parse_bytewise(raw)] {
            assert_eq!(r.unwrap().body, b"[1, 2, 3, 4, 5]");
        }
    }

    #[test]
    fn live_http_read_to_eof_and_interim_response() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 Fine\nServer: x\n\n{\"a\":1}";
        for r in [parse_all(raw), parse_bytewise(raw)] {
            let r = r.unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"{\"a\":1}"[..]));
        }
    }

    #[test]
    fn live_http_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "without answering"),
            (b"SSH-2.0-OpenSSH_9.6\r\n", "inside its status line"),
            (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not HTTP/1.x"),
            (b"HTTP/1.1 2000 OK\r\n\r\n", "not HTTP/1.x"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                "7 bytes short",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "invalid Content-Length",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                "conflicting",
            ),
            (b"HTTP/1.1 200 OK\r\nbogus\r\n\r\n", "no colon"),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "invalid chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
                "longer than its declared",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                "before its last chunk",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFF\r\n",
                "larger than",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
                "larger than",
            ),
        ];
        for (raw, expected) in cases {
            let err = parse_all(raw).unwrap_err();
            assert!(
                err.contains(expected),
                "{:?}: {err}",
                String::from_utf8_lossy(raw)
            );
            let err = parse_bytewise(raw).unwrap_err();
            assert!(
                err.contains(expected),
                "bytewise {:?}: {err}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn live_http_oversized_head_is_refused() {
        let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
        while raw.len() <= MAX_HEAD {
            raw.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert!(parse_all(&raw).unwrap_err().contains("head is longer"));
    }

    /// Random and mutated inputs, fed whole and in random pieces: the parser must never panic.
    #[test]
    fn live_http_fuzz_never_panics() {
        let seeds: &[&[u8]] = &[
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n1\r\n]\r\n0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n[1,2]",
            b"HTTP/1.1 401 Unauthorized\r\n\r\n",
        ];
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for round in 0..3000 {
            let mut input: Vec<u8> = if round % 3 == 0 {
                (0..(next() % 200)).map(|_| next() as u8).collect()
            } else {
                seeds[(next() % seeds.len() as u64) as usize].to_vec()
            };
            for _ in 0..(next() % 6) {
                if input.is_empty() {
                    break;
                }
                let i = (next() % input.len() as u64) as usize;
                match next() % 3 {
                    0 => input[i] = next() as u8,
                    1 => {
                        input.remove(i);
                    }
                    _ => input.insert(
                        i,
                        b"\r\n:;0123456789abcdefHTTP/1.1 "[(next() % 28) as usize],
                    ),
                }
            }
            let _ = parse_all(&input);
            let mut p = ResponseParser::new();
            let mut rest = input.as_slice();
            while !rest.is_empty() {
                let n = 1 + (next() % 7) as usize;
                let (piece, tail) = rest.split_at(n.min(rest.len()));
                rest = tail;
                match p.push(piece) {
                    Ok(true) | Err(_) => break,
                    Ok(false) => {}
                }
            }
            let _ = p.finish();
        }
    }
}
