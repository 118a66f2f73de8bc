//! The command line and configuration of the real binary: unknown keys are refused with their
//! name, `SIGHTLINE_*` variables override the file, flags override both.

use std::process::Command;

use crate::harness::Server;

#[test]
fn unknown_configuration_keys_are_refused_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[receiver]\nmax_request_bytez = 10\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("SIGHTLINE_DATA_DIR")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("max_request_bytez"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .arg("serve")
        .env("SIGHTLINE_MEMORY_LIMIT", "5")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("memory_limit"));
}

#[tokio::test]
async fn environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    // The file asks for multi-tenancy off and an 8 MiB body limit; the environment turns
    // multi-tenancy on; the harness's flags choose the ports and data directory.
    let server = Server::start_with_env(
        dir.path(),
        "[receiver]\nmultitenancy_enabled = false\nmax_request_bytes = 8388608\n",
        &[("SIGHTLINE_RECEIVER__MULTITENANCY_ENABLED", "true")],
    )
    .await;
    let response = reqwest::Client::new()
        .post(server.otlp_url("/v1/traces"))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        401,
        "multi-tenancy was turned on by the environment"
    );
    assert!(
        server.data_dir.join("data/wal").exists(),
        "--data-dir was used"
    );
}

#[tokio::test]
async fn buildinfo_and_echo() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "").await;
    let info: serde_json::Value = reqwest::get(server.url("/api/status/buildinfo"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in [
        "version",
        "revision",
        "branch",
        "buildUser",
        "buildDate",
        "goVersion",
    ] {
        assert!(info.get(key).is_some(), "buildinfo has {key}: {info}");
    }
    assert_eq!(
        reqwest::get(server.url("/api/echo"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "echo"
    );
    assert_eq!(
        reqwest::get(server.url("/health")).await.unwrap().status(),
        200
    );
}
