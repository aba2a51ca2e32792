//! The people who use the console and the API, and how they prove who they
//! are: users with a role, argon2id passwords, sign-in with lockout,
//! sessions (with their CSRF token) and per-user API tokens.
//!
//! Tokens (session and API) are 256 random bits handed out once; only their
//! SHA-256 digest is stored, so a copy of the database opens no session.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::DbError;

/// What a user may do. Each role can do what the ones below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Works the staff queue, sees live calls and transcripts.
    Staff,
    /// Also listens to, guides, barges into and takes over live calls.
    Supervisor,
    /// Also manages users.
    Admin,
}

impl Role {
    /// Column value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
        }
    }

    /// The role named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "staff" => Some(Self::Staff),
            "supervisor" => Some(Self::Supervisor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Whether this role may join a live call (listen, whisper, barge in, take over).
    pub fn may_join_calls(self) -> bool {
        self >= Self::Supervisor
    }
}

/// A user, as the server knows them after authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Role.
    pub role: Role,
}

impl User {
    /// How the user appears in the audit log.
    pub fn actor(&self) -> String {
        format!("user:{}", self.username)
    }
}

/// A row of `switchboard users list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    /// The user.
    #[serde(flatten)]
    pub user: User,
    /// Signed-in refused.
    pub disabled: bool,
    /// Locked after failed sign-ins until then.
    pub locked_until: Option<DateTime<Utc>>,
    /// Whether the user has a password (service users have tokens only).
    pub has_password: bool,
}

/// A signed-in session, as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The cookie value (shown once, stored hashed).
    pub token: String,
    /// The CSRF token every state-changing request of the session carries.
    pub csrf: String,
    /// The user.
    pub user: User,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// A live session found by its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: User,
    /// Its CSRF token.
    pub csrf: String,
}

/// Sign-in and session rules.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failed sign-ins in a row before the account locks.
    pub max_failures: i32,
    /// How long it stays locked.
    pub lockout: Duration,
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after sign-in whatever happens.
    pub absolute: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout: Duration::from_secs(15 * 60),
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
        }
    }
}

/// Why a sign-in or an account change was refused.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Unknown user or wrong password (the two are not told apart).
    #[error("wrong username or password")]
    BadCredentials,
    /// Too many failed sign-ins.
    #[error("account locked after repeated failed sign-ins; try again after {until}")]
    Locked {
        /// When it unlocks.
        until: DateTime<Utc>,
    },
    /// The username is not of lowercase letters, digits, `.`, `_`, `-` (2–64).
    #[error("username must be 2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")]
    BadUsername,
    /// The password is too short.
    #[error("password must be at least 12 characters")]
    WeakPassword,
    /// The username is taken.
    #[error("user {0} already exists")]
    Exists(String),
    /// No such user.
    #[error("no user {0}")]
    NoSuchUser(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for UsersError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for UsersError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Db(e.into())
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// A fresh 256-bit token, URL-safe.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Hashes `password` with argon2id (off the async runtime: it is meant to be slow).
pub async fn hash_password(password: String) -> Result<String, UsersError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| UsersError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| UsersError::Hash(e.to_string()))?
}

