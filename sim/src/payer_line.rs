//! A payer's provider line, driven by a script file: phone menus answered
//! by keys (played on the call with `<Play digits>`) or by speech, entries
//! collected digit by digit and checked, hold with music, silence and
//! announcements, and a representative who answers what the bot asks.
//!
//! The line hears the bot through [`Ears`] (a speech recogniser the test
//! supplies) and speaks with flite. Its state lives across the call's media
//! streams: keys end one stream and the next one carries on where the menu
//! went.
//!
//! # Script format (TOML)
//! ```toml
//! name = "Acme Health provider services"
//! voice = "slt"            # flite voice of the recordings
//! rep_voice = "awb"        # flite voice of the representative
//! start = "main"           # the first node
//! menu_timeout_s = 6.0     # quiet after a prompt before it is repeated
//! menu_repeats = 3         # repeats before the line says goodbye and hangs up
//!
//! [[menu]]                 # a menu: keys and spoken words lead to nodes
//! id = "main"
//! prompt = "For claims, press 1. For pharmacy benefits, press 2."
//! keys = { "1" = "claims", "2" = "npi" }
//! speech = { "pharmacy" = "npi" }
//!
//! [[menu]]                 # an entry: up to `collect` digits, then `#`
//! id = "npi"
//! prompt = "Please enter the provider's ten digit N P I, followed by the pound sign."
//! collect = 10
//! expect = "1234567893"    # optional: anything else is refused and asked again
//! next = "hold"
//!
//! [[hold]]                 # music (seconds of tones), silence, announcements
//! id = "hold"
//! segments = [{ music = 4.0 }, { say = "Your call is important to us." }, { silence = 2.0 }]
//! next = "rep"
//!
//! [rep]                    # the person: a greeting, then answers
//! id = "rep"
//! greeting = "Thank you for holding, this is Dana. Can I have the member ID?"
//! after_identifiers = "Okay, I have her. What can I help you with?"
//! fallback = "Sorry, could you repeat that?"
//! [[rep.answer]]           # said when the bot's words contain any of `when`
//! when = ["coverage", "active"]
//! say = "Yes, it's active."
//! again = "It is active, yes."   # optional: said when asked the same again
//!
//! [[rep.check]]            # at the read-back ("To confirm: …"): where the bot
//! about = ["deductible"]   # names `about`, that part must hold every `right`
//! right = ["1500", "250|two fifty"]   # (`|` separates ways of saying it)
//! wrong = ["no deductible"]           # and none of `wrong`
//! say = "No, the deductible is fifteen hundred, and she's met two fifty."
//! ```
//!
//! A read-back is checked part by part (the bot's words split at commas and
//! full stops; digits compared without their thousands commas): each check
//! judges the first part that names one of its `about`, the rep corrects
//! the first check whose part lacks its `right`, and confirms only a
//! read-back with nothing wrong in it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::caller::{Responder, Step};
use crate::error::SimError;

/// A speech recogniser for what the bot says (8 kHz PCM in, words out).
pub type Ears = Arc<dyn Fn(&[i16]) -> String + Send + Sync>;

/// A payer line's script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerScript {
    /// Who answers.
    pub name: String,
    /// flite voice of the recordings.
    #[serde(default = "default_voice")]
    pub voice: String,
    /// flite voice of the representative.
    #[serde(default = "default_rep_voice")]
    pub rep_voice: String,
    /// The first node.
    pub start: String,
    /// Quiet after a prompt before it is repeated.
    #[serde(default = "default_menu_timeout")]
    pub menu_timeout_s: f64,
    /// Repeats of a prompt before the line gives up.
    #[serde(default = "default_menu_repeats")]
    pub menu_repeats: u32,
    /// Menus and entries.
    #[serde(default)]
    pub menu: Vec<Menu>,
    /// Hold queues.
    #[serde(default)]
    pub hold: Vec<Hold>,
    /// The representative.
    pub rep: Option<Rep>,
    /// What the rep's answers mean, for tests to compare with what the bot
    /// understood (field name → value); the line itself ignores it.
    #[serde(default)]
    pub truth: std::collections::BTreeMap<String, toml::Value>,
}

fn default_voice() -> String {
    "slt".into()
}
fn default_rep_voice() -> String {
    "awb".into()
}
fn default_menu_timeout() -> f64 {
    6.0
}
fn default_menu_repeats() -> u32 {
    3
}

