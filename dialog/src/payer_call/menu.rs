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

/// What a prompt asks to be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The options of a prompt, in the order heard.
pub fn options(text: &str) -> Vec<MenuOption> {
    text.split(['.', '?', '!', ';']).flat_map(sentence_options).collect()
}

/// The options of one sentence.
fn sentence_options(text: &str) -> Vec<MenuOption> {
    let w = tokens(text);
    let mut out = Vec::new();
    let mut last_end = 0;
    let mut i = 0;
    while i < w.len() {
        let is_press = matches!(w[i].as_str(), "press" | "dial" | "select" | "enter");
        let key = w.get(i + 1).and_then(|k| key_word(k));
        if is_press && key.is_none() && w[i] == "press" {
            // "For pharmacy benefits, press [lost]": the key was not heard;
            // the option's words can still be said to a menu that listens.
            let about = w[last_end..i]
                .iter()
                .rposition(|x| matches!(x.as_str(), "for" | "to" | "if"))
                .map(|p| last_end + p)
                .filter(|p| i - p <= 10 && i > p + 1)
                .map(|p| w[p + 1..i].join(" "));
            if let Some(about) = about {
                out.push(MenuOption {
                    choice: Choice::Say(about.clone()),
                    about,
                });
            }
            last_end = i + 1;
            i += 1;
            continue;
        }
        let (Some(key), true) = (key, is_press) else {
            i += 1;
            continue;
        };
        // "for X, press 2": the words before, back to "for"/"to"/"if".
        let before = w[last_end..i]
            .iter()
            .rposition(|x| matches!(x.as_str(), "for" | "to" | "if"))
            .map(|p| last_end + p)
            .filter(|p| i - p <= 10 && i > p + 1)
            .map(|p| w[p + 1..i].join(" "));
        // "press 2 for X" (when nothing came before) or "press 0 to X".
        let next = w.get(i + 2).map(String::as_str);
        let after = match next {
            Some("to") => true,
            Some("for") => before.is_none(),
            _ => false,
        }
        .then(|| {
            let from = i + 3;
            let to = w[from..]
                .iter()
                .position(|x| matches!(x.as_str(), "press" | "for" | "if" | "dial" | "select"))
                .map_or(w.len(), |p| from + p);
            (w[from..to].join(" "), to)
        });
        let after_end = after.as_ref().map(|a| a.1);
        let after = after.map(|a| a.0);
        let about = [before, after].into_iter().flatten().collect::<Vec<_>>().join(" ");
        out.push(MenuOption {
            choice: Choice::Key(key),
            about: about.trim().to_owned(),
        });
        last_end = after_end.unwrap_or(i + 2);
        i += 2;
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
    if t.contains(" date of birth ") || t.contains(" birth date ") || t.contains(" birthdate ") {
        return Some(Entry::DateOfBirth);
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