/// Whether `password` matches the PHC string `hash` (off the runtime).
async fn password_matches(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, verified against for unknown users so that a
/// sign-in takes as long whether or not the user exists.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3dpdGNoYm9hcmRkZWNveQ$2CtIVXWkP3lN0f8bt4cmcMCwE4E3iQeHDNHEBeI2hwE";

fn valid_username(u: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    (2..=64).contains(&u.len()) && u.chars().all(ok_char) && u.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

fn user_of(r: &tokio_postgres::Row, at: usize) -> User {
    User {
        id: r.get(at),
        username: r.get(at + 1),
        role: Role::parse(r.get(at + 2)).unwrap_or(Role::Staff),
    }
}

/// Adds a user with a password; returns its id.
pub async fn add(pool: &Pool, username: &str, role: Role, password: &str) -> Result<i64, UsersError> {
    if !valid_username(username) {
        return Err(UsersError::BadUsername);
    }
    if password.chars().count() < MIN_PASSWORD {
        return Err(UsersError::WeakPassword);
    }
    let hash = hash_password(password.to_owned()).await?;
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "INSERT INTO console_users (username, role, password_hash) VALUES ($1, $2, $3)
             ON CONFLICT (username) DO NOTHING RETURNING id",
            &[&username, &role.label(), &hash],
        )
        .await?;
    row.map(|r| r.get(0))
        .ok_or_else(|| UsersError::Exists(username.to_owned()))
}

/// Every user, by name.
pub async fn list(pool: &Pool) -> Result<Vec<UserRow>, UsersError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, username, role, disabled, locked_until, password_hash IS NOT NULL
             FROM console_users ORDER BY username",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| UserRow {
            user: user_of(r, 0),
            disabled: r.get(3),
            locked_until: r.get(4),
            has_password: r.get(5),
        })
        .collect())
}

/// Disables (or enables again) a user; disabling also ends their sessions
/// and revokes their API tokens.
pub async fn set_disabled(pool: &Pool, username: &str, disabled: bool) -> Result<(), UsersError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE console_users SET disabled = $2, failed_signins = 0, locked_until = NULL
             WHERE username = $1 RETURNING id",
            &[&username, &disabled],
        )
        .await?
        .ok_or_else(|| UsersError::NoSuchUser(username.to_owned()))?;
    let id: i64 = row.get(0);
    if disabled {
        tx.execute("DELETE FROM console_sessions WHERE user_id = $1", &[&id])
            .await?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Issues an API token for a user (shown once); `label` says what it is for.
pub async fn issue_token(pool: &Pool, username: &str, label: &str) -> Result<String, UsersError> {
    let token = new_token();
    let client = pool.get().await?;
    let n = client
        .execute(
            "INSERT INTO api_tokens (token_hash, user_id, label)
             SELECT $1, id, $3 FROM console_users WHERE username = $2",
            &[&digest(&token), &username, &label],
        )
        .await?;
    if n == 0 {
        return Err(UsersError::NoSuchUser(username.to_owned()));
    }
    Ok(token)
}

/// Makes `token` (configured by the operator, e.g. `SWITCHBOARD_API_TOKEN`)
/// the API token of the token-only user `username` with `role`, creating
/// the user if needed. Idempotent.
pub async fn ensure_service_token(pool: &Pool, username: &str, role: Role, token: &str) -> Result<(), UsersError> {
    if !valid_username(username) {
        return Err(UsersError::BadUsername);
    }
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO console_users (username, role) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING",
            &[&username, &role.label()],
        )
        .await?;
    client
        .execute(
            "INSERT INTO api_tokens (token_hash, user_id, label)
             SELECT $1, id, 'configured' FROM console_users WHERE username = $2
             ON CONFLICT (token_hash) DO NOTHING",
            &[&digest(token), &username],
        )
        .await?;
    Ok(())
}

/// The enabled user whose unrevoked API token this is.
pub async fn by_token(pool: &Pool, token: &str) -> Result<Option<User>, UsersError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT u.id, u.username, u.role FROM api_tokens t JOIN console_users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled",
            &[&digest(token)],
        )
        .await?;
    Ok(row.map(|r| user_of(&r, 0)))
}

