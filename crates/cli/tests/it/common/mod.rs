//! What the command-line tests share.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Reads a starting server's output up to the line that says where it listens, and gives
/// that address (`127.0.0.1:port`); the lines after it are left to the caller.
pub fn listening_address<R: BufRead>(lines: &mut std::io::Lines<R>) -> String {
    loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .expect("line");
        if let Some(rest) = line.split("http://").nth(1) {
            return rest.split('/').next().unwrap_or_default().to_string();
        }
    }
}

/// Starts `dualtrack serve` of the built binary on a free port of 127.0.0.1, with these
/// settings in its environment; gives the child and the address it listens on. What it
/// prints after that is read and dropped, so that it never blocks on a full pipe.
pub fn spawn_server(db: &str, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dualtrack"));
    cmd.args(["--db", db, "serve", "--listen", "127.0.0.1:0"])
        .env_remove("DUALTRACK_DB");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = listening_address(&mut lines);
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}
