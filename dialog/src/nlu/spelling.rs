//! A word spelled out letter by letter, as callers spell their surname when
//! asked: "L E W I S", "L-E-W-I-S", "that's W as in whiskey, E, I", NATO
//! words ("lima echo whiskey india sierra"), "double L", and letter names
//! as a recogniser writes them ("el", "ess", "double you"). Hand-written: a
//! table of letter words and a few rules; no crate does this.

use super::text::words;

/// NATO and common spelling-alphabet words.
#[rustfmt::skip]
const ALPHABET: &[(&str, char)] = &[
    ("alpha", 'a'), ("alfa", 'a'), ("bravo", 'b'), ("charlie", 'c'), ("delta", 'd'), ("echo", 'e'),
    ("foxtrot", 'f'), ("golf", 'g'), ("hotel", 'h'), ("india", 'i'), ("juliet", 'j'), ("juliett", 'j'),
    ("kilo", 'k'), ("lima", 'l'), ("mike", 'm'), ("november", 'n'), ("oscar", 'o'), ("papa", 'p'),
    ("quebec", 'q'), ("romeo", 'r'), ("sierra", 's'), ("tango", 't'), ("uniform", 'u'), ("victor", 'v'),
    ("whiskey", 'w'), ("whisky", 'w'), ("xray", 'x'), ("yankee", 'y'), ("zulu", 'z'),
];

/// Letter names as a recogniser may write them.
#[rustfmt::skip]
const LETTER_NAMES: &[(&str, char)] = &[
    ("ay", 'a'), ("bee", 'b'), ("cee", 'c'), ("see", 'c'), ("dee", 'd'), ("ee", 'e'), ("eff", 'f'), ("ef", 'f'),
    ("gee", 'g'), ("aitch", 'h'), ("eye", 'i'), ("jay", 'j'), ("kay", 'k'), ("el", 'l'), ("ell", 'l'),
    ("elle", 'l'), ("em", 'm'), ("en", 'n'), ("oh", 'o'), ("pee", 'p'), ("cue", 'q'), ("queue", 'q'),
    ("ar", 'r'), ("are", 'r'), ("ess", 's'), ("es", 's'), ("tee", 't'), ("tea", 't'), ("you", 'u'), ("vee", 'v'),
    ("ex", 'x'), ("why", 'y'), ("zee", 'z'), ("zed", 'z'),
];

/// Words around a spelling that carry no letter.
#[rustfmt::skip]
const FILLER: &[&str] = &[
    "it's", "its", "it", "is", "that's", "thats", "spelled", "spelt", "spell", "my", "last", "name", "surname",
    "family", "the", "um", "uh", "okay", "ok", "yes", "sure", "so", "and", "then", "capital", "letter", "that",
];

fn letter(word: &str) -> Option<char> {
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_ascii_alphabetic()
    {
        return Some(c);
    }
    ALPHABET
        .iter()
        .chain(LETTER_NAMES)
        .find(|(w, _)| *w == word)
        .map(|&(_, c)| c)
}

/// A spelling found in an utterance: the words said before it ("my name is
/// Wei Lewis") and the word spelled ("lewis").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spelling {
    /// The words before the spelling, space-separated.
    pub before: String,
    /// The spelled word, lowercase letters.
    pub word: String,
}

