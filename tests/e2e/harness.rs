//! Runs the real `sightline` binary for end-to-end tests: loopback ports chosen by the server
//! (port 0, read back from its "ready" log line, so parallel tests never collide), a temporary
//! data directory, a config file, readiness waiting, SIGTERM and SIGKILL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `sightline serve`.
pub struct Server {
    child: Option<Child>,
    /// Data directory (WAL and blocks).
    pub data_dir: PathBuf,
    /// OTLP/gRPC address.
    pub grpc: SocketAddr,
    /// OTLP/HTTP address.
    pub otlp_http: SocketAddr,
    /// Query API address.
    pub http: SocketAddr,
    log: PathBuf,
    config: String,
    env: Vec<(String, String)>,
}

impl Server {
    /// Starts a server on `data_dir` with extra TOML configuration, and waits until ready.
    pub async fn start(data_dir: &Path, config: &str) -> Server {
        Self::start_with_env(data_dir, config, &[]).await
    }

    /// Like [`Server::start`], with extra environment variables for the server.
    pub async fn start_with_env(data_dir: &Path, config: &str, env: &[(&str, &str)]) -> Server {
        let unbound = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut server = Server {
            child: None,
            data_dir: data_dir.to_path_buf(),
            grpc: unbound,
            otlp_http: unbound,
            http: unbound,
            log: data_dir.join("server.log"),
            config: config.to_string(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        std::fs::create_dir_all(&self.data_dir).unwrap();
        let config_path = self.data_dir.join("sightline.toml");
        std::fs::write(&config_path, &self.config).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let log_offset = log.metadata().unwrap().len() as usize;
        let mut command = Command::new(env!("CARGO_BIN_EXE_sightline"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(self.data_dir.join("data"))
            .args(["--otlp-grpc-addr", "127.0.0.1:0"])
            .args(["--otlp-http-addr", "127.0.0.1:0"])
            .args(["--http-addr", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log);
        // The server reads SIGHTLINE_* as configuration; keep the test environment out of it.
        for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("SIGHTLINE_")) {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        self.child = Some(command.spawn().expect("starting sightline"));
        self.read_addresses(log_offset).await;
        self.wait_ready().await;
    }

    /// Waits for the "sightline is ready" line written after `offset` and takes the bound
    /// addresses from it.
    async fn read_addresses(&mut self, offset: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.log_text();
            if let Some(line) = text
                .get(offset..)
                .and_then(|t| t.lines().find(|l| l.contains("sightline is ready")))
            {
                let field = |name: &str| -> SocketAddr {
                    let start = line
                        .find(&format!(" {name}="))
                        .expect("address in the ready line")
                        + name.len()
                        + 2;
                    line[start..]
                        .split_whitespace()
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap()
                };
                self.grpc = field("otlp_grpc");
                self.otlp_http = field("otlp_http");
                self.http = field("http");
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("sightline exited with {status} before becoming ready:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "sightline not ready after 30 s:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `/ready` answers 200 (panics with the server log after 30 s).
    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Ok(response) = client.get(self.url("/ready")).send().await
                && response.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "sightline exited with {status} before becoming ready:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "sightline not ready after 30 s:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// URL on the query port.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
    }

    /// URL on the OTLP/HTTP port.
    pub fn otlp_url(&self, path: &str) -> String {
        format!("http://{}{}", self.otlp_http, path)
    }

    /// The OTLP/gRPC endpoint.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGHUP (reload).
    pub fn sighup(&self) {
        let pid = self
            .child
            .as_ref()
            .expect("server running")
            .id()
            .to_string();
        Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server running");
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!(
                    "sightline did not stop within 60 s of SIGTERM:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same data directory (ports may change).
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        self.spawn().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
