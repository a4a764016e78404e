//! The HTTP server: accepts connections under limits and always shuts down within a deadline.
//!
//! `axum::serve` has no header-read timeout, no connection cap and waits for every open
//! connection on shutdown, so one open event stream or one half-sent request kept the process
//! alive forever. Here each connection is served by hyper's HTTP/1 builder with a timer (a client
//! that has not sent a whole request head within [`Limits::header_timeout`] is disconnected, which
//! also closes idle keep-alive connections), at most [`Limits::max_connections`] are open at once
//! (one more gets a 503 JSON error and is closed), and on shutdown the listener closes, event
//! streams end ([`Shutdown`]), idle connections close, and whatever is still open after
//! [`Limits::shutdown_grace`] is dropped.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// What a server accepts, and how long it waits on shutdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Longest a client may take to send a request head (and longest an idle keep-alive
    /// connection stays open).
    pub header_timeout: Duration,
    /// Connections open at once; one more is refused with a 503.
    pub max_connections: usize,
    /// Event streams (`/v1/stream`) open at once; one more is refused with a 503.
    pub max_streams: usize,
    /// Longest shutdown waits for open requests before closing them.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_streams: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Connections served and refused, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections refused because [`Limits::max_connections`] were open.
    pub refused: AtomicU64,
}

/// The signal that the server is stopping: the accept loop and every event stream wait on it.
#[derive(Debug, Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(false)))
    }
}

impl Shutdown {
    /// Starts the shutdown (idempotent).
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// Whether the shutdown has started.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the shutdown has started.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut receiver = self.0.subscribe();
        async move {
            // The sender lives in `self`, which outlives no receiver's purpose: an error means
            // every handle is gone, and then nothing can still be waiting for a shutdown.
            let _ = receiver.wait_for(|stopping| *stopping).await;
        }
    }
}

/// What a server shares with the state behind it: its shutdown signal and its connection counts.
#[derive(Debug, Clone, Default)]
pub struct Front {
    /// Fired when the server starts shutting down.
    pub shutdown: Shutdown,
    /// Connections served and refused.
    pub connections: Arc<ConnectionStats>,
}

/// The body of the 503 sent to a connection over the cap.
const REFUSED: &str = "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"the server has as many open connections as it accepts; retry later\"}}";

/// Serves `app` on `listener` until `front.shutdown` is triggered, then lets open requests finish
/// for at most `limits.shutdown_grace`.
pub async fn serve(listener: TcpListener, app: Router, limits: &Limits, front: Front) {
    let Front { shutdown, connections: stats } = front;
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let stopping = shutdown.wait();
    tokio::pin!(stopping);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, most likely: wait for connections to close.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(refuse(stream));
            continue;
        };
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        let stats = stats.clone();
        stats.open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            open = stats.open.load(Ordering::Relaxed),
            "connections still open after the shutdown grace period are closed"
        );
    }
}

/// Answers a connection over the cap with a 503 JSON error and closes it.
async fn refuse(mut stream: TcpStream) {
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{REFUSED}",
        REFUSED.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(response.as_bytes())).await;
    let _ = stream.shutdown().await;
}