/// The spelling that ends `text`, if any: a run of letters ("L E W I S"),
/// NATO words, "double L", "W as in whiskey", with filler around it, that
/// reaches the end of the utterance. The run needs at least two letters if
/// it is the whole utterance and three after other words ("is it a
/// refill" is not a spelling; "Wei Lewis, L E W I S" is).
pub fn find_spelling(text: &str) -> Option<Spelling> {
    let ws = words(text);
    // Walk back from the end over spelling tokens.
    let mut start = ws.len();
    let mut letters: Vec<char> = Vec::new();
    let mut strong = 0;
    let mut i = ws.len();
    while i > 0 {
        let w = ws[i - 1].as_str();
        // "W as in whiskey" / "W for whiskey": the example confirms the
        // letter before it.
        let example = if i >= 4 && ws[i - 3] == "as" && ws[i - 2] == "in" {
            Some(4)
        } else if i >= 3 && ws[i - 2] == "for" && ALPHABET.iter().any(|(a, _)| *a == w) {
            Some(3)
        } else {
            None
        };
        if let Some(n) = example
            && let Some(c) = letter(&ws[i - n])
        {
            letters.push(c);
            strong += 1;
            i -= n;
            start = i;
            continue;
        }
        match letter(w) {
            Some(c) => {
                let double = i >= 2 && ws[i - 2] == "double";
                let c = if double && matches!(w, "you" | "u") { 'w' } else { c };
                letters.push(c);
                if double && !matches!(w, "you" | "u") {
                    letters.push(c);
                }
                strong += usize::from(w.len() == 1 || ALPHABET.iter().any(|(a, _)| *a == w) || double);
                i -= if double { 2 } else { 1 };
                start = i;
            }
            None if FILLER.contains(&w) && !letters.is_empty() => i -= 1,
            None if FILLER.contains(&w) && i == ws.len() => i -= 1,
            None => break,
        }
    }
    letters.reverse();
    // Filler between the name and the spelling ("…, that's L E W I S").
    let mut before_end = start;
    while before_end > 0 && FILLER.contains(&ws[before_end - 1].as_str()) && before_end > i {
        before_end -= 1;
    }
    let before: Vec<&str> = ws[..before_end.min(start)].iter().map(String::as_str).collect();
    let whole = before.iter().all(|w| FILLER.contains(w));
    let enough = if whole {
        letters.len() >= 2 && strong >= 2
    } else {
        letters.len() >= 3 && strong >= 3
    };
    let enough = enough && plausible(&letters);
    enough.then(|| Spelling {
        before: if whole { String::new() } else { before.join(" ") },
        word: letters.into_iter().collect(),
    })
}

/// Whether letters could be a surname: a vowel (or y) in them, and no
/// letter three times running ("w w w s" is the recogniser stuttering).
fn plausible(letters: &[char]) -> bool {
    let vowel = letters.iter().any(|c| "aeiouy".contains(*c));
    let stutter = letters.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
    vowel && !stutter
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word when the whole utterance is a spelling.
    fn spelled_word(text: &str) -> Option<String> {
        find_spelling(text).filter(|s| s.before.is_empty()).map(|s| s.word)
    }

    #[test]
    fn spellings_as_said_and_as_written() {
        for (text, want) in [
            ("L E W I S", "lewis"),
            ("L-E-W-I-S.", "lewis"),
            ("L. E. W. I. S.", "lewis"),
            ("It's spelled K, O, W, A, L, S, K, I.", "kowalski"),
            ("lima echo whiskey india sierra", "lewis"),
            ("W as in whiskey, E, I", "wei"),
            ("H I double L", "hill"),
            ("my last name is O K A F O R", "okafor"),
            ("N for November, G, U, Y, E, N", "nguyen"),
        ] {
            assert_eq!(spelled_word(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn a_name_then_its_spelling() {
        for (text, before, word) in [
            ("Lewis, L-E-W-I-S", "lewis", "lewis"),
            ("My name is Wei Lewis, L. E. W. I. S.", "my name is wei lewis", "lewis"),
            ("Paul Hill, that's H I double L", "paul hill", "hill"),
        ] {
            let s = find_spelling(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((s.before.as_str(), s.word.as_str()), (before, word), "{text}");
        }
        assert_eq!(find_spelling("is it a refill"), None);
        // A stutter of the recogniser, or no vowel: no surname.
        assert_eq!(find_spelling("My name is way lu w w w s"), None);
        assert_eq!(find_spelling("B R T K"), None);
        assert_eq!(find_spelling("I need vitamin D"), None);
    }

    #[test]
    fn sentences_are_not_spellings() {
        for text in [
            "",
            "is my Enbrel covered",
            "my name is Paul Hill",
            "see you",
            "yes",
            "I",
            "March third nineteen eighty five",
            "oh okay",
        ] {
            assert_eq!(spelled_word(text), None, "{text}");
        }
    }
}
