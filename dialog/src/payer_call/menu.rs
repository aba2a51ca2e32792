//! A payer's phone menu as heard: the options it offers ("for pharmacy
//! benefits, press 2", "press 0 for a representative", "you can say
//! eligibility or claims"), the entries it asks to be keyed in ("enter the
//! provider's ten-digit NPI followed by pound"), and which option leads to
//! someone who can verify pharmacy benefits.

use super::reply::tokens;

/// A key to press or a phrase to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A keypad key (`0`-`9`, `*`, `#`).
    Key(char),
    /// Words to say to a speech menu.
    Say(String),
}

/// One option of a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuOption {
    /// How it is chosen.
    pub choice: Choice,
    /// What it is for, as heard ("pharmacy benefits").
    pub about: String,
}

/// The recogniser's prompt while in a phone menu, so that keys come out as
/// digits ("press 2", not "press to"). Whisper sometimes rewrites a "press
/// 1 for claims" menu into this order, full stops moved; [`options`] pairs
/// keys by the prompt's shape, which survives that (`tests/menu_prompts.rs`
/// measures it against no hint and an unordered one).
pub const MENU_HINT: Option<&str> =
    Some("For claims, press 1. For pharmacy benefits, press 2. Please enter the NPI, followed by the pound sign.");

/// What a prompt asks to be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    /// The provider's NPI.
    Npi,
    /// The member (subscriber) ID.
    MemberId,
    /// The patient's date of birth.
    DateOfBirth,
    /// The provider's phone or callback number.
    Phone,
}

fn key_word(w: &str) -> Option<char> {
    match w {
        "zero" | "oh" | "o" => Some('0'),
        "star" | "asterisk" => Some('*'),
        "pound" | "hash" => Some('#'),
        _ => {
            if let Some(d) = crate::nlu::numbers::small_cardinal(w).filter(|d| *d < 10) {
                return char::from_digit(d, 10);
            }
            let mut c = w.chars();
            match (c.next(), c.next()) {
                (Some(d), None) if d.is_ascii_digit() => Some(d),
                _ => None,
            }
        }
    }
}

/// How a menu pairs its keys with their options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// "For claims, press 1. For pharmacy, press 2."
    Before,
    /// "Press 1 for claims. Press 2 for pharmacy."
    After,
}

/// The options of a prompt, in the order heard.
///
/// The recogniser often drops the full stops of a menu ("to check claims,
/// press 1 to verify benefits, press 2"), so each key cannot be paired by
/// the sentence it is in. The prompt's shape decides instead: a prompt that
/// ends on a key ("…, press 2.") names each option before its key; one that
/// starts "press 1 for …" names it after.
pub fn options(text: &str) -> Vec<MenuOption> {
    let w = tokens(text);
    let is_press = |x: &str| matches!(x, "press" | "dial" | "select");
    // Key positions: (index of "press", the key if heard).
    let presses: Vec<(usize, Option<char>)> = w
        .iter()
        .enumerate()
        .filter(|(_, x)| is_press(x))
        .map(|(i, _)| (i, w.get(i + 1).and_then(|k| key_word(k))))
        .collect();
    let mut out = Vec::new();
    if !presses.is_empty() {
        let (last, last_key) = presses[presses.len() - 1];
        let last_end = last + usize::from(last_key.is_some()) + 1;
        let first = presses[0].0;
        let first_next = w.get(first + 2).map(String::as_str);
        let style = if last_end >= w.len() {
            Style::Before
        } else if matches!(first_next, Some("for" | "to")) {
            Style::After
        } else {
            Style::Before
        };
        let mut prev_end = 0;
        for (n, &(at, key)) in presses.iter().enumerate() {
            let key_end = at + 1 + usize::from(key.is_some());
            let about = match style {
                Style::Before => {
                    let span = &w[prev_end..at];
                    let from = span
                        .iter()
                        .rposition(|x| matches!(x.as_str(), "for" | "to" | "if"))
                        .map_or(span.len().saturating_sub(8), |p| p + 1);
                    span[from..].join(" ")
                }
                Style::After => {
                    let next = presses.get(n + 1).map_or(w.len(), |p| p.0);
                    let span = &w[key_end.min(next)..next];
                    let skip = usize::from(span.first().is_some_and(|x| x == "for" || x == "to"));
                    span[skip..].join(" ")
                }
            };
            prev_end = key_end;
            if about.is_empty() {
                continue;
            }
            // A key the recogniser lost ("press [?]"): the option's words
            // can still be said to a menu that listens.
            let choice = key.map_or_else(|| Choice::Say(about.clone()), Choice::Key);
            out.push(MenuOption { choice, about });
        }
    }
    out.extend(spoken_options(&w));
    out
}

/// "say pharmacy", "you can say eligibility, claims or representative".
fn spoken_options(w: &[String]) -> Vec<MenuOption> {
    let mut out = Vec::new();
    for (i, x) in w.iter().enumerate() {
        if x != "say" {
            continue;
        }
        let rest: Vec<&String> = w[i + 1..]
            .iter()
            .take_while(|x| !matches!(x.as_str(), "press" | "or" | "for" | "to" | "and"))
            .take(4)
            .collect();
        if rest.is_empty() || rest.iter().any(|r| key_word(r).is_some()) {
            continue;
        }
        let phrase = rest.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        out.push(MenuOption {
            choice: Choice::Say(phrase.clone()),
            about: phrase,
        });
    }
    out
}

