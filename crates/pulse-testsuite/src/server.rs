//! A `pulse` server process for end-to-end tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running server (a command that prints its `http://ADDRESS` on the first line of standard
/// error, as `pulse serve` and `pulse query` do); killed when dropped.
pub struct Served {
    /// The process.
    pub child: Child,
    /// Where it listens, `host:port`.
    pub address: String,
}

impl Served {
    /// Starts `command` and waits for the line naming its address. The rest of standard error is
    /// read on and discarded, so what the server says later (while shutting down, say) never
    /// meets a closed pipe.
    pub fn start(command: &mut Command) -> Self {
        let mut child = command.stderr(Stdio::piped()).spawn().expect("the server starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut first_line = String::new();
        stderr.read_line(&mut first_line).expect("the server writes to standard error");
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let address = first_line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no address in {first_line:?}"))
            .to_string();
        Self { child, address }
    }

    /// `http://ADDRESS`.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
