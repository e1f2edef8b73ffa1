//! Network for one command, only to the hosts a tool names: an HTTP proxy
//! in this process that admits listed destinations, reached from inside
//! the sandbox's network namespace through a Unix socket.
//!
//! A command held in a network namespace can reach nothing but its own
//! loopback. For a command that must reach one service (`use_aws`), the
//! sandbox helper starts a small forwarder inside the namespace that takes
//! connections on `127.0.0.1:`[`NAMESPACE_PORT`] and passes each one to
//! [`EgressProxy`]'s Unix socket outside. The command is told to use that
//! address as its `HTTP(S)_PROXY`. The proxy reads the request's
//! destination (a `CONNECT host:port` tunnel, or an absolute `http://` URL)
//! and connects only where a [`Destination`] admits it; anything else gets
//! `403` and is recorded, so the tool can tell the model what was refused.
//! The kernel, not the command's good will, keeps every other connection
//! from leaving: there is no other way out of the namespace. The forwarder
//! opens each connection with a secret the helper got in its plan, so that
//! another sandboxed command, which could reach the socket's path, cannot
//! use the proxy.
//!
//! Where there is no network namespace (the sandbox off, or a kernel
//! without user namespaces), the proxy also listens on a loopback TCP port
//! of the host and the command is pointed there: programs that honour the
//! proxy variables, as the AWS CLI does, are held to the same hosts, but
//! nothing stops a program that ignores them. [`super::Sandbox::through`]
//! chooses, and says which in [`EgressProxy::enforcement`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The port the forwarder listens on inside a network namespace. The
/// namespace is the command's own, so no other program holds it.
pub const NAMESPACE_PORT: u16 = 3128;

/// The longest request head the proxy reads before it gives up.
const MAX_HEAD: usize = 64 * 1024;

/// How long a client may take to send its request head, and the proxy to
/// connect to the destination.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A host and port a command may reach: one name, or every name under a
/// domain (`*.s3.eu-west-1.amazonaws.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    host: String,
    subdomains: bool,
    port: u16,
}

impl Destination {
    /// Exactly `host` (a name or an IP address) on `port`.
    pub fn exact(host: &str, port: u16) -> Destination {
        Destination {
            host: normal_host(host),
            subdomains: false,
            port,
        }
    }

    /// Any name ending in `.domain` on `port` (not `domain` itself).
    pub fn under(domain: &str, port: u16) -> Destination {
        Destination {
            host: normal_host(domain),
            subdomains: true,
            port,
        }
    }

    /// Whether a connection to `host:port` is admitted.
    pub fn admits(&self, host: &str, port: u16) -> bool {
        let host = normal_host(host);
        port == self.port
            && if self.subdomains {
                host.strip_suffix(&self.host)
                    .is_some_and(|label| label.len() > 1 && label.ends_with('.'))
            } else {
                host == self.host
            }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let star = if self.subdomains { "*." } else { "" };
        write!(f, "{star}{}:{}", self.host, self.port)
    }
}

/// A host name compared as DNS does: lower case, no final dot, no IPv6
/// brackets.
fn normal_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// How the hosts a command may reach are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// By the kernel: the command's network namespace has no other way out.
    Kernel,
    /// Only by the proxy variables, which the program may ignore.
    ProxyVariables,
}

/// The proxy for one command: listening until dropped.
pub struct EgressProxy {
    socket: PathBuf,
    secret: String,
    folder: PathBuf,
    tcp_port: u16,
    shared: Arc<Shared>,
    listeners: Vec<JoinHandle<()>>,
}

/// What the proxy's threads share.
struct Shared {
    allowed: Vec<Destination>,
    secret: String,
    stopping: AtomicBool,
    refused: Mutex<Vec<String>>,
    open: Mutex<Vec<TcpStream>>,
}

impl EgressProxy {
    /// Starts a proxy that admits `allowed`: a Unix socket in a new private
    /// folder of the temporary folder, and a loopback TCP port.
    pub fn start(allowed: Vec<Destination>) -> io::Result<EgressProxy> {
        let folder = private_folder()?;
        let socket = folder.join("proxy.sock");
        let unix = UnixListener::bind(&socket)?;
        let tcp = TcpListener::bind(("127.0.0.1", 0))?;
        let tcp_port = tcp.local_addr()?.port();
        let secret = new_secret()?;
        let shared = Arc::new(Shared {
            allowed,
            secret: secret.clone(),
            stopping: AtomicBool::new(false),
            refused: Mutex::default(),
            open: Mutex::default(),
        });
        let on_unix = Arc::clone(&shared);
        let on_tcp = Arc::clone(&shared);
        let listeners = vec![
            std::thread::spawn(move || accept_all(unix.incoming(), &on_unix)),
            std::thread::spawn(move || accept_all(tcp.incoming(), &on_tcp)),
        ];
        Ok(EgressProxy {
            socket,
            secret,
            folder,
            tcp_port,
            shared,
            listeners,
        })
    }

