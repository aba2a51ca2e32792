//! Text normalisation shared by the recognisers: lowercase words with the
//! recogniser's punctuation (Whisper adds commas, periods, hyphens) removed,
//! and phrase lookup on word boundaries.

/// The most characters of one utterance the recognisers look at; speech
/// turns are far shorter, and the cap bounds the work on odd input.
pub const MAX_CHARS: usize = 1_000;

/// The first `max` characters of `text` (never splits a character).
pub fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Splits `text` into lowercase words of letters and digits. Inner
/// apostrophes stay ("can't", "o'brien", curly ones straightened); every
/// other character (punctuation, hyphens, slashes) separates words, so
/// "twenty-first" gives "twenty", "first" and "'85" gives "85".
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in clip(text, MAX_CHARS).chars() {
        let ch = if matches!(ch, '\u{2019}' | '\u{2018}' | '`' | '\u{02bc}') {
            '\''
        } else {
            ch
        };
        if ch.is_alphanumeric() || ch == '\'' {
            cur.extend(ch.to_lowercase());
        } else {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn flush(cur: &mut String, out: &mut Vec<String>) {
    let word = cur.trim_matches('\'');
    if !word.is_empty() {
        out.push(unloop(word));
    }
    cur.clear();
}

/// A word with the recogniser's repetition loop taken out: a run of two or
/// three letters said three times or more in a row is kept twice
/// ("metoprololololol" -> "metoprolol"). Digits are left alone ("1000000").
fn unloop(word: &str) -> String {
    let c: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    'scan: while i < c.len() {
        for unit in 2..=3 {
            let piece = &c[i..(i + unit).min(c.len())];
            if piece.len() < unit || !piece.iter().all(|ch| ch.is_alphabetic()) {
                continue;
            }
            let mut reps = 1;
            while c.get(i + reps * unit..i + (reps + 1) * unit) == Some(piece) {
                reps += 1;
            }
            if reps >= 3 {
                out.extend(piece.iter().chain(piece));
                i += reps * unit;
                continue 'scan;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// Words joined for phrase lookup on word boundaries.
#[derive(Debug, Clone)]
pub struct Phrases(String);

impl Phrases {
    /// Normalises `text` (see [`words`]).
    pub fn new(text: &str) -> Self {
        Self::from_words(&words(text))
    }

    /// From already normalised words.
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> Self {
        let mut s = String::from(" ");
        for w in words {
            s.push_str(w.as_ref());
            s.push(' ');
        }
        Self(s)
    }

    /// Whether `phrase` (lowercase words separated by single spaces) occurs
    /// on word boundaries. A trailing `*` matches any word continuing the
    /// last one: `"authoriz*"` finds "authorization" and "authorize".
    pub fn has(&self, phrase: &str) -> bool {
        match phrase.strip_suffix('*') {
            Some(stem) => self.0.contains(&format!(" {stem}")),
            None => self.0.contains(&format!(" {phrase} ")),
        }
    }

    /// Whether the words begin with `phrase` (no `*` form).
    pub fn starts_with(&self, phrase: &str) -> bool {
        self.0.starts_with(&format!(" {phrase} "))
    }

    /// Whether any of `phrases` occurs (see [`Phrases::has`]).
    pub fn any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.has(p))
    }

    /// Whether there are no words at all.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_loops_are_taken_out_of_words() {
        assert_eq!(
            words("co pay for Metoprolololololololol"),
            ["co", "pay", "for", "metoprolol"]
        );
        assert_eq!(unloop("hahahaha"), "haha");
        assert_eq!(unloop("metoprolol"), "metoprolol");
        assert_eq!(unloop("banana"), "banana");
        assert_eq!(unloop("1000000"), "1000000");
        assert_eq!(unloop("lisinopril"), "lisinopril");
    }

    #[test]
    fn words_strip_punctuation_and_case() {
        assert_eq!(words("Hi, I'm John O'Brien."), ["hi", "i'm", "john", "o'brien"]);
        assert_eq!(words("Twenty-first, '85"), ["twenty", "first", "85"]);
        assert_eq!(words("I can\u{2019}t breathe!"), ["i", "can't", "breathe"]);
        assert_eq!(words("3/3/85"), ["3", "3", "85"]);
        assert!(words("  ... ,, ").is_empty());
    }

    #[test]
    fn phrases_match_on_word_boundaries() {
        let p = Phrases::new("Does Ozempic need prior authorization?");
        assert!(p.has("prior authorization"));
        assert!(p.has("authoriz*"));
        assert!(p.has("need"));
        assert!(!p.has("author"));
        assert!(!p.has("pa"));
        assert!(p.any(&["nothing", "ozempic"]));
        assert!(Phrases::new("?!").is_empty());
    }

    #[test]
    fn clip_respects_characters() {
        assert_eq!(clip("héllo", 2), "hé");
        assert_eq!(clip("ab", 5), "ab");
    }
}
