//! What every long-running command shares: the search index directory, the HTTP server with
//! graceful shutdown, and the ingest-rate meter.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use pulse_api::server::{Front, Shutdown};
use pulse_index::SearchIndex;
use pulse_ingest::PipelineStats;

use crate::config::{HttpConfig, IndexSection};

/// The state directory held by this process: an exclusive advisory lock on `pulse.lock` in it,
/// released when the process ends (however it ends). Keep it alive as long as the index is used.
pub struct StateLock {
    _file: std::fs::File,
}

/// Locks the state directory, then opens an empty search index under it: a process that
/// rebuilds its trend state from its source on every start (a query node) empties the index to
/// match it — which is why a second process on the same directory must be refused before it
/// touches anything.
pub fn fresh_index(settings: &IndexSection) -> Result<(Arc<SearchIndex>, StateLock)> {
    let lock = lock_state_dir(&settings.state_dir)?;
    Ok((empty_index(settings)?, lock))
}

/// The search index under the (locked) state directory, emptied first.
pub fn empty_index(settings: &IndexSection) -> Result<Arc<SearchIndex>> {
    let dir = settings.state_dir.join("index");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot reset {}", dir.display()))?;
    }
    open_index(settings)
}

/// The search index under the (locked) state directory, with the posts it holds.
pub fn open_index(settings: &IndexSection) -> Result<Arc<SearchIndex>> {
    let dir = settings.state_dir.join("index");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Arc::new(SearchIndex::open(&dir, settings.index_config())?))
}

/// Takes the state directory for this process: an exclusive advisory lock on `pulse.lock` in it.
pub fn lock_state_dir(dir: &std::path::Path) -> Result<StateLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("pulse.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            // The holder's pid, for the message a second process gives.
            let mut file = file;
            file.set_len(0)
                .and_then(|()| writeln!(file, "{}", std::process::id()))
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(StateLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            let pid = if holder.is_empty() { String::new() } else { format!(" (pid {holder})") };
            anyhow::bail!(
                "another pulse process{pid} is using the state directory {} (it holds {}); stop it, or give \
                 this one its own --state-dir",
                dir.display(),
                path.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Serves `app` as `http` says until SIGINT/SIGTERM or until `stop` is set (a pipeline thread
/// failed or finished), then lets open requests finish within the shutdown grace period; sets
/// `stop` on the way out. A second signal exits at once. `on_listening` runs once the socket is
/// bound (with its address); `stats` gets its ingest rate measured.
pub fn serve_http(
    app: Router,
    http: &HttpConfig,
    front: Front,
    stats: Option<Arc<PipelineStats>>,
    stop: Arc<AtomicBool>,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let limits = http.limits()?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(http.listen)
            .await
            .with_context(|| format!("cannot listen on {}", http.listen))?;
        on_listening(listener.local_addr()?);
        if let Some(stats) = stats {
            tokio::spawn(measure_rate(stats));
        }
        tokio::spawn(watch_for_shutdown(front.shutdown.clone(), stop.clone()));
        pulse_api::server::serve(listener, app, &limits, front).await;
        anyhow::Ok(())
    });
    stop.store(true, Ordering::Release);
    // Requests still running on the blocking pool (a search, a report) are not waited for.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

/// Starts the shutdown on the first SIGINT/SIGTERM or when `stop` is set; exits the process at
/// once on a second signal.
async fn watch_for_shutdown(shutdown: Shutdown, stop: Arc<AtomicBool>) {
    tokio::select! {
        () = shutdown_signal() => {},
        () = async {
            while !stop.load(Ordering::Acquire) {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        } => {},
    }
    shutdown.trigger();
    shutdown_signal().await;
    eprintln!("second signal: exiting now");
    std::process::exit(130);
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

/// Resolves at the first SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
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