    /// The Unix socket the namespace's forwarder connects to.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// What the forwarder sends first on each connection to the socket.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The host's loopback port, for commands without a network namespace.
    pub fn tcp_port(&self) -> u16 {
        self.tcp_port
    }

    /// The destinations refused so far, as `host:port`, each once.
    pub fn refused(&self) -> Vec<String> {
        self.shared
            .refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for EgressProxy {
    /// Stops listening, ends the tunnels still open, and removes the socket.
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let _ = UnixStream::connect(&self.socket);
        let _ = TcpStream::connect(("127.0.0.1", self.tcp_port));
        for listener in self.listeners.drain(..) {
            let _ = listener.join();
        }
        let open = self
            .shared
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for stream in open.iter() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A new folder only this user can enter, for the proxy's socket.
fn private_folder() -> io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "agent-egress-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let folder = std::env::temp_dir().join(name);
    std::fs::DirBuilder::new().mode(0o700).create(&folder)?;
    Ok(folder)
}

/// 128 random bits from the kernel, in hex.
fn new_secret() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A stream the proxy can serve: a Unix or a TCP connection.
trait Client: Read + Write + Send + Sized + 'static {
    /// Whether the client must open with the proxy's secret (the
    /// namespace's forwarder on the Unix socket does).
    const PROVES: bool;
    fn split(&self) -> io::Result<Self>;
    fn close(&self);
    fn close_write(&self);
    /// Sets how long a read may wait (`None`: for ever).
    fn wait_at_most(&self, limit: Option<Duration>);
}

/// [`Client`] for a socket type, which must open with the secret or not.
macro_rules! client {
    ($socket:ty, $proves:expr) => {
        impl Client for $socket {
            const PROVES: bool = $proves;
            fn split(&self) -> io::Result<Self> {
                self.try_clone()
            }
            fn close(&self) {
                let _ = self.shutdown(Shutdown::Both);
            }
            fn close_write(&self) {
                let _ = self.shutdown(Shutdown::Write);
            }
            fn wait_at_most(&self, limit: Option<Duration>) {
                let _ = self.set_read_timeout(limit);
            }
        }
    };
}

client!(UnixStream, true);
client!(TcpStream, false);

/// Whether the client opened with `secret` and a newline.
fn proves(client: &mut impl Read, secret: &str) -> bool {
    let mut opening = vec![0u8; secret.len() + 1];
    client.read_exact(&mut opening).is_ok() && opening == format!("{secret}\n").as_bytes()
}

/// Serves each connection on its own thread until the proxy stops.
fn accept_all<C: Client>(incoming: impl Iterator<Item = io::Result<C>>, shared: &Arc<Shared>) {
    for client in incoming {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(client) = client {
            let shared = Arc::clone(shared);
            std::thread::spawn(move || serve(client, &shared));
        }
    }
}

/// One client: its request's destination judged, then a tunnel to it.
fn serve<C: Client>(mut client: C, shared: &Shared) {
    client.wait_at_most(Some(TIMEOUT));
    if C::PROVES && !proves(&mut client, &shared.secret) {
        return client.close();
    }
    let (head, rest) = match read_head(&mut client) {
        Ok(read) => read,
        Err(why) => return answer(&mut client, 400, "Bad Request", &why),
    };
    let request = match Request::parse(&head) {
        Ok(request) => request,
        Err(why) => return answer(&mut client, 400, "Bad Request", &why),
    };
    if !shared
        .allowed
        .iter()
        .any(|d| d.admits(&request.host, request.port))
    {
        let target = format!("{}:{}", request.host, request.port);
        let why = format!(
            "agent: the network to {target} is not allowed for this command (only {})",
            list(&shared.allowed)
        );
        remember(&shared.refused, target);
        return answer(&mut client, 403, "Forbidden", &why);
    }
    let upstream = match connect(&request.host, request.port) {
        Ok(upstream) => upstream,
        Err(e) => {
            let why = format!("agent: cannot reach {}:{}: {e}", request.host, request.port);
            return answer(&mut client, 502, "Bad Gateway", &why);
        }
    };
    if let Ok(kept) = upstream.try_clone() {
        shared
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(kept);
    }
    let opening = match &request.forward {
        None => b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec(),
        Some(_) => Vec::new(),
    };
    let first = request.forward.unwrap_or_default();
    client.wait_at_most(None);
    tunnel(
        client,
        upstream,
        &opening,
        &[first.as_slice(), rest.as_slice()].concat(),
    );
}

/// The destinations, for a refusal message.
fn list(allowed: &[Destination]) -> String {
    if allowed.is_empty() {
        return "nothing".into();
    }
    allowed
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn remember(refused: &Mutex<Vec<String>>, target: String) {
    let mut refused = refused.lock().unwrap_or_else(PoisonError::into_inner);
    if !refused.contains(&target) {
        refused.push(target);
    }
}

/// The request head (up to its blank line) and what came after it.
fn read_head(client: &mut impl Read) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Ok((buffer, rest));
        }
        if buffer.len() > MAX_HEAD {
            return Err("agent: the request head is too long".into());
        }
        match client.read(&mut chunk) {
            Ok(0) => return Err("agent: the connection closed before a request".into()),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("agent: reading the request: {e}")),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A proxy request: where it goes, and for a plain HTTP request the head
/// to send there (origin form, `Connection: close`, no `Proxy-*` headers).
#[derive(Debug, PartialEq, Eq)]
struct Request {
    host: String,
    port: u16,
    forward: Option<Vec<u8>>,
}

impl Request {
    fn parse(head: &[u8]) -> Result<Request, String> {
        let text = std::str::from_utf8(head).map_err(|_| "agent: the request head is not text")?;
        let mut lines = text.split("\r\n");
        let first = lines.next().unwrap_or_default();
        let mut words = first.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(format!("agent: not a proxy request: {first:?}"));
        };
        if method == "CONNECT" {
            let (host, port) = host_and_port(target, None)?;
            return Ok(Request {
                host,
                port,
                forward: None,
            });
        }
        let Some(after) = target.strip_prefix("http://") else {
            return Err(format!(
                "agent: only CONNECT and http:// requests: {first:?}"
            ));
        };
        let (authority, path) = after.find('/').map_or((after, "/"), |i| after.split_at(i));
        let (host, port) = host_and_port(authority, Some(80))?;
        let mut forward = format!("{method} {path} {version}\r\n");
        for line in lines.filter(|l| !l.is_empty()) {
            let name = line
                .split(':')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if !name.starts_with("proxy-") && name != "connection" {
                forward.push_str(line);
                forward.push_str("\r\n");
            }
        }
        forward.push_str("Connection: close\r\n\r\n");
        Ok(Request {
            host,
            port,
            forward: Some(forward.into_bytes()),
        })
    }
}

