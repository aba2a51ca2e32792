//! A private PostgreSQL cluster for when no `DATABASE_URL` is given: created
//! with `initdb` under a data directory, started with `pg_ctl` on a Unix
//! socket only (no TCP port), stopped when dropped.
//!
//! Written here because the crates that embed PostgreSQL download server
//! binaries at build or run time; this one drives the installed ones.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::DbError;

/// PostgreSQL refuses to run as root: the cluster then belongs to this user.
const SERVICE_USER: &str = "postgres";
/// Port number that names the socket file (`.s.PGSQL.<port>`); no TCP.
const PORT: u16 = 5432;

/// A running private cluster.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data: PathBuf,
    socket_dir: PathBuf,
    bin: PathBuf,
    as_user: Option<&'static str>,
    running: bool,
    /// `Some(port)`: also listen on 127.0.0.1:port (throwaway test clusters).
    tcp: Option<u16>,
    log: PathBuf,
}

impl EmbeddedPostgres {
    /// Starts (creating if needed) the cluster under `root` (`root/data` and
    /// `root/run`). Idempotent across runs: an existing cluster is reused, a
    /// stale server left by a crash is stopped first.
    pub fn start(root: &Path) -> Result<Self, DbError> {
        Self::start_with(root, None)
    }

    /// Like [`start`](Self::start), and with `Some(port)` also listening on
    /// 127.0.0.1:`port` (the throwaway clusters of the outage tests).
    pub fn start_with(root: &Path, tcp: Option<u16>) -> Result<Self, DbError> {
        let bin = find_bin_dir()?;
        std::fs::create_dir_all(root).map_err(|e| DbError::Embedded(format!("creating {}: {e}", root.display())))?;
        let root = root
            .canonicalize()
            .map_err(|e| DbError::Embedded(format!("resolving {}: {e}", root.display())))?;
        let data = root.join("data");
        let socket_dir = root.join("run");
        std::fs::create_dir_all(&socket_dir)
            .map_err(|e| DbError::Embedded(format!("creating {}: {e}", socket_dir.display())))?;
        let as_user = is_root().then_some(SERVICE_USER);
        if let Some(user) = as_user {
            // The service user must own the cluster and reach the socket dir.
            let status = Command::new("chown")
                .args([&format!("{user}:"), root.to_str().unwrap_or_default()])
                .status();
            run_ok(status, "chown")?;
            let status = Command::new("chown")
                .args([&format!("{user}:"), socket_dir.to_str().unwrap_or_default()])
                .status();
            run_ok(status, "chown")?;
        }
        let mut pg = Self {
            data,
            socket_dir,
            bin,
            as_user,
            running: false,
            tcp,
            log: root.join("postgres.log"),
        };
        if !pg.data.join("PG_VERSION").exists() {
            pg.run_tool(
                "initdb",
                &[
                    "-D",
                    path_str(&pg.data)?,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
            )?;
        }
        if pg.data.join("postmaster.pid").exists() {
            // Left by a crash or another process: stop it (ignore failure).
            let _ = pg.run_tool("pg_ctl", &["-D", path_str(&pg.data)?, "-m", "fast", "-w", "stop"]);
            let _ = std::fs::remove_file(pg.data.join("postmaster.pid"));
        }
        pg.launch()?;
        Ok(pg)
    }

    fn launch(&mut self) -> Result<(), DbError> {
        let (listen, port) = match self.tcp {
            Some(p) => ("127.0.0.1", p),
            None => ("", PORT),
        };
        let opts = format!(
            "-c listen_addresses='{listen}' -k {} -p {port} -c max_connections=200 -c fsync=on",
            path_str(&self.socket_dir)?
        );
        self.run_tool(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data)?,
                "-o",
                &opts,
                "-l",
                path_str(&self.log)?,
                "-w",
                "-t",
                "30",
                "start",
            ],
        )?;
        self.running = true;
        Ok(())
    }

    /// Starts the server again after [`stop`](Self::stop).
    pub fn restart(&mut self) -> Result<(), DbError> {
        if self.running {
            return Ok(());
        }
        self.launch()
    }

    /// Connection string for the `postgres` database on the socket.
    pub fn url(&self) -> String {
        match self.tcp {
            Some(port) => format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
            None => format!(
                "host={} port={PORT} user=postgres dbname=postgres",
                self.socket_dir.display()
            ),
        }
    }

    /// Stops the server (also done on drop).
    pub fn stop(&mut self) {
        if self.running {
            self.running = false;
            if let Ok(d) = path_str(&self.data) {
                let _ = self.run_tool("pg_ctl", &["-D", d, "-m", "fast", "-w", "stop"]);
            }
        }
    }

    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<(), DbError> {
        let exe = self.bin.join(tool);
        let output = match self.as_user {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&exe)
                .args(args)
                .output(),
            None => Command::new(&exe).args(args).output(),
        }
        .map_err(|e| DbError::Embedded(format!("running {}: {e}", exe.display())))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(DbError::Embedded(format!(
                "{tool} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run_ok(status: std::io::Result<std::process::ExitStatus>, what: &str) -> Result<(), DbError> {
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(DbError::Embedded(format!("{what} failed ({s})"))),
        Err(e) => Err(DbError::Embedded(format!("{what}: {e}"))),
    }
}

fn path_str(p: &Path) -> Result<&str, DbError> {
    p.to_str()
        .ok_or_else(|| DbError::Embedded(format!("path is not UTF-8: {}", p.display())))
}

fn is_root() -> bool {
    // SAFETY-free check: the effective uid is in /proc/self/status on Linux;
    // fall back to $USER.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or_else(|| std::env::var("USER").is_ok_and(|u| u == "root"))
}

/// The installed server binaries: `$PG_BIN`, else the newest
/// `/usr/lib/postgresql/<v>/bin`, else `pg_config --bindir`.
fn find_bin_dir() -> Result<PathBuf, DbError> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output();
    match out {
        Ok(o) if o.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            if dir.join("initdb").exists() {
                return Ok(dir);
            }
            Err(DbError::Embedded(format!("no initdb in {}", dir.display())))
        }
        _ => Err(DbError::Embedded(
            "PostgreSQL server binaries not found (install postgresql, set PG_BIN, or set DATABASE_URL)".into(),
        )),
    }
}
