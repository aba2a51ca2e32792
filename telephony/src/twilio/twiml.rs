//! TwiML answers.

/// Escapes text for an XML attribute value.
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

/// `<Connect><Stream>` to `stream_url` with the given `<Parameter>`s.
pub fn connect_stream(stream_url: &str, parameters: &[(&str, &str)]) -> String {
    let mut x = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect>"#);
    x.push_str(&format!(r#"<Stream url="{}">"#, escape(stream_url)));
    for (name, value) in parameters {
        x.push_str(&format!(
            r#"<Parameter name="{}" value="{}"/>"#,
            escape(name),
            escape(value)
        ));
    }
    x.push_str("</Stream></Connect></Response>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_twiml_is_escaped() {
        let x = connect_stream("wss://h.example/twilio/media", &[("From", "+1555<&>\"")]);
        assert_eq!(
            x,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://h.example/twilio/media"><Parameter name="From" value="+1555&lt;&amp;&gt;&quot;"/></Stream></Connect></Response>"#
        );
    }
}
