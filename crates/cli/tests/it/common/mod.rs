//! What the command-line tests share.

use std::io::BufRead;

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
