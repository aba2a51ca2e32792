//! The REST subset the server uses, under `/2010-04-01/Accounts/{AccountSid}/`:
//! `Calls.json` (create), `Calls/{CallSid}.json` (fetch, update with
//! `Twiml`, `Url`/`Method` or `Status`), `Messages.json` (create). HTTP basic
//! auth with the account SID and auth token, or an API key and its secret;
//! form-encoded requests; resources and errors as Twilio's JSON
//! (`{"code", "message", "more_info", "status"}`). Every request is recorded.
//!
//! Routing is by hand (one fallback handler) because Twilio's paths end in
//! `{Sid}.json`, a partial segment the router does not capture.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::ids::new_sid;
use crate::records::{CallRecord, MessageRecord, RequestRecord};
use crate::state::{Control, Shared, Source};
use crate::status::StatusHook;
use crate::twiml::Method;

/// A Twilio error answer.
struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

/// The router of the simulated API.
pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(shared)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: HttpMethod,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = std::time::Instant::now();
    let path = uri.path().to_owned();
    let raw = if method == HttpMethod::GET {
        uri.query().unwrap_or_default().as_bytes().to_vec()
    } else {
        body.to_vec()
    };
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&raw).unwrap_or_default();
    let user = basic_user(&headers).map(|(u, _)| u);
    let result = route(&shared, &method, &path, &headers, &params);
    let response = match result {
        Ok((status, v)) => (status, axum::Json(v)).into_response(),
        Err(e) => e.into_response(),
    };
    if let Ok(mut log) = shared.requests.lock() {
        log.push(RequestRecord {
            method: method.to_string(),
            path,
            params,
            user,
            status: response.status().as_u16(),
            at,
        });
    }
    response
}

/// The user name and password of a basic `Authorization` header.
fn basic_user(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let b64 = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let denied = || ApiError::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    let (user, pass) = basic_user(headers).ok_or_else(denied)?;
    let cfg = &shared.cfg;
    let account = user == cfg.account_sid && pass == cfg.auth_token;
    let key = cfg.api_key.as_ref().is_some_and(|(k, s)| *k == user && *s == pass);
    if account || key { Ok(()) } else { Err(denied()) }
}

fn route(
    shared: &Arc<Shared>,
    method: &HttpMethod,
    path: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Result<(StatusCode, Value), ApiError> {
    let rest = path
        .strip_prefix("/2010-04-01/Accounts/")
        .ok_or_else(|| ApiError::not_found(path))?;
    authenticate(shared, headers)?;
    let (account, resource) = rest.split_once('/').ok_or_else(|| ApiError::not_found(path))?;
    if account != shared.cfg.account_sid {
        return Err(ApiError::not_found(path));
    }
    let sid = shared.cfg.account_sid.clone();
    match (method.clone(), resource) {
        (HttpMethod::POST, "Calls.json") => create_call(shared, params).map(|r| (StatusCode::CREATED, r.to_json(&sid))),
        (HttpMethod::POST, "Messages.json") => {
            create_message(shared, params).map(|m| (StatusCode::CREATED, m.to_json(&sid)))
        }
        (m, r) if r.starts_with("Calls/") && r.ends_with(".json") && !r[6..].contains('/') => {
            let call_sid = &r[6..r.len() - 5];
            match m {
                HttpMethod::GET => shared
                    .call(call_sid)
                    .map(|c| (StatusCode::OK, c.to_json(&sid)))
                    .ok_or_else(|| ApiError::not_found(path)),
                HttpMethod::POST => {
                    update_call(shared, call_sid, path, params).map(|c| (StatusCode::OK, c.to_json(&sid)))
                }
                _ => Err(ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    20004,
                    "Method not allowed",
                )),
            }
        }
        _ => Err(ApiError::not_found(path)),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn http_method(params: &[(String, String)], name: &str) -> Result<Method, ApiError> {
    match param(params, name) {
        None => Ok(Method::Post),
        Some(m) if m.eq_ignore_ascii_case("POST") => Ok(Method::Post),
        Some(m) if m.eq_ignore_ascii_case("GET") => Ok(Method::Get),
        Some(m) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            21205,
            format!("{name} {m:?} is not GET or POST"),
        )),
    }
}