/// A menu or an entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    /// Node id.
    pub id: String,
    /// What the line says.
    pub prompt: String,
    /// Key → node.
    #[serde(default)]
    pub keys: HashMap<String, String>,
    /// Spoken word → node.
    #[serde(default)]
    pub speech: HashMap<String, String>,
    /// Most digits of an entry, which `#` ends (more is refused).
    pub collect: Option<usize>,
    /// The entry that is accepted; others are refused.
    pub expect: Option<String>,
    /// Where an entry leads.
    pub next: Option<String>,
}

/// One part of a hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Seconds of music.
    pub music: Option<f64>,
    /// Seconds of silence.
    pub silence: Option<f64>,
    /// An announcement.
    pub say: Option<String>,
}

/// A hold queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// Node id.
    pub id: String,
    /// Played in order.
    pub segments: Vec<Segment>,
    /// Where the hold leads (usually the rep).
    pub next: String,
}

/// The representative.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rep {
    /// Node id.
    pub id: String,
    /// First words on picking up.
    pub greeting: String,
    /// Said after the bot's first reply (the identifiers).
    pub after_identifiers: String,
    /// Said when nothing matches.
    #[serde(default = "default_fallback")]
    pub fallback: String,
    /// Answers, each used once.
    #[serde(default)]
    pub answer: Vec<Answer>,
    /// Said when the bot says goodbye; then the rep hangs up.
    #[serde(default = "default_bye")]
    pub bye: String,
    /// What the rep checks when the bot reads the answers back.
    #[serde(default)]
    pub check: Vec<Check>,
}

/// A value the rep checks at the read-back.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Words that name the part of the read-back (any of them).
    pub about: Vec<String>,
    /// What that part must hold, each one (alternatives split by `|`).
    #[serde(default)]
    pub right: Vec<String>,
    /// What that part must not hold (any of them).
    #[serde(default)]
    pub wrong: Vec<String>,
    /// The rep's correction when it does not.
    pub say: String,
}

impl Check {
    /// Whether a read-back part that names this check says it right;
    /// `None` when `part` does not name it.
    fn judge(&self, part: &str) -> Option<bool> {
        if !self.about.iter().any(|a| part.contains(&a.to_lowercase())) {
            return None;
        }
        if self.wrong.iter().any(|w| part.contains(&w.to_lowercase())) {
            return Some(false);
        }
        let squeezed: String = part.chars().filter(|c| c.is_alphanumeric()).collect();
        Some(self.right.iter().all(|r| {
            r.split('|').any(|alt| {
                let alt = alt.to_lowercase();
                let alt_squeezed: String = alt.chars().filter(|c| c.is_alphanumeric()).collect();
                part.contains(&alt) || squeezed.contains(&alt_squeezed)
            })
        }))
    }
}

/// The parts of a read-back as the rep hears them: lower case, thousands
/// commas and dollar signs dropped, split at commas, colons and full stops.
fn readback_parts(heard: &str) -> Vec<String> {
    let chars: Vec<char> = heard.to_lowercase().chars().collect();
    let mut clean = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let digit = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(char::is_ascii_digit);
        if (c == ',' || c == '.') && digit(i.checked_sub(1)) && digit(Some(i + 1)) {
            continue;
        }
        if c != '$' {
            clean.push(c);
        }
    }
    clean
        .split([',', '.', ':', ';', '?'])
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Whether the bot is reading the answers back.
fn is_readback(words: &str) -> bool {
    words.contains("to confirm") || words.contains("is that correct") || words.contains("is that right")
}

fn default_fallback() -> String {
    "Sorry, could you repeat that?".into()
}
fn default_bye() -> String {
    "You're welcome. Bye now.".into()
}

/// One answer of the rep.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// Said when the bot's words contain any of these (lower case).
    pub when: Vec<String>,
    /// What the rep says.
    pub say: String,
    /// What the rep says when asked the same again (another phrasing).
    pub again: Option<String>,
    /// Said first, before the answer ("Let me check, one moment."), with a
    /// pause of `hold_s` after it.
    pub hold_first: Option<String>,
    /// The pause after `hold_first`.
    #[serde(default)]
    pub hold_s: f64,
}

impl PayerScript {
    /// Reads a script file.
    pub fn load(path: &std::path::Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Script(format!("{}: {e}", path.display())))?;
        Self::parse(&text)
    }

    /// Parses a script; every node a key, entry or hold leads to must exist.
    pub fn parse(text: &str) -> Result<Self, SimError> {
        let s: Self = toml::from_str(text).map_err(|e| SimError::Script(e.to_string()))?;
        let ids: Vec<&str> = s
            .menu
            .iter()
            .map(|m| m.id.as_str())
            .chain(s.hold.iter().map(|h| h.id.as_str()))
            .chain(s.rep.iter().map(|r| r.id.as_str()))
            .collect();
        let targets = s
            .menu
            .iter()
            .flat_map(|m| m.keys.values().chain(m.speech.values()).chain(m.next.iter()))
            .chain(s.hold.iter().map(|h| &h.next))
            .chain(std::iter::once(&s.start));
        for t in targets {
            if !ids.contains(&t.as_str()) {
                return Err(SimError::Script(format!("node {t:?} is named but not defined")));
            }
        }
        Ok(s)
    }
}

