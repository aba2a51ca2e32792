//! `switchboard users …` as an operator runs it, against a scratch
//! database: add (password from standard input), list, token, disable,
//! enable; bad input refused with a message and a failing exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use functions::db::ScratchDatabase;
use functions::users;

fn users_cli(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("users")
        .args(args)
        .env("DATABASE_URL", url)
        .env("SWITCHBOARD_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the switchboard binary");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_manages_console_users_from_the_command_line() {
    let scratch = ScratchDatabase::create(2).await.expect("scratch database");
    let url = scratch.url.clone();
    let pool = scratch.db.pool.clone();
    let run = move |args: Vec<&'static str>, stdin: &'static str| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || users_cli(&url, &args, stdin))
    };

    let added = run(vec!["add", "ana", "--role", "supervisor"], "a long passphrase\n")
        .await
        .unwrap();
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains("user ana (supervisor) added"));
    // The password read from stdin is the one that signs in.
    let policy = users::Policy::default();
    let now = chrono::Utc::now();
    assert!(
        users::sign_in(&pool, "ana", "a long passphrase", &policy, now)
            .await
            .is_ok()
    );

    // Refused, with the reason: a short password, a bad role, a taken name.
    for (args, stdin, why) in [
        (
            vec!["add", "bob", "--role", "staff"],
            "short\n",
            "at least 12 characters",
        ),
        (
            vec!["add", "bob", "--role", "root"],
            "a long passphrase\n",
            "admin, supervisor or staff",
        ),
        (
            vec!["add", "ana", "--role", "staff"],
            "a long passphrase\n",
            "already exists",
        ),
    ] {
        let o = run(args, stdin).await.unwrap();
        assert!(!o.status.success(), "{}", text(&o));
        assert!(text(&o).contains(why), "{}", text(&o));
    }

    let token = run(vec!["token", "ana", "--label", "cron"], "").await.unwrap();
    assert!(token.status.success(), "{}", text(&token));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert_eq!(
        users::by_token(&pool, &token)
            .await
            .unwrap()
            .map(|u| u.username)
            .as_deref(),
        Some("ana")
    );

    let listed = run(vec!["list"], "").await.unwrap();
    let listing = text(&listed);
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("ana") && l.contains("supervisor") && l.contains("false")),
        "{listing}"
    );

    let disabled = run(vec!["disable", "ana"], "").await.unwrap();
    assert!(disabled.status.success(), "{}", text(&disabled));
    assert!(
        users::by_token(&pool, &token).await.unwrap().is_none(),
        "the token is revoked"
    );
    assert!(
        users::sign_in(&pool, "ana", "a long passphrase", &policy, now)
            .await
            .is_err()
    );
    let enabled = run(vec!["enable", "ana"], "").await.unwrap();
    assert!(enabled.status.success());
    assert!(
        users::sign_in(&pool, "ana", "a long passphrase", &policy, now)
            .await
            .is_ok()
    );
    let missing = run(vec!["disable", "nobody"], "").await.unwrap();
    assert!(
        !missing.status.success() && text(&missing).contains("no user nobody"),
        "{}",
        text(&missing)
    );
}