/// What the prompt asks to be keyed in, if anything.
pub fn entry_requested(text: &str) -> Option<Entry> {
    let w = tokens(text);
    let t = format!(" {} ", w.join(" "));
    let asks = [
        " enter ",
        " key in ",
        " type ",
        " input ",
        " say or enter ",
        " please provide ",
    ]
    .iter()
    .any(|k| t.contains(k));
    if !asks {
        return None;
    }
    if t.contains(" npi ")
        || t.contains(" n p i ")
        || t.contains(" provider identifier ")
        || t.contains(" national provider ")
    {
        return Some(Entry::Npi);
    }
    if t.contains(" date of birth ") || t.contains(" birth date ") || t.contains(" birthdate ") || t.contains(" birth ")
    {
        return Some(Entry::DateOfBirth);
    }
    // "the member in number" is how "member ID number" may come out.
    if t.contains(" member ") || t.contains(" subscriber ") {
        return Some(Entry::MemberId);
    }
    if t.contains(" member id ")
        || t.contains(" member i d ")
        || t.contains(" subscriber id ")
        || t.contains(" member number ")
        || t.contains(" id number ")
    {
        return Some(Entry::MemberId);
    }
    if t.contains(" phone number ") || t.contains(" callback number ") || t.contains(" telephone number ") {
        return Some(Entry::Phone);
    }
    None
}

/// How well an option's words lead to pharmacy benefits verification
/// (higher is better; 0 or less is never chosen on its own).
pub fn score(about: &str) -> i32 {
    let t = format!(" {} ", tokens(about).join(" "));
    let table: &[(&str, i32)] = &[
        (" pharmacy benefit", 10),
        (" prescription benefit", 10),
        (" pharmacy", 9),
        (" prescription", 9),
        (" drug", 8),
        (" eligibility and benefit", 8),
        (" benefits and eligibility", 8),
        (" benefit", 7),
        (" eligibility", 7),
        (" coverage", 6),
        (" provider", 5),
        (" prior auth", 4),
        (" representative", 3),
        (" agent", 3),
        (" operator", 3),
        (" speak", 3),
        (" all other", 2),
        (" other", 1),
        (" member", -1),
        (" claim", -2),
        (" appeal", -2),
        (" billing", -2),
        (" repeat", -3),
        (" espa", -5),
        (" spanish", -5),
    ];
    table.iter().find(|(k, _)| t.contains(k)).map_or(0, |(_, v)| *v)
}

/// Whether the option reaches a person.
pub fn is_person(about: &str) -> bool {
    let t = format!(" {} ", tokens(about).join(" "));
    [
        " representative",
        " agent",
        " operator",
        " speak",
        " person",
        " someone",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// The best option for a benefits verification, if any is worth taking.
pub fn best(options: &[MenuOption]) -> Option<&MenuOption> {
    options
        .iter()
        .map(|o| (score(&o.about), o))
        .filter(|(s, _)| *s > 0)
        .max_by_key(|(s, o)| (*s, matches!(o.choice, Choice::Key(_))))
        .map(|(_, o)| o)
}

/// The option that reaches a person, if one was offered.
pub fn person(options: &[MenuOption]) -> Option<&MenuOption> {
    options.iter().find(|o| is_person(&o.about))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_menus_both_ways_round() {
        let o = options(
            "Thank you for calling Acme Health provider services. For claims, press 1. For pharmacy benefits, press 2. To speak with a representative, press 0.",
        );
        let got: Vec<(Choice, &str)> = o.iter().map(|o| (o.choice.clone(), o.about.as_str())).collect();
        assert_eq!(
            got,
            [
                (Choice::Key('1'), "claims"),
                (Choice::Key('2'), "pharmacy benefits"),
                (Choice::Key('0'), "speak with a representative"),
            ]
        );
        assert_eq!(best(&o).map(|o| &o.choice), Some(&Choice::Key('2')));
        let o = options(
            "Press one for eligibility and benefits. Press two for claims status. Press nine to repeat these options.",
        );
        let got: Vec<(Choice, &str)> = o.iter().map(|o| (o.choice.clone(), o.about.as_str())).collect();
        assert_eq!(
            got,
            [
                (Choice::Key('1'), "eligibility and benefits"),
                (Choice::Key('2'), "claims status"),
                (Choice::Key('9'), "repeat these options"),
            ]
        );
        assert_eq!(best(&o).map(|o| &o.choice), Some(&Choice::Key('1')));
    }

    #[test]
    fn speech_menus_and_entries() {
        let o = options("In a few words, tell me why you're calling. You can say pharmacy, or say claims.");
        assert_eq!(best(&o).map(|o| &o.choice), Some(&Choice::Say("pharmacy".into())));
        assert_eq!(
            entry_requested("Please enter the provider's ten digit N P I, followed by the pound sign."),
            Some(Entry::Npi)
        );
        assert_eq!(
            entry_requested("Using your keypad, enter the member's date of birth."),
            Some(Entry::DateOfBirth)
        );
        assert_eq!(
            entry_requested("Please say or enter the member ID."),
            Some(Entry::MemberId)
        );
        assert_eq!(entry_requested("For claims, press 1."), None);
        assert_eq!(
            entry_requested("Please enter the member in number, then press pound."),
            Some(Entry::MemberId)
        );
        assert!(person(&options("For anything else, press 0 to speak with an agent.")).is_some());
        // The key was lost by the recogniser: the words are said instead.
        let o =
            options("For claims status, press one for pharmacy benefits, press for all other questions, press zero.");
        assert_eq!(
            best(&o).map(|o| &o.choice),
            Some(&Choice::Say("pharmacy benefits".into()))
        );
    }
}