/// What TwiML a create or update names (`Twiml` wins over `Url`).
fn source(params: &[(String, String)]) -> Result<Option<Source>, ApiError> {
    if let Some(t) = param(params, "Twiml") {
        crate::twiml::parse(t)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, 21232, format!("Twiml is not valid: {e}")))?;
        return Ok(Some(Source::Inline(t.to_owned())));
    }
    if let Some(u) = param(params, "Url") {
        let url = reqwest::Url::parse(u)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, 21205, format!("Url is not a valid URL: {e}")))?;
        return Ok(Some(Source::Url {
            url: url.to_string(),
            method: http_method(params, "Method")?,
            extra: Vec::new(),
        }));
    }
    Ok(None)
}

fn create_call(shared: &Arc<Shared>, params: &[(String, String)]) -> Result<CallRecord, ApiError> {
    let need = |name: &str, code: u32| {
        param(params, name).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                code,
                format!("A '{name}' phone number is required."),
            )
        })
    };
    let to = need("To", 21201)?.to_owned();
    let from = need("From", 21213)?.to_owned();
    let source = source(params)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            21205,
            "Either a 'Url' or 'Twiml' parameter is required.",
        )
    })?;
    let timeout = match param(params, "Timeout") {
        None => 60,
        Some(t) => t
            .parse::<u64>()
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, 21216, format!("Timeout {t:?} is not a number")))?
            .clamp(1, 600),
    };
    let hook = match param(params, "StatusCallback") {
        None => None,
        Some(url) => {
            let events: Vec<String> = params
                .iter()
                .filter(|(k, _)| k == "StatusCallbackEvent")
                .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned))
                .collect();
            Some(StatusHook::new(
                shared.hooks.clone(),
                &shared.cfg.account_sid,
                url.to_owned(),
                http_method(params, "StatusCallbackMethod")?,
                events,
            ))
        }
    };
    let record = CallRecord {
        sid: new_sid("CA"),
        parent_call_sid: None,
        to,
        from,
        status: "queued".into(),
        direction: "outbound-api".into(),
        created: SystemTime::now(),
        started: None,
        ended: None,
    };
    let ctl = shared.add_call(record.clone());
    let task = crate::outbound::run(
        shared.clone(),
        record.sid.clone(),
        source,
        hook,
        Duration::from_secs(timeout),
        ctl,
    );
    tokio::spawn(task);
    Ok(record)
}

fn update_call(shared: &Shared, sid: &str, path: &str, params: &[(String, String)]) -> Result<CallRecord, ApiError> {
    let record = shared.call(sid).ok_or_else(|| ApiError::not_found(path))?;
    let control = match param(params, "Status") {
        Some("completed") => Control::End("completed"),
        Some("canceled") => Control::End("canceled"),
        Some(s) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                21218,
                format!("Status {s:?} is not completed or canceled"),
            ));
        }
        None => match source(params)? {
            Some(s) => Control::Redirect(s),
            None => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    21205,
                    "Either a 'Url', 'Twiml' or 'Status' parameter is required.",
                ));
            }
        },
    };
    let sender = {
        let calls = shared.calls.lock().map_err(|_| ApiError::not_found(path))?;
        calls.get(sid).and_then(|e| e.control.clone())
    };
    let delivered = sender.is_some_and(|tx| tx.send(control).is_ok());
    if !delivered || record.is_over() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            21220,
            "Call is not in-progress. Cannot redirect.",
        ));
    }
    Ok(shared.call(sid).unwrap_or(record))
}

fn create_message(shared: &Shared, params: &[(String, String)]) -> Result<MessageRecord, ApiError> {
    let to = param(params, "To")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, 21604, "A 'To' phone number is required."))?;
    let from = param(params, "From")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, 21603, "A 'From' phone number is required."))?;
    let body = param(params, "Body")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, 21602, "Message body is required."))?;
    if body.chars().count() > 1600 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            21617,
            "The concatenated message body exceeds the 1600 character limit.",
        ));
    }
    let m = MessageRecord {
        sid: new_sid("SM"),
        to: to.to_owned(),
        from: from.to_owned(),
        body: body.to_owned(),
        created: SystemTime::now(),
    };
    if let Ok(mut ms) = shared.messages.lock() {
        ms.push(m.clone());
    }
    Ok(m)
}