/// `host:port` (or `[v6]:port`), with `default` when the port is left out.
fn host_and_port(authority: &str, default: Option<u16>) -> Result<(String, u16), String> {
    let bad = || format!("agent: not a host and port: {authority:?}");
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => (&authority[..i], Some(&authority[i + 1..])),
        _ => (authority, None),
    };
    let port = match port {
        Some(port) => port.parse().map_err(|_| bad())?,
        None => default.ok_or_else(bad)?,
    };
    if host.is_empty() || host.contains('@') {
        return Err(bad());
    }
    Ok((normal_host(host), port))
}

fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Answers the client with `status` and `why` as the body, then closes.
fn answer(client: &mut impl Client, status: u16, reason: &str, why: &str) {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{why}",
        why.len()
    );
    let _ = client.write_all(response.as_bytes());
    client.close();
}

/// Copies both ways until either side closes: `opening` to the client and
/// `first` to the destination before anything else.
fn tunnel<C: Client>(mut client: C, mut upstream: TcpStream, opening: &[u8], first: &[u8]) {
    if client.write_all(opening).is_err() || upstream.write_all(first).is_err() {
        return;
    }
    relay(client, upstream);
}

/// Copies both ways between `a` and `b` until `b` closes (or `a` ends and
/// `b` then closes), then closes both.
fn relay<A: Client, B: Client>(mut a: A, mut b: B) {
    let (Ok(mut a_in), Ok(mut b_out)) = (a.split(), b.split()) else {
        return;
    };
    let outbound = std::thread::spawn(move || {
        let _ = io::copy(&mut a_in, &mut b_out);
        b_out.close_write();
    });
    let _ = io::copy(&mut b, &mut a);
    a.close();
    b.close();
    let _ = outbound.join();
}

