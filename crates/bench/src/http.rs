//! The HTTP client of the benchmarks that time the server in this process: one keep-alive
//! HTTP/1.1 connection, enough for JSON requests and answers with a length, so that what is
//! timed is the server and not a client library.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    pub async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (r, w) = s.into_split();
        Ok(Conn {
            r: BufReader::new(r),
            w,
        })
    }

    /// Sends a request with a JSON body (may be empty) and reads the status and the body.
    pub async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> anyhow::Result<(u16, String)> {
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.w.write_all(req.as_bytes()).await?;
        let mut line = String::new();
        self.r.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("无效的响应行：{line}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut buf = vec![0u8; length];
        self.r.read_exact(&mut buf).await?;
        Ok((status, String::from_utf8_lossy(&buf).into_owned()))
    }

    /// Logs in through the API and gives the bearer token (empty if the answer has none).
    pub async fn login(&mut self, username: &str, password: &str) -> anyhow::Result<String> {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                &serde_json::json!({"username": username, "password": password}).to_string(),
            )
            .await?;
        anyhow::ensure!(status == 200, "登录失败：{status} {body}");
        Ok(serde_json::from_str::<serde_json::Value>(&body)?["token"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}