/// What the line has done, for the test's report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineLog {
    /// Nodes entered, in order.
    pub nodes: Vec<String>,
    /// Keys received (each `<Play digits>`).
    pub keys: Vec<String>,
    /// What the line heard the bot say.
    pub heard: Vec<String>,
    /// What the line said.
    pub said: Vec<String>,
    /// Corrections the rep made at read-backs.
    pub corrections: Vec<String>,
}

/// Where the line is.
#[derive(Debug, Clone, PartialEq)]
enum At {
    Menu {
        id: String,
        repeats: u32,
    },
    Hold {
        id: String,
    },
    Rep {
        identified: bool,
        used: Vec<bool>,
        done: bool,
    },
    Gone,
}

/// A payer line on one call.
pub struct PayerLine {
    script: Arc<PayerScript>,
    ears: Ears,
    at: At,
    entered: String,
    quiet: Duration,
    log: Arc<std::sync::Mutex<LineLog>>,
    /// The line drops the call when it reaches a hold (a line that drops).
    drop_on_hold: bool,
}

impl PayerLine {
    /// A line following `script`, hearing with `ears`; `log` collects what
    /// happened.
    pub fn new(script: Arc<PayerScript>, ears: Ears, log: Arc<std::sync::Mutex<LineLog>>) -> Self {
        let start = script.start.clone();
        let mut line = Self {
            script,
            ears,
            at: At::Gone,
            entered: String::new(),
            quiet: Duration::ZERO,
            log,
            drop_on_hold: false,
        };
        line.enter(&start);
        line
    }

    /// The same line, dropping the call when it puts it on hold.
    pub fn dropping_on_hold(mut self) -> Self {
        self.drop_on_hold = true;
        self
    }

    fn note(&self, f: impl FnOnce(&mut LineLog)) {
        if let Ok(mut l) = self.log.lock() {
            f(&mut l);
        }
    }

    fn enter(&mut self, id: &str) {
        let id = id.to_owned();
        self.note(|l| l.nodes.push(id.clone()));
        self.entered.clear();
        self.at = if self.script.menu.iter().any(|m| m.id == id) {
            At::Menu { id, repeats: 0 }
        } else if self.script.hold.iter().any(|h| h.id == id) {
            At::Hold { id }
        } else {
            let n = self.script.rep.as_ref().map_or(0, |r| r.answer.len());
            At::Rep {
                identified: false,
                used: vec![false; n],
                done: false,
            }
        };
    }

    fn say(&self, text: &str, voice: &str) -> Step {
        let t = text.to_owned();
        self.note(|l| l.said.push(t));
        let audio = crate::voice::speak_ulaw(text, voice).unwrap_or_else(|_| vec![0xFF; 8000]);
        Step::Say {
            text: text.to_owned(),
            audio,
        }
    }

    /// What the current node plays.
    fn play(&mut self) -> Vec<Step> {
        let script = self.script.clone();
        match &self.at {
            At::Menu { id, .. } => {
                let m = script.menu.iter().find(|m| &m.id == id);
                m.map(|m| vec![self.say(&m.prompt, &script.voice)]).unwrap_or_default()
            }
            At::Hold { id } => {
                let Some(h) = script.hold.iter().find(|h| &h.id == id) else {
                    return Vec::new();
                };
                if self.drop_on_hold {
                    let id = id.clone();
                    self.note(|l| l.nodes.push(format!("{id} (dropped)")));
                    self.at = At::Gone;
                    return vec![Step::Pause(Duration::from_secs(1)), Step::HangUp];
                }
                let mut steps = Vec::new();
                for s in &h.segments {
                    if let Some(m) = s.music {
                        steps.push(Step::Say {
                            text: "(music)".into(),
                            audio: music(m),
                        });
                    }
                    if let Some(q) = s.silence {
                        steps.push(Step::Pause(Duration::from_secs_f64(q)));
                    }
                    if let Some(t) = &s.say {
                        steps.push(self.say(t, &script.voice));
                    }
                }
                let next = h.next.clone();
                self.enter(&next);
                steps.extend(self.play());
                steps
            }
            At::Rep { .. } => script
                .rep
                .as_ref()
                .map(|r| vec![self.say(&r.greeting, &script.rep_voice)])
                .unwrap_or_default(),
            At::Gone => Vec::new(),
        }
    }

