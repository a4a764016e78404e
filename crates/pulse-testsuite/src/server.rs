//! A `pulse` server process for end-to-end tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running server (a command that prints its `http://ADDRESS` on a line of standard error, as
/// `pulse serve` and `pulse query` do); killed when dropped.
pub struct Served {
    /// The process.
    pub child: Child,
    /// Where it listens, `host:port`.
    pub address: String,
}

impl Served {
    /// Starts `command` and waits for the line naming its address (what comes before it, such as
    /// a note about the checkpoint it resumes from, is skipped). The rest of standard error is
    /// read on and discarded, so what the server says later (while shutting down, say) never
    /// meets a closed pipe.
    pub fn start(command: &mut Command) -> Self {
        let mut child = command.stderr(Stdio::piped()).spawn().expect("the server starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut said = String::new();
        let address = loop {
            let mut line = String::new();
            let read = stderr.read_line(&mut line).expect("the server writes to standard error");
            said.push_str(&line);
            assert!(read > 0, "the server said no address before closing standard error: {said:?}");
            if let Some(address) = line.split_whitespace().find_map(|w| w.strip_prefix("http://")) {
                break address.to_string();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
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
