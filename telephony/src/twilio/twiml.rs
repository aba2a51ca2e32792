//! TwiML answers: the documents the server hands Twilio (the stream on an
//! inbound call, the `<Dial>` of a transfer, the whisper to the person who
//! answers, a spoken notice before hanging up).

/// Escapes text for XML content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#;
const TAIL: &str = "</Response>";

/// `<Connect><Stream>` to `stream_url` with the given `<Parameter>`s;
/// `action`: where Twilio asks for the next TwiML when the stream ends.
pub fn connect_stream(stream_url: &str, action: Option<&str>, parameters: &[(&str, &str)]) -> String {
    let mut x = String::from(HEAD);
    match action {
        Some(a) => x.push_str(&format!(r#"<Connect action="{}">"#, escape(a))),
        None => x.push_str("<Connect>"),
    }
    x.push_str(&format!(r#"<Stream url="{}">"#, escape(stream_url)));
    for (name, value) in parameters {
        x.push_str(&format!(
            r#"<Parameter name="{}" value="{}"/>"#,
            escape(name),
            escape(value)
        ));
    }
    x.push_str("</Stream></Connect>");
    x.push_str(TAIL);
    x
}

/// Where a `<Dial>` rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// A phone number (E.164).
    Number(String),
    /// A SIP URI (`sip:desk@pbx.example.com`).
    Sip(String),
}

impl DialTarget {
    /// Parses a configured destination: `sip:`/`sips:` URIs, else a number.
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if s.starts_with("sip:") || s.starts_with("sips:") {
            Self::Sip(s.to_owned())
        } else {
            Self::Number(s.to_owned())
        }
    }
}

/// A `<Dial>` of one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial<'a> {
    /// Who to ring.
    pub target: &'a DialTarget,
    /// Seconds to ring before giving up (Twilio's `timeout`, 5..=600).
    pub timeout_secs: u32,
    /// Requested when the dialed leg ends (`DialCallStatus` tells how).
    pub action: &'a str,
    /// TwiML played to the person who answers before the calls are bridged.
    pub whisper_url: &'a str,
    /// Number shown to the person called; `None`: the caller's own.
    pub caller_id: Option<&'a str>,
}

/// `<Dial>` with a screening (whisper) URL on the number or SIP URI.
pub fn dial(d: &Dial<'_>) -> String {
    let mut x = String::from(HEAD);
    x.push_str(&format!(
        r#"<Dial action="{}" timeout="{}""#,
        escape(d.action),
        d.timeout_secs.clamp(5, 600)
    ));
    if let Some(id) = d.caller_id {
        x.push_str(&format!(r#" callerId="{}""#, escape(id)));
    }
    x.push('>');
    let (verb, to) = match d.target {
        DialTarget::Number(n) => ("Number", n),
        DialTarget::Sip(u) => ("Sip", u),
    };
    x.push_str(&format!(
        r#"<{verb} url="{}">{}</{verb}>"#,
        escape(d.whisper_url),
        escape(to)
    ));
    x.push_str("</Dial>");
    x.push_str(TAIL);
    x
}

/// `<Say>` each sentence, then nothing (the document ends: for a whisper,
/// the calls are bridged).
pub fn say(lines: &[&str]) -> String {
    let mut x = String::from(HEAD);
    for l in lines {
        x.push_str(&format!("<Say>{}</Say>", escape(l)));
    }
    x.push_str(TAIL);
    x
}

/// `<Say>` each sentence, then `<Hangup/>`.
pub fn say_then_hangup(lines: &[&str]) -> String {
    let mut x = String::from(HEAD);
    for l in lines {
        x.push_str(&format!("<Say>{}</Say>", escape(l)));
    }
    x.push_str("<Hangup/>");
    x.push_str(TAIL);
    x
}

/// `<Hangup/>`.
pub fn hangup() -> String {
    format!("{HEAD}<Hangup/>{TAIL}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_twiml_is_escaped() {
        let x = connect_stream("wss://h.example/twilio/media", None, &[("From", "+1555<&>\"")]);
        assert_eq!(
            x,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://h.example/twilio/media"><Parameter name="From" value="+1555&lt;&amp;&gt;&quot;"/></Stream></Connect></Response>"#
        );
        let x = connect_stream("wss://h/m", Some("https://h/a?x=1&y=2"), &[]);
        assert!(x.contains(r#"<Connect action="https://h/a?x=1&amp;y=2"><Stream url="wss://h/m"></Stream>"#));
    }

    #[test]
    fn dial_rings_a_number_or_sip_uri_with_a_whisper() {
        let n = DialTarget::parse(" +15550001001 ");
        let x = dial(&Dial {
            target: &n,
            timeout_secs: 2,
            action: "https://h/twilio/dial-status?k=abc",
            whisper_url: "https://h/twilio/whisper?k=abc",
            caller_id: None,
        });
        assert_eq!(
            x,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://h/twilio/dial-status?k=abc" timeout="5"><Number url="https://h/twilio/whisper?k=abc">+15550001001</Number></Dial></Response>"#
        );
        let s = DialTarget::parse("sip:pharmacist@pbx.example.com");
        assert_eq!(s, DialTarget::Sip("sip:pharmacist@pbx.example.com".into()));
        let x = dial(&Dial {
            target: &s,
            timeout_secs: 20,
            action: "a",
            whisper_url: "w",
            caller_id: Some("+15550000000"),
        });
        assert!(
            x.contains(r#"timeout="20" callerId="+15550000000"><Sip url="w">sip:pharmacist@pbx.example.com</Sip>"#)
        );
    }

    #[test]
    fn notices_say_then_hang_up() {
        assert_eq!(
            say_then_hangup(&["Sorry & goodbye."]),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry &amp; goodbye.</Say><Hangup/></Response>"#
        );
        assert!(say(&["Caller verified."]).ends_with("<Say>Caller verified.</Say></Response>"));
        assert!(hangup().ends_with("<Response><Hangup/></Response>"));
    }
}
