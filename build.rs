//! Builds the web UI (`ui/`, Vite) into `$OUT_DIR/ui`, which `src/ui.rs` embeds in the binary.
//! Needs Node 20+ and npm; `SIGHTLINE_SKIP_UI=1` builds without the UI (the binary then says
//! so at `/`). Dependencies are installed with `npm ci` into `ui/node_modules` when missing or
//! older than `ui/package-lock.json`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui");
    for input in [
        "ui/src",
        "ui/index.html",
        "ui/package.json",
        "ui/package-lock.json",
        "ui/vite.config.ts",
        "ui/tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed=SIGHTLINE_SKIP_UI");
    std::fs::create_dir_all(&out).expect("creating the UI output directory");
    if std::env::var_os("SIGHTLINE_SKIP_UI").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(
            out.join("index.html"),
            "<!doctype html><title>Sightline</title><p>This binary was built without its web UI \
             (SIGHTLINE_SKIP_UI). The APIs are all here.</p>\n",
        )
        .expect("writing the placeholder page");
        return;
    }
    let ui = Path::new("ui");
    let installed = ui.join("node_modules/.package-lock.json");
    let lock = ui.join("package-lock.json");
    let stale = match (installed.metadata(), lock.metadata()) {
        (Ok(installed), Ok(lock)) => match (installed.modified(), lock.modified()) {
            (Ok(installed), Ok(lock)) => lock > installed,
            _ => true,
        },
        _ => true,
    };
    if stale {
        run(
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]),
            ui,
        );
    }
    run(
        Command::new("npm")
            .args(["run", "build", "--silent"])
            .env("SIGHTLINE_UI_OUT", &out),
        ui,
    );
}

fn run(command: &mut Command, dir: &Path) {
    let shown = format!("{command:?}");
    let output = command.current_dir(dir).output().unwrap_or_else(|e| {
        panic!(
            "{shown} in {}: {e}\nbuilding the web UI needs Node 20+ and npm \
             (or set SIGHTLINE_SKIP_UI=1 to build without it)",
            dir.display()
        )
    });
    if !output.status.success() {
        panic!(
            "{shown} in {} failed:\n{}\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
