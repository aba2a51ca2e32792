//! A small phonetic key (a simplified Metaphone) so that words a speech
//! recogniser spells the way they sound ("ozempik", "humera", "metforman")
//! key the same as the catalog's spelling.
//!
//! Hand-written on purpose: it is a few dozen lines, it is tuned for drug
//! and payer names (vowels after the first letter dropped, c/k/q and s/z
//! merged), and no small, well-maintained crate offers exactly this.

/// The phonetic key of `word`: consonant sounds as upper-case letters ("0"
/// for "th", "X" for "sh"/"ch"), a leading vowel as "A", repeats collapsed.
/// Characters other than ASCII letters are ignored; empty for no letters.
pub fn phonetic_key(word: &str) -> String {
    let letters: Vec<u8> = word
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let mut s: &[u8] = &letters;
    // Silent first letters.
    if s.len() > 1 && matches!((s[0], s[1]), (b'k' | b'g' | b'p', b'n') | (b'w', b'r') | (b'p', b's')) {
        s = &s[1..];
    }
    let vowel = |c: Option<&u8>| c.is_some_and(|c| b"aeiou".contains(c));
    let soft = |c: Option<&u8>| c.is_some_and(|c| b"eiy".contains(c));
    let mut key = String::new();
    let mut i = 0;
    while i < s.len() {
        let (c, next) = (s[i], s.get(i + 1));
        let prev = i.checked_sub(1).and_then(|p| s.get(p));
        let mut skip = 0;
        let code: Option<&str> = match c {
            b'a' | b'e' | b'i' | b'o' | b'u' => (i == 0).then_some("A"),
            b'b' => (!(prev == Some(&b'm') && next.is_none())).then_some("B"),
            b'c' if next == Some(&b'h') => {
                skip = 1;
                Some("X")
            }
            b'c' if soft(next) => Some("S"),
            b'c' | b'k' | b'q' => Some("K"),
            b'd' if next == Some(&b'g') && soft(s.get(i + 2)) => {
                skip = 1;
                Some("J")
            }
            b'd' | b't' if next == Some(&b'h') => {
                skip = 1;
                Some("0")
            }
            b'd' | b't' => Some("T"),
            b'f' | b'v' => Some("F"),
            b'g' if next == Some(&b'h') => {
                skip = 1;
                None
            }
            b'g' if soft(next) => Some("J"),
            b'g' => Some("K"),
            b'h' => (vowel(next) && prev.is_none_or(|p| vowel(Some(p)))).then_some("H"),
            b'j' => Some("J"),
            b'l' => Some("L"),
            b'm' => Some("M"),
            b'n' => Some("N"),
            b'p' if next == Some(&b'h') => {
                skip = 1;
                Some("F")
            }
            b'p' => Some("P"),
            b'r' => Some("R"),
            b's' if next == Some(&b'h') => {
                skip = 1;
                Some("X")
            }
            b's' | b'z' => Some("S"),
            b'w' if prev.is_some_and(|p| b"ckq".contains(p)) => None,
            b'w' | b'y' => vowel(next).then_some(if c == b'w' { "W" } else { "Y" }),
            b'x' => Some(if i == 0 { "S" } else { "KS" }),
            _ => None,
        };
        if let Some(code) = code
            && !key.ends_with(code)
        {
            key.push_str(code);
        }
        i += 1 + skip;
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mishearings_share_a_key() {
        for (heard, real) in [
            ("ozempik", "ozempic"),
            ("ozempick", "ozempic"),
            ("humera", "humira"),
            ("metforman", "metformin"),
            ("lisinipril", "lisinopril"),
            ("etna", "aetna"),
            ("zigna", "cigna"),
            ("lipiter", "lipitor"),
            ("eliquis", "elikwis"),
        ] {
            assert_eq!(phonetic_key(heard), phonetic_key(real), "{heard} vs {real}");
        }
    }

    #[test]
    fn different_words_differ() {
        assert_ne!(phonetic_key("human"), phonetic_key("humira"));
        assert_ne!(phonetic_key("coverage"), phonetic_key("ozempic"));
        assert_ne!(phonetic_key("metformin"), phonetic_key("information"));
    }

    #[test]
    fn keys() {
        assert_eq!(phonetic_key("Ozempic"), "ASMPK");
        assert_eq!(phonetic_key("phone"), "FN");
        assert_eq!(phonetic_key("knight"), "NT");
        assert_eq!(phonetic_key(""), "");
        assert_eq!(phonetic_key("123 ünï"), "N");
    }
}