/// Checks a password and opens a session. Failures count towards the
/// lockout; a success resets the count.
pub async fn sign_in(
    pool: &Pool,
    username: &str,
    password: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<NewSession, UsersError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, username, role, password_hash, disabled, locked_until FROM console_users WHERE username = $1",
            &[&username],
        )
        .await?;
    let Some(row) = row else {
        password_matches(password.to_owned(), DECOY_HASH.to_owned()).await;
        return Err(UsersError::BadCredentials);
    };
    let user = user_of(&row, 0);
    let hash: Option<String> = row.get(3);
    let disabled: bool = row.get(4);
    let locked_until: Option<DateTime<Utc>> = row.get(5);
    if let Some(until) = locked_until.filter(|u| *u > now) {
        return Err(UsersError::Locked { until });
    }
    let ok = password_matches(password.to_owned(), hash.unwrap_or_else(|| DECOY_HASH.to_owned())).await;
    if !ok || disabled {
        let lock_at = policy.max_failures;
        let until = now + chrono::Duration::from_std(policy.lockout).unwrap_or_default();
        let row = client
            .query_one(
                "UPDATE console_users
                 SET failed_signins = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1
                                           ELSE failed_signins + 1 END,
                     locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN NULL
                                         ELSE locked_until END
                 WHERE id = $1 RETURNING failed_signins",
                &[&user.id, &now],
            )
            .await?;
        let failures: i32 = row.get(0);
        if failures >= lock_at {
            client
                .execute(
                    "UPDATE console_users SET locked_until = $2, failed_signins = 0 WHERE id = $1",
                    &[&user.id, &until],
                )
                .await?;
            return Err(UsersError::Locked { until });
        }
        return Err(UsersError::BadCredentials);
    }
    client
        .execute(
            "UPDATE console_users SET failed_signins = 0, locked_until = NULL WHERE id = $1",
            &[&user.id],
        )
        .await?;
    let token = new_token();
    let csrf = new_token();
    let expires_at = now + chrono::Duration::from_std(policy.absolute).unwrap_or_default();
    client
        .execute(
            "INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, last_seen, expires_at)
             VALUES ($1, $2, $3, $4, $4, $5)",
            &[&digest(&token), &user.id, &csrf, &now, &expires_at],
        )
        .await?;
    Ok(NewSession {
        token,
        csrf,
        user,
        expires_at,
    })
}

/// The live session of this cookie value, touched as used now; `None` when
/// it is unknown, idle too long, past its end, or its user is disabled.
pub async fn session(
    pool: &Pool,
    token: &str,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Result<Option<Session>, UsersError> {
    let idle_since = now - chrono::Duration::from_std(policy.idle).unwrap_or_default();
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "UPDATE console_sessions s SET last_seen = $2
             FROM console_users u
             WHERE s.token_hash = $1 AND u.id = s.user_id AND NOT u.disabled
               AND s.expires_at > $2 AND s.last_seen > $3
             RETURNING u.id, u.username, u.role, s.csrf_token",
            &[&digest(token), &now, &idle_since],
        )
        .await?;
    Ok(row.map(|r| Session {
        user: user_of(&r, 0),
        csrf: r.get(3),
    }))
}

/// Whether the session of this cookie value is still live, without
/// counting this as use (for long-lived feeds, which must end with it).
pub async fn session_alive(pool: &Pool, token: &str, policy: &Policy, now: DateTime<Utc>) -> Result<bool, UsersError> {
    let idle_since = now - chrono::Duration::from_std(policy.idle).unwrap_or_default();
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT 1 FROM console_sessions s JOIN console_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND NOT u.disabled AND s.expires_at > $2 AND s.last_seen > $3",
            &[&digest(token), &now, &idle_since],
        )
        .await?;
    Ok(row.is_some())
}

/// Ends a session.
pub async fn sign_out(pool: &Pool, token: &str) -> Result<(), UsersError> {
    let client = pool.get().await?;
    client
        .execute("DELETE FROM console_sessions WHERE token_hash = $1", &[&digest(token)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain() {
        assert!(valid_username("ana.supervisor"));
        assert!(valid_username("b2"));
        assert!(!valid_username("A"));
        assert!(!valid_username("Ana"));
        assert!(!valid_username("-x"));
        assert!(!valid_username("a b"));
    }

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.may_join_calls());
        assert!(Role::Supervisor.may_join_calls());
        assert!(!Role::Staff.may_join_calls());
        assert_eq!(Role::parse("supervisor"), Some(Role::Supervisor));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }

    #[tokio::test]
    async fn the_decoy_hash_parses_and_matches_nothing() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!password_matches("password".into(), DECOY_HASH.into()).await);
    }
}
