//! TwiML documents as the simulator reads them: the verbs it runs
//! (`<Say>`, `<Play>`, `<Pause>`, `<Redirect>`, `<Hangup>`, `<Connect>`
//! with `<Stream>`, `<Dial>` with `<Number>`/`<Sip>`) and the unknown ones
//! it names and skips. Parsing never panics: bad XML, a root other than
//! `<Response>` or an unusable attribute is a [`TwimlError`].

use std::time::Duration;

/// Why a TwiML document cannot be run (Twilio's error 12100 or 12200).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TwimlError {
    /// Not well-formed XML.
    #[error("TwiML is not well-formed XML: {0}")]
    Xml(String),
    /// The root element is not `<Response>`.
    #[error("TwiML root is <{0}>, not <Response>")]
    NotResponse(String),
    /// A verb with an attribute or content that cannot be used.
    #[error("<{verb}>: {reason}")]
    Invalid {
        /// The verb or noun.
        verb: String,
        /// What is wrong.
        reason: String,
    },
}

/// The HTTP method of a TwiML URL (`method` attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters as a form body (Twilio's default).
    #[default]
    Post,
}

impl Method {
    /// `GET` or `POST`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A `<Stream>` inside `<Connect>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The WebSocket URL.
    pub url: String,
    /// `name`, if given.
    pub name: Option<String>,
    /// The `<Parameter name value>`s, in order.
    pub parameters: Vec<(String, String)>,
}

/// `<Connect>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// Requested when the connected stream ends on its own.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// The stream; `None` when `<Connect>` holds another noun.
    pub stream: Option<Stream>,
    /// Nouns other than `<Stream>` (`Room`, `Conversation`, ...).
    pub other: Vec<String>,
}

/// What a `<Dial>` noun rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// A phone number (`<Number>` or the text of `<Dial>`).
    Number,
    /// A SIP URI (`<Sip>`).
    Sip,
    /// A noun the simulator does not dial (`Client`, `Conference`, `Queue`).
    Other(String),
}

/// One party a `<Dial>` rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialTarget {
    /// Number, SIP URI or other.
    pub kind: TargetKind,
    /// The number or URI (the noun's text, trimmed).
    pub address: String,
    /// TwiML run to the party who answers, before the bridge (the whisper).
    pub url: Option<String>,
    /// How `url` is requested.
    pub method: Method,
    /// Where the dialed leg's status callbacks go.
    pub status_callback: Option<String>,
    /// Which of them (`initiated ringing answered completed`; default `completed`).
    pub status_callback_events: Vec<String>,
}

/// `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// Requested when the dialed leg ends, with `DialCallStatus`.
    pub action: Option<String>,
    /// How `action` is requested.
    pub method: Method,
    /// How long to ring (default 30 s).
    pub timeout: Duration,
    /// The number shown to the party called.
    pub caller_id: Option<String>,
    /// Who is rung, all at once; the first to answer is bridged.
    pub targets: Vec<DialTarget>,
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verb {
    /// `<Say>`: text spoken to the caller, `loops` times.
    Say {
        /// The text.
        text: String,
        /// `voice`, if given.
        voice: Option<String>,
        /// `loop` (at least 1).
        loops: u32,
    },
    /// `<Play>`: DTMF `digits` or an audio `url`.
    Play {
        /// `digits` (`0-9*#w`).
        digits: Option<String>,
        /// The audio URL (the element's text).
        url: Option<String>,
        /// `loop` (at least 1).
        loops: u32,
    },
    /// `<Pause length>` (default 1 s).
    Pause(Duration),
    /// `<Redirect>`: fetch TwiML from `url` and run it instead.
    Redirect {
        /// The URL.
        url: String,
        /// How it is requested.
        method: Method,
    },
    /// `<Hangup/>`.
    Hangup,
    /// `<Connect>`.
    Connect(Connect),
    /// `<Dial>`.
    Dial(Dial),
    /// A verb the simulator does not run (Twilio would answer 12100).
    Unknown(String),
}

/// Parses a TwiML document into its verbs.
pub fn parse(xml: &str) -> Result<Vec<Verb>, TwimlError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| TwimlError::Xml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Response" {
        return Err(TwimlError::NotResponse(root.tag_name().name().to_owned()));
    }
    root.children().filter(|n| n.is_element()).map(verb).collect()
}