    fn menu(&self) -> Option<&Menu> {
        match &self.at {
            At::Menu { id, .. } => self.script.menu.iter().find(|m| &m.id == id),
            _ => None,
        }
    }
}

/// Hold music: a slow four-note tune of two-tone chords, at a phone level.
fn music(secs: f64) -> Vec<u8> {
    let n = (secs * 8000.0) as usize;
    let notes = [(262.0, 330.0), (294.0, 370.0), (330.0, 415.0), (349.0, 440.0)];
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let (a, b) = notes[(t * 2.0) as usize % notes.len()];
            let v =
                0.18 * (2.0 * std::f64::consts::PI * a * t).sin() + 0.12 * (2.0 * std::f64::consts::PI * b * t).sin();
            media::mulaw::encode((v * 32767.0) as i16)
        })
        .collect()
}

impl std::fmt::Debug for PayerLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerLine")
            .field("line", &self.script.name)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl Responder for PayerLine {
    fn connected(&mut self) -> Vec<Step> {
        self.quiet = Duration::ZERO;
        // After keys, the node they led to; a call's first stream, the start.
        self.play()
    }

    fn digits(&mut self, digits: &str) {
        let d = digits.to_owned();
        self.note(|l| l.keys.push(d));
        for c in digits.chars().filter(|c| *c != 'w' && *c != 'W') {
            let Some(m) = self.menu().cloned() else {
                return;
            };
            match m.collect {
                Some(n) => {
                    if c != '#' {
                        self.entered.push(c);
                    }
                    if c == '#' || self.entered.len() > n {
                        let ok = c == '#'
                            && !self.entered.is_empty()
                            && m.expect.as_ref().is_none_or(|e| *e == self.entered);
                        self.entered.clear();
                        if ok && let Some(next) = &m.next {
                            self.enter(next);
                        }
                    }
                }
                None => {
                    if let Some(next) = m.keys.get(&c.to_string()) {
                        self.enter(next);
                    }
                }
            }
        }
    }

    fn bot_turn(&mut self, pcm: &[i16]) -> Vec<Step> {
        self.quiet = Duration::ZERO;
        let heard = (self.ears)(pcm);
        let h = heard.clone();
        self.note(|l| l.heard.push(h));
        let words = heard.to_lowercase();
        let script = self.script.clone();
        match self.at.clone() {
            At::Menu { .. } => {
                let Some(m) = self.menu().cloned() else {
                    return Vec::new();
                };
                match m.speech.iter().find(|(w, _)| words.contains(w.as_str())) {
                    Some((_, next)) => {
                        let next = next.clone();
                        self.enter(&next);
                        self.play()
                    }
                    None => Vec::new(),
                }
            }
            At::Rep {
                identified,
                mut used,
                done,
            } => {
                let Some(rep) = script.rep.as_ref() else {
                    return Vec::new();
                };
                if done {
                    return Vec::new();
                }
                // "Sure, I'll hold": nothing to answer.
                if words.contains("hold") && words.split_whitespace().count() <= 5 {
                    return Vec::new();
                }
                if words.contains("goodbye") || words.contains("good bye") {
                    self.at = At::Rep {
                        identified,
                        used,
                        done: true,
                    };
                    return vec![
                        self.say(&rep.bye, &script.rep_voice),
                        Step::Pause(Duration::from_millis(500)),
                        Step::HangUp,
                    ];
                }
                if identified && is_readback(&words) {
                    let parts = readback_parts(&words);
                    // Each check judges the first part that names it.
                    let wrong = rep
                        .check
                        .iter()
                        .find(|c| parts.iter().find_map(|p| c.judge(p)) == Some(false));
                    if let Some(c) = wrong {
                        let say = c.say.clone();
                        self.note(|l| l.corrections.push(say.clone()));
                        return vec![self.say(&say, &script.rep_voice)];
                    }
                }
                if !identified {
                    self.at = At::Rep {
                        identified: true,
                        used,
                        done,
                    };
                    return vec![self.say(&rep.after_identifiers, &script.rep_voice)];
                }
                let matching = |fresh: bool| {
                    rep.answer
                        .iter()
                        .enumerate()
                        .filter(|(i, a)| used[*i] != fresh && a.when.iter().any(|w| words.contains(&w.to_lowercase())))
                        .max_by_key(|(_, a)| a.when.iter().filter(|w| words.contains(&w.to_lowercase())).count())
                        .map(|(i, _)| i)
                };
                // A question not answered yet, else one asked again.
                let pick = matching(true).or_else(|| matching(false));
                let steps = match pick {
                    Some(i) => {
                        let first_time = !used[i];
                        used[i] = true;
                        let a = &rep.answer[i];
                        let mut steps = Vec::new();
                        if first_time && let Some(h) = &a.hold_first {
                            steps.push(self.say(h, &script.rep_voice));
                            steps.push(Step::Pause(Duration::from_secs_f64(a.hold_s)));
                        }
                        let words = match (&a.again, first_time) {
                            (Some(again), false) => again,
                            _ => &a.say,
                        };
                        steps.push(self.say(words, &script.rep_voice));
                        steps
                    }
                    None => vec![self.say(&rep.fallback, &script.rep_voice)],
                };
                self.at = At::Rep { identified, used, done };
                steps
            }
            At::Hold { .. } | At::Gone => Vec::new(),
        }
    }

    fn idle(&mut self, quiet: Duration) -> Vec<Step> {
        self.quiet = quiet;
        let timeout = Duration::from_secs_f64(self.script.menu_timeout_s);
        let At::Menu { id, repeats } = self.at.clone() else {
            return Vec::new();
        };
        if quiet < timeout {
            return Vec::new();
        }
        if repeats + 1 >= self.script.menu_repeats {
            self.at = At::Gone;
            let voice = self.script.voice.clone();
            return vec![
                self.say("We did not receive a valid response. Goodbye.", &voice),
                Step::HangUp,
            ];
        }
        self.at = At::Menu {
            id,
            repeats: repeats + 1,
        };
        self.entered.clear();
        self.play()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = r#"
name = "Test line"
start = "rep"
[rep]
id = "rep"
greeting = "This is Dana, member ID please?"
after_identifiers = "Found her."
[[rep.answer]]
when = ["confirm", "correct"]
say = "Yes, that's all correct."
[[rep.check]]
about = ["deductible"]
right = ["1500", "250|two fifty"]
say = "No, the deductible is fifteen hundred, and she's met two fifty."
[[rep.check]]
about = ["reference"]
right = ["44719"]
say = "The reference number is R E F 4 4 7 1 9."
[[rep.check]]
about = ["prior authorization"]
wrong = ["no prior"]
say = "No, prior authorization is required."
"#;

    fn said(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Say { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// A line at the rep, identified, hearing what `heard` holds in turn.
    fn line(heard: Vec<&'static str>) -> (PayerLine, Arc<std::sync::Mutex<LineLog>>) {
        let queue = std::sync::Mutex::new(heard.into_iter());
        let ears: Ears = Arc::new(move |_: &[i16]| queue.lock().unwrap().next().unwrap_or_default().to_owned());
        let log = Arc::default();
        let script = Arc::new(PayerScript::parse(SCRIPT).unwrap());
        (PayerLine::new(script, ears, Arc::clone(&log)), log)
    }

    #[test]
    fn the_rep_corrects_a_wrong_value_read_back_and_confirms_a_right_one() {
        let (mut l, log) = line(vec![
            "The member ID is W 1 2 3.",
            "To confirm: coverage is active, a deductible of $1,500 with $250 met, no prior authorization. Is that correct?",
            "To confirm: coverage is active, a deductible of $1,500 with $350 met, reference number R E F 4 4 7 1 9. Is that correct?",
            "To confirm: coverage is active, a deductible of $1,500 with $250 met, reference number REF-44719. Is that correct?",
        ]);
        assert_eq!(said(&l.bot_turn(&[])), ["Found her."]);
        assert_eq!(said(&l.bot_turn(&[])), ["No, prior authorization is required."]);
        assert_eq!(
            said(&l.bot_turn(&[])),
            ["No, the deductible is fifteen hundred, and she's met two fifty."]
        );
        assert_eq!(said(&l.bot_turn(&[])), ["Yes, that's all correct."]);
        assert_eq!(log.lock().unwrap().corrections.len(), 2);
    }

    #[test]
    fn a_part_left_out_of_the_read_back_is_not_corrected() {
        let (mut l, _) = line(vec![
            "The member ID is W 1 2 3.",
            "To confirm: coverage is active, reference number 44719. Is that correct?",
        ]);
        l.bot_turn(&[]);
        assert_eq!(said(&l.bot_turn(&[])), ["Yes, that's all correct."]);
    }
}
