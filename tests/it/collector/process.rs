//! The real `codetel collect` binary as a child process: start it, find its address on
//! stderr, signal it, and read everything it printed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `codetel collect`.
pub struct Collector {
    child: Child,
    stderr: Arc<Mutex<Vec<String>>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Starts `codetel collect --http 127.0.0.1:0 --db DB ARGS...` with extra environment
/// variables, and waits until it says where it listens.
pub fn start(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Collector {
    let mut command = Command::new(env!("CARGO_BIN_EXE_codetel"));
    command
        .args(["collect", "--http", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("spawn codetel collect");
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let pipe = child.stderr.take().expect("stderr");
    let lines = stderr.clone();
    let _reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            lines.lock().map(|mut it| it.push(line)).unwrap_or(());
        }
    });
    let started = Instant::now();
    loop {
        let found = stderr
            .lock()
            .ok()
            .and_then(|lines| lines.iter().find_map(|line| line.split("OTLP/HTTP on ").nth(1).map(|it| it.split(' ').next().unwrap_or_default().to_owned())));
        if let Some(base) = found {
            return Collector { child, stderr, base };
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("codetel collect exited with {status}: {:?}", stderr.lock().map(|it| it.clone()).unwrap_or_default());
        }
        assert!(started.elapsed() < Duration::from_secs(60), "codetel collect did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Collector {
    /// Sends a signal by name (`TERM`, `INT`) with `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().expect("kill");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// Waits for the process to exit (bounded).
    pub fn wait(&mut self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread drain the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                self.kill_9();
                panic!("codetel collect did not exit: {:?}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().map(|it| it.clone()).unwrap_or_default()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