fn verb(n: roxmltree::Node<'_, '_>) -> Result<Verb, TwimlError> {
    let name = n.tag_name().name();
    Ok(match name {
        "Say" => Verb::Say {
            text: text(n),
            voice: n.attribute("voice").map(str::to_owned),
            loops: loops(n)?,
        },
        "Play" => {
            let digits = n.attribute("digits").map(str::to_owned);
            if let Some(d) = &digits
                && let Some(bad) = d.chars().find(|c| !c.is_ascii_digit() && !"*#wW".contains(*c))
            {
                return Err(invalid(name, format!("digit {bad:?} is not 0-9, *, # or w")));
            }
            let url = Some(text(n)).filter(|t| !t.is_empty());
            if digits.is_none() && url.is_none() {
                return Err(invalid(name, "neither digits nor a URL".into()));
            }
            Verb::Play {
                digits,
                url,
                loops: loops(n)?,
            }
        }
        "Pause" => Verb::Pause(Duration::from_secs(number(n, "length", 1)?)),
        "Redirect" => {
            let url = text(n);
            if url.is_empty() {
                return Err(invalid(name, "no URL".into()));
            }
            Verb::Redirect {
                url,
                method: method(n)?,
            }
        }
        "Hangup" => Verb::Hangup,
        "Connect" => Verb::Connect(connect(n)?),
        "Dial" => Verb::Dial(dial(n)?),
        other => Verb::Unknown(other.to_owned()),
    })
}

fn connect(n: roxmltree::Node<'_, '_>) -> Result<Connect, TwimlError> {
    let mut c = Connect {
        action: n.attribute("action").map(str::to_owned),
        method: method(n)?,
        stream: None,
        other: Vec::new(),
    };
    for child in n.children().filter(|c| c.is_element()) {
        match child.tag_name().name() {
            "Stream" if c.stream.is_none() => {
                let url = child
                    .attribute("url")
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| invalid("Stream", "no url".into()))?;
                let mut parameters = Vec::new();
                for p in child.children().filter(|p| p.is_element()) {
                    if p.tag_name().name() != "Parameter" {
                        return Err(invalid("Stream", format!("unexpected <{}>", p.tag_name().name())));
                    }
                    let name = p
                        .attribute("name")
                        .ok_or_else(|| invalid("Parameter", "no name".into()))?;
                    parameters.push((name.to_owned(), p.attribute("value").unwrap_or_default().to_owned()));
                }
                c.stream = Some(Stream {
                    url: url.to_owned(),
                    name: child.attribute("name").map(str::to_owned),
                    parameters,
                });
            }
            other => c.other.push(other.to_owned()),
        }
    }
    Ok(c)
}

fn dial(n: roxmltree::Node<'_, '_>) -> Result<Dial, TwimlError> {
    let mut d = Dial {
        action: n.attribute("action").map(str::to_owned),
        method: method(n)?,
        timeout: Duration::from_secs(number(n, "timeout", 30)?),
        caller_id: n.attribute("callerId").map(str::to_owned),
        targets: Vec::new(),
    };
    for child in n.children().filter(|c| c.is_element()) {
        let noun = child.tag_name().name();
        let kind = match noun {
            "Number" => TargetKind::Number,
            "Sip" => TargetKind::Sip,
            other => TargetKind::Other(other.to_owned()),
        };
        let address = text(child);
        if address.is_empty() && matches!(kind, TargetKind::Number | TargetKind::Sip) {
            return Err(invalid(noun, "no number or URI".into()));
        }
        d.targets.push(DialTarget {
            kind,
            address,
            url: child.attribute("url").map(str::to_owned),
            method: method(child)?,
            status_callback: child.attribute("statusCallback").map(str::to_owned),
            status_callback_events: child
                .attribute("statusCallbackEvent")
                .map(|e| {
                    e.split([' ', ','])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_else(|| vec!["completed".to_owned()]),
        });
    }
    if d.targets.is_empty() {
        let number = text(n);
        if number.is_empty() {
            return Err(invalid("Dial", "nothing to dial".into()));
        }
        d.targets.push(DialTarget {
            kind: TargetKind::Number,
            address: number,
            url: None,
            method: Method::Post,
            status_callback: None,
            status_callback_events: vec!["completed".to_owned()],
        });
    }
    Ok(d)
}

/// The element's own text (not its children's), trimmed.
fn text(n: roxmltree::Node<'_, '_>) -> String {
    let t: String = n.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect();
    t.trim().to_owned()
}

fn invalid(verb: &str, reason: String) -> TwimlError {
    TwimlError::Invalid {
        verb: verb.to_owned(),
        reason,
    }
}

fn number(n: roxmltree::Node<'_, '_>, attr: &str, default: u64) -> Result<u64, TwimlError> {
    match n.attribute(attr) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| invalid(n.tag_name().name(), format!("{attr}={v:?} is not a whole number"))),
    }
}

fn loops(n: roxmltree::Node<'_, '_>) -> Result<u32, TwimlError> {
    // `loop="0"` repeats until the call ends; the simulator plays it once.
    let l = number(n, "loop", 1)?;
    Ok(u32::try_from(l.clamp(1, 100)).unwrap_or(1))
}

fn method(n: roxmltree::Node<'_, '_>) -> Result<Method, TwimlError> {
    match n.attribute("method") {
        None => Ok(Method::Post),
        Some(m) if m.eq_ignore_ascii_case("POST") => Ok(Method::Post),
        Some(m) if m.eq_ignore_ascii_case("GET") => Ok(Method::Get),
        Some(m) => Err(invalid(n.tag_name().name(), format!("method={m:?} is not GET or POST"))),
    }
}

#[cfg(test)]
#[path = "twiml_tests.rs"]
mod tests;
