//! What every long-running command shares: the search index directory, the HTTP server with
//! graceful shutdown, and the ingest-rate meter.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use pulse_index::SearchIndex;
use pulse_ingest::PipelineStats;

use crate::config::IndexSection;

/// Opens an empty search index under the state directory. Trend state is rebuilt from the source
/// on every start, so the index is emptied to match it.
pub fn fresh_index(settings: &IndexSection) -> Result<Arc<SearchIndex>> {
    let dir = settings.state_dir.join("index");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot reset {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Arc::new(SearchIndex::open(&dir, settings.index_config())?))
}

/// Serves `app` on `listen` until SIGINT/SIGTERM or until `stop` is set (a pipeline thread
/// failed or finished), finishing open requests; sets `stop` on the way out. `on_listening` runs
/// once the socket is bound (with its address); `stats` gets its ingest rate measured.
pub fn serve_http(
    app: Router,
    listen: SocketAddr,
    stats: Option<Arc<PipelineStats>>,
    stop: Arc<AtomicBool>,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        on_listening(listener.local_addr()?);
        if let Some(stats) = stats {
            tokio::spawn(measure_rate(stats));
        }
        let stopped = stop.clone();
        let shutdown = async move {
            tokio::select! {
                () = shutdown_signal() => {},
                () = async {
                    while !stopped.load(Ordering::Acquire) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                } => {},
            }
        };
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        stop.store(true, Ordering::Release);
        served?;
        anyhow::Ok(())
    })
}

/// Posts analysed per second, measured once a second.
async fn measure_rate(stats: Arc<PipelineStats>) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut last = stats.posts_analyzed.load(Ordering::Relaxed);
    let mut at = tokio::time::Instant::now();
    loop {
        ticker.tick().await;
        stats.sample_rate(&mut last, at.elapsed());
        at = tokio::time::Instant::now();
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
