//! Round trips as the wire sees them: a loopback proxy between a tool and its server that
//! counts how often the conversation turns from the server's side back to the client's.
//! With a request-response protocol (PostgreSQL's and MySQL's, as sqlx speaks them),
//! each turn is one round trip, whatever the statements or the messages inside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy: its address, and the turns counted over all its connections.
pub(crate) struct Proxy {
    pub(crate) addr: std::net::SocketAddr,
    turns: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub(crate) async fn start(upstream: String) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let turns = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&turns);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                tokio::spawn(relay(client, server, Arc::clone(&counted)));
            }
        });
        Ok(Self { addr, turns, task })
    }

    /// The round trips counted so far.
    pub(crate) fn round_trips(&self) -> u64 {
        self.turns.load(Ordering::SeqCst)
    }

    /// `url` with its host and port replaced by the proxy's.
    pub(crate) fn url(&self, url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..end];
        let user = authority.rfind('@').map_or("", |at| &authority[..=at]);
        Some(format!("{scheme}://{user}{}{}", self.addr, &rest[end..]))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The host and port of `url`.
pub(crate) fn authority(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    Some(
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, hp)| hp)
            .to_owned(),
    )
}

/// Copies both ways; a chunk from the client after the server last spoke starts a turn.
async fn relay(client: TcpStream, server: TcpStream, turns: Arc<AtomicU64>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    // Whether the server spoke last; the client speaks first on both protocols' own
    // terms, or the server greets first (MySQL): either way the first request counts.
    let server_last = Arc::new(AtomicBool::new(true));
    let up = {
        let server_last = Arc::clone(&server_last);
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match client_read.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if server_last.swap(false, Ordering::SeqCst) {
                    turns.fetch_add(1, Ordering::SeqCst);
                }
                if server_write.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = server_write.shutdown().await;
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            server_last.store(true, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(up, down);
}
