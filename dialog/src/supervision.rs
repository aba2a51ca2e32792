//! What a supervisor watching a live call can ask of its dialog: typed
//! guidance the bot acts on at its next turn (the caller never hears the
//! supervisor), taking the call over (the bot goes silent; the
//! supervisor's words are spoken to the caller) and handing it back.

/// One supervisor input to a call's dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Supervisor {
    /// Guidance for the bot's next turn.
    Guide(Guidance),
    /// The bot stops talking and stays silent until [`Supervisor::HandBack`].
    TakeOver,
    /// The conversation goes back to the bot.
    HandBack,
    /// While a supervisor has the call (taken over or barging in): say these
    /// words to the caller (the supervisor's own).
    Speak(String),
    /// The supervisor's microphone joins the call: the bot stops talking and
    /// yields the floor until [`Supervisor::BargeEnded`].
    BargeIn,
    /// The supervisor's microphone left the call: the bot listens again.
    BargeEnded,
}

/// Guidance the bot can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guidance {
    /// Put the caller through to staff now.
    Transfer,
    /// Have staff call the caller back (a task), and tell the caller.
    Callback,
    /// Say these words at the next turn.
    Say(String),
}

/// Longest text a supervisor may have spoken at once.
pub const MAX_SPOKEN: usize = 400;

impl Guidance {
    /// Reads typed guidance ("transfer now", "offer a callback", "say: your
    /// copay card number is …"); `None` when it is none of these (the
    /// console then says what the bot can do).
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        let lower = t.to_lowercase();
        for prefix in ["say:", "say ", "tell them ", "tell the caller ", "tell caller "] {
            if lower.starts_with(prefix) {
                let rest = t[prefix.len()..].trim().trim_start_matches(':').trim();
                if rest.is_empty() || rest.chars().count() > MAX_SPOKEN {
                    return None;
                }
                return Some(Self::Say(rest.to_owned()));
            }
        }
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |w: &str| words.contains(&w);
        if has("callback") || (has("call") && has("back")) {
            return Some(Self::Callback);
        }
        if has("transfer")
            || has("escalate")
            || ((has("connect") || has("put"))
                && (has("person") || has("human") || has("staff") || has("pharmacist") || has("through")))
        {
            return Some(Self::Transfer);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guidance_reads_as_typed() {
        assert_eq!(Guidance::parse("transfer now"), Some(Guidance::Transfer));
        assert_eq!(
            Guidance::parse("Please connect them to a person"),
            Some(Guidance::Transfer)
        );
        assert_eq!(Guidance::parse("offer a callback"), Some(Guidance::Callback));
        assert_eq!(Guidance::parse("have someone call back"), Some(Guidance::Callback));
        assert_eq!(
            Guidance::parse("say: The copay card number is 4 4 1 2."),
            Some(Guidance::Say("The copay card number is 4 4 1 2.".into()))
        );
        assert_eq!(
            Guidance::parse("Tell them we open at 9"),
            Some(Guidance::Say("we open at 9".into()))
        );
        assert_eq!(Guidance::parse("be nicer"), None);
        assert_eq!(Guidance::parse("say:"), None);
        assert_eq!(Guidance::parse("   "), None);
    }
}
