//! Where the tests find the real public datasets (`../shared` on developer machines and CI).

use std::path::PathBuf;

/// `$PULSE_DATA_DIR`, else `../shared/replay-data` next to the repository.
pub fn replay_data() -> PathBuf {
    let dir = std::env::var_os("PULSE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replay-data"));
    assert!(dir.is_dir(), "real datasets not found at {}: set PULSE_DATA_DIR", dir.display());
    dir
}

/// `$PULSE_EVAL_DIR`, else `../shared/eval/sentiment` next to the repository.
pub fn eval_data() -> PathBuf {
    let dir = std::env::var_os("PULSE_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/sentiment"));
    assert!(dir.is_dir(), "evaluation sets not found at {}: set PULSE_EVAL_DIR", dir.display());
    dir
}