/// Inside the command's network namespace: takes connections on
/// `127.0.0.1:`[`NAMESPACE_PORT`] and passes each to the proxy's Unix
/// socket outside, opened with the proxy's `secret`. Runs until the
/// process is killed.
#[cfg(target_os = "linux")]
pub(crate) fn forward(listener: TcpListener, socket: &Path, secret: &str) -> ! {
    let opening = format!("{secret}\n");
    for client in listener.incoming().flatten() {
        let socket = socket.to_path_buf();
        let opening = opening.clone();
        std::thread::spawn(move || {
            if let Ok(mut proxy) = UnixStream::connect(&socket)
                && proxy.write_all(opening.as_bytes()).is_ok()
            {
                relay(client, proxy);
            }
        });
    }
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_admits_its_host_and_port_only() {
        let exact = Destination::exact("S3.eu-west-1.amazonaws.com.", 443);
        assert!(exact.admits("s3.eu-west-1.amazonaws.com", 443));
        assert!(!exact.admits("s3.eu-west-1.amazonaws.com", 80));
        assert!(!exact.admits("evil.s3.eu-west-1.amazonaws.com", 443));
        let under = Destination::under("s3.eu-west-1.amazonaws.com", 443);
        assert!(under.admits("bucket.s3.eu-west-1.amazonaws.com", 443));
        assert!(!under.admits("s3.eu-west-1.amazonaws.com", 443));
        assert!(!under.admits("evils3.eu-west-1.amazonaws.com", 443));
        assert!(!under.admits(".s3.eu-west-1.amazonaws.com", 443));
        assert!(!under.admits("s3.eu-west-1.amazonaws.com.evil.com", 443));
    }

    #[test]
    fn connect_and_absolute_requests_name_their_destination() {
        let connect = Request::parse(b"CONNECT sts.amazonaws.com:443 HTTP/1.1\r\nHost: x").unwrap();
        assert_eq!(
            (connect.host.as_str(), connect.port),
            ("sts.amazonaws.com", 443)
        );
        assert_eq!(connect.forward, None);
        let get = Request::parse(
            b"GET http://127.0.0.1:5000/a?b HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nProxy-Authorization: x\r\nConnection: keep-alive",
        )
        .unwrap();
        assert_eq!((get.host.as_str(), get.port), ("127.0.0.1", 5000));
        let forward = String::from_utf8(get.forward.unwrap()).unwrap();
        assert_eq!(
            forward,
            "GET /a?b HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nConnection: close\r\n\r\n"
        );
        let v6 = Request::parse(b"CONNECT [::1]:8443 HTTP/1.1").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8443));
    }

    #[test]
    fn a_socket_client_without_the_secret_gets_nothing() {
        let proxy = EgressProxy::start(vec![Destination::exact("127.0.0.1", 1)]).unwrap();
        let mut stranger = UnixStream::connect(proxy.socket()).unwrap();
        stranger
            .write_all(b"CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        stranger.shutdown(Shutdown::Write).unwrap();
        let mut answer = String::new();
        let _ = stranger.read_to_string(&mut answer);
        assert_eq!(answer, "");
        let mut forwarder = UnixStream::connect(proxy.socket()).unwrap();
        let opening = format!("{}\nCONNECT 10.0.0.1:1 HTTP/1.1\r\n\r\n", proxy.secret());
        forwarder.write_all(opening.as_bytes()).unwrap();
        let _ = forwarder.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    }

    #[test]
    fn requests_that_hide_or_lack_a_destination_are_refused() {
        for head in [
            &b"GET /relative HTTP/1.1"[..],
            b"GET https://s3.amazonaws.com/ HTTP/1.1",
            b"CONNECT s3.amazonaws.com HTTP/1.1",
            b"CONNECT user@evil.com:443 HTTP/1.1",
            b"GET http://evil.com@s3.amazonaws.com/ HTTP/1.1",
            b"CONNECT s3.amazonaws.com:443 HTTP/1.1 extra",
            b"CONNECT s3.amazonaws.com:99999 HTTP/1.1",
        ] {
            assert!(
                Request::parse(head).is_err(),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
