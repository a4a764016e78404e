//! Scheduling priority for background threads.
//!
//! `pulse serve` ingests (replay, analysis, indexing) on the same cores that answer queries. When
//! both want the CPU, a query should not queue behind a batch of posts: ingest keeps up with a
//! backlog later, a user's request does not get that second chance. Ingest threads therefore run
//! at a lower priority ([`BACKGROUND_NICE`]); they still get every cycle the queries leave, so on
//! an idle API nothing changes. Measured in `benches/RESULTS.md` (HTTP under load).

/// How much lower than the process's own priority background threads run (nice +10, capped at
/// 19, the lowest): a background thread's CPU share then weighs about a tenth of a normal
/// thread's when both are runnable.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread (and the threads it starts later, which inherit it) by
/// [`BACKGROUND_NICE`]. Linux applies nice values per thread; elsewhere this does nothing.
/// Returns the OS's refusal (e.g. under a seccomp policy) instead of failing the thread:
/// priority is an optimisation, so callers log it and go on.
pub fn lower_current_thread() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let me = Some(rustix::thread::gettid());
        let now = rustix::process::getpriority_process(me)?;
        rustix::process::setpriority_process(me, (now + BACKGROUND_NICE).min(19))?;
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn only_the_calling_thread_is_lowered() {
        let main = rustix::process::getpriority_process(None).unwrap();
        let lowered = std::thread::spawn(|| {
            lower_current_thread().unwrap();
            let tid = rustix::thread::gettid();
            let child =
                std::thread::spawn(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap());
            (rustix::process::getpriority_process(Some(tid)).unwrap(), child.join().unwrap())
        })
        .join()
        .unwrap();
        let expected = (main + BACKGROUND_NICE).min(19);
        assert_eq!(lowered, (expected, expected));
        assert_eq!(rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap(), main);
    }
}
