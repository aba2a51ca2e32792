//! Number words as a speech recogniser writes them: cardinals ("twenty one",
//! "two thousand and one", "nineteen hundred"), ordinals ("third",
//! "twenty-first", "3rd") and digits. Hyphenated forms are split into words
//! by [`super::text::words`] first, so "twenty-first" and "twenty first" read
//! the same.

use super::text::words;

/// "zero" .. "nineteen"; the first ten are the digit words.
pub(crate) const SMALL: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
#[rustfmt::skip]
const SMALL_ORDINALS: [&str; 20] = [
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
];
const TENS_ORDINALS: [&str; 8] = [
    "twentieth",
    "thirtieth",
    "fortieth",
    "fiftieth",
    "sixtieth",
    "seventieth",
    "eightieth",
    "ninetieth",
];

/// A number read from the start of a word slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Its value.
    pub value: u32,
    /// Whether it was said as an ordinal ("third", "21st").
    pub ordinal: bool,
    /// How many words it took.
    pub len: usize,
}

/// "zero" .. "nineteen" (and the misspelling "fourty" is in [`tens`]).
pub fn small_cardinal(word: &str) -> Option<u32> {
    SMALL
        .iter()
        .position(|w| *w == word)
        .and_then(|i| u32::try_from(i).ok())
}

/// "twenty" .. "ninety" as 20 .. 90.
pub fn tens(word: &str) -> Option<u32> {
    let word = if word == "fourty" { "forty" } else { word };
    TENS.iter()
        .position(|w| *w == word)
        .and_then(|i| u32::try_from(i * 10 + 20).ok())
}

/// "first" .. "nineteenth" and "twentieth" .. "ninetieth".
pub fn ordinal_word(word: &str) -> Option<u32> {
    if let Some(i) = SMALL_ORDINALS.iter().position(|w| *w == word) {
        return u32::try_from(i).ok();
    }
    TENS_ORDINALS
        .iter()
        .position(|w| *w == word)
        .and_then(|i| u32::try_from(i * 10 + 20).ok())
}

/// A word of digits, optionally with an ordinal suffix: "3" → (3, false),
/// "03" → (3, false), "21st" → (21, true). At most nine digits.
pub fn digits(word: &str) -> Option<(u32, bool)> {
    let end = word.find(|c: char| !c.is_ascii_digit()).unwrap_or(word.len());
    let (num, suffix) = word.split_at(end);
    if num.is_empty() || num.len() > 9 {
        return None;
    }
    let ordinal = match suffix {
        "" => false,
        "st" | "nd" | "rd" | "th" => true,
        _ => return None,
    };
    num.parse().ok().map(|v| (v, ordinal))
}

/// Reads a number below 100 from the start of `words`: digits ("3rd",
/// "21"), a word ("three", "third"), or tens and a unit ("twenty one",
/// "twenty first"). Sized for days of the month and two-digit years.
pub fn read_small<S: AsRef<str>>(words: &[S]) -> Option<Reading> {
    let first = words.first()?.as_ref();
    if let Some((value, ordinal)) = digits(first) {
        return Some(Reading { value, ordinal, len: 1 });
    }
    if let Some(value) = ordinal_word(first) {
        return Some(Reading {
            value,
            ordinal: true,
            len: 1,
        });
    }
    if let Some(t) = tens(first) {
        if let Some(next) = words.get(1).map(AsRef::as_ref) {
            if let Some(u) = small_cardinal(next).filter(|u| (1..=9).contains(u)) {
                return Some(Reading {
                    value: t + u,
                    ordinal: false,
                    len: 2,
                });
            }
            if let Some(u) = ordinal_word(next).filter(|u| (1..=9).contains(u)) {
                return Some(Reading {
                    value: t + u,
                    ordinal: true,
                    len: 2,
                });
            }
        }
        return Some(Reading {
            value: t,
            ordinal: false,
            len: 1,
        });
    }
    small_cardinal(first).map(|value| Reading {
        value,
        ordinal: false,
        len: 1,
    })
}

/// Where a cardinal reading stands, to reject sequences like "twenty twenty".
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Start,
    Unit,
    Teen,
    Tens,
    Hundred,
    Thousand,
}

/// Reads a cardinal from the start of `words`, with hundreds, thousands and
/// "and" ("two thousand and one", "nineteen hundred", "one hundred twenty
/// three"); a final ordinal word ends it ("two thousand and first"). A
/// leading digit word is read on its own. Stops at the first word that does
/// not continue the number.
pub fn read_cardinal<S: AsRef<str>>(words: &[S]) -> Option<Reading> {
    let first = words.first()?.as_ref();
    if let Some((value, ordinal)) = digits(first) {
        return Some(Reading { value, ordinal, len: 1 });
    }
    let (mut total, mut group) = (0u64, 0u64);
    let (mut state, mut used, mut ordinal, mut thousands) = (After::Start, 0, false, false);
    for (i, word) in words.iter().enumerate() {
        let word = word.as_ref();
        let unit_ok = matches!(state, After::Start | After::Hundred | After::Thousand);
        if word == "and" && matches!(state, After::Hundred | After::Thousand) {
            continue;
        } else if let Some(v) = small_cardinal(word) {
            if !(unit_ok || (state == After::Tens && (1..=9).contains(&v))) {
                break;
            }
            group += u64::from(v);
            state = if v < 10 { After::Unit } else { After::Teen };
        } else if let Some(v) = tens(word) {
            if !unit_ok {
                break;
            }
            group += u64::from(v);
            state = After::Tens;
        } else if word == "hundred" {
            // One "hundred" per group: "nine hundred nine hundred" is not a number.
            if !matches!(state, After::Unit | After::Teen) || group >= 100 {
                break;
            }
            group *= 100;
            state = After::Hundred;
        } else if word == "thousand" {
            if state == After::Start || thousands {
                break;
            }
            thousands = true;
            total += group * 1000;
            group = 0;
            state = After::Thousand;
        } else if let Some(v) = ordinal_word(word) {
            if !(unit_ok || (state == After::Tens && (1..=9).contains(&v))) {
                break;
            }
            group += u64::from(v);
            ordinal = true;
            used = i + 1;
            break;
        } else {
            break;
        }
        used = i + 1;
    }
    if used == 0 {
        return None;
    }
    let value = u32::try_from(total + group).ok()?;
    Some(Reading {
        value,
        ordinal,
        len: used,
    })
}

/// The value of `text` when all of it is one cardinal number ("forty-two",
/// "two thousand and one", "1985"); `None` otherwise.
pub fn parse_cardinal(text: &str) -> Option<u32> {
    let words = words(text);
    read_cardinal(&words)
        .filter(|r| !r.ordinal && r.len == words.len())
        .map(|r| r.value)
}

/// The value of `text` when all of it is one ordinal ("third",
/// "twenty-first", "twenty first", "3rd"); `None` otherwise.
pub fn parse_ordinal(text: &str) -> Option<u32> {
    let words = words(text);
    read_small(&words)
        .filter(|r| r.ordinal && r.len == words.len())
        .or_else(|| read_cardinal(&words).filter(|r| r.ordinal && r.len == words.len()))
        .map(|r| r.value)
}

/// The longest run of digits said one at a time in `text`, as an ID is
/// read out: digit words ("one two three"), "oh" and "zero", "double" and
/// "triple" ("double seven" → 77), and digits as the recogniser writes them
/// ("1, 2, 3", "123 456"). Other words end a run; fillers ("um", "uh",
/// "and") do not. Empty when no digit was said.
pub fn spoken_digits(text: &str) -> String {
    let words = words(text);
    let mut best = String::new();
    let mut run = String::new();
    let mut repeat = 1usize;
    for w in &words {
        let digit = match w.as_str() {
            "oh" | "o" | "zero" => Some("0".to_owned()),
            "double" => {
                repeat = 2;
                continue;
            }
            "triple" => {
                repeat = 3;
                continue;
            }
            "um" | "uh" | "and" | "dash" => continue,
            w if w.bytes().all(|b| b.is_ascii_digit()) => Some(w.to_owned()),
            w => small_cardinal(w).filter(|v| *v <= 9).map(|v| v.to_string()),
        };
        match digit {
            Some(d) => {
                for _ in 0..repeat {
                    run.push_str(&d);
                }
                repeat = 1;
            }
            None => {
                if run.len() > best.len() {
                    best = std::mem::take(&mut run);
                }
                run.clear();
                repeat = 1;
            }
        }
    }
    if run.len() > best.len() {
        best = run;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_read_out_one_at_a_time() {
        assert_eq!(
            spoken_digits("one two three four five six seven eight nine"),
            "123456789"
        );
        assert_eq!(spoken_digits("It's 4, 0, 7, 1, 1, 2, 9, 9, 3."), "407112993");
        assert_eq!(spoken_digits("oh four double seven, um, 123 456"), "0477123456");
        assert_eq!(spoken_digits("my ID is 58 and then"), "58");
        assert_eq!(spoken_digits("I don't have my card"), "");
        // The longest run wins over a stray number.
        assert_eq!(spoken_digits("give me 2 minutes, it's 9 8 7 6 5 4 3 2 1"), "987654321");
    }

    #[test]
    fn cardinals() {
        assert_eq!(parse_cardinal("three"), Some(3));
        assert_eq!(parse_cardinal("nineteen"), Some(19));
        assert_eq!(parse_cardinal("forty-two"), Some(42));
        assert_eq!(parse_cardinal("forty two"), Some(42));
        assert_eq!(parse_cardinal("one hundred twenty three"), Some(123));
        assert_eq!(parse_cardinal("one hundred and five"), Some(105));
        assert_eq!(parse_cardinal("nineteen hundred"), Some(1900));
        assert_eq!(parse_cardinal("two thousand"), Some(2000));
        assert_eq!(parse_cardinal("two thousand and one"), Some(2001));
        assert_eq!(parse_cardinal("two thousand twenty four"), Some(2024));
        assert_eq!(parse_cardinal("1985"), Some(1985));
        assert_eq!(parse_cardinal("zero"), Some(0));
    }

    #[test]
    fn cardinals_reject_non_numbers() {
        assert_eq!(parse_cardinal(""), None);
        assert_eq!(parse_cardinal("twenty twenty"), None);
        assert_eq!(parse_cardinal("three four"), None);
        assert_eq!(parse_cardinal("and one"), None);
        assert_eq!(parse_cardinal("hello"), None);
        assert_eq!(parse_cardinal("third"), None);
        assert_eq!(parse_cardinal("one hundred and"), None);
        assert_eq!(parse_cardinal("9999999999"), None);
        assert_eq!(parse_cardinal("one hundred one hundred"), None);
        assert_eq!(parse_cardinal(&"nine hundred ".repeat(80)), None);
        assert_eq!(parse_cardinal("two thousand three thousand"), None);
    }

    #[test]
    fn ordinals() {
        assert_eq!(parse_ordinal("first"), Some(1));
        assert_eq!(parse_ordinal("third"), Some(3));
        assert_eq!(parse_ordinal("twelfth"), Some(12));
        assert_eq!(parse_ordinal("twentieth"), Some(20));
        assert_eq!(parse_ordinal("twenty-first"), Some(21));
        assert_eq!(parse_ordinal("twenty first"), Some(21));
        assert_eq!(parse_ordinal("thirty first"), Some(31));
        assert_eq!(parse_ordinal("3rd"), Some(3));
        assert_eq!(parse_ordinal("22nd"), Some(22));
        assert_eq!(parse_ordinal("three"), None);
        assert_eq!(parse_ordinal("3x"), None);
    }

    #[test]
    fn reading_stops_at_the_number_end() {
        let w = ["twenty", "first", "nineteen", "eighty", "five"];
        assert_eq!(
            read_small(&w),
            Some(Reading {
                value: 21,
                ordinal: true,
                len: 2
            })
        );
        let w = ["twenty", "nineteen"];
        assert_eq!(
            read_small(&w),
            Some(Reading {
                value: 20,
                ordinal: false,
                len: 1
            })
        );
        let w = ["nineteen", "eighty", "five"];
        assert_eq!(
            read_cardinal(&w),
            Some(Reading {
                value: 19,
                ordinal: false,
                len: 1
            })
        );
        let w = ["two", "thousand", "and", "march"];
        assert_eq!(
            read_cardinal(&w),
            Some(Reading {
                value: 2000,
                ordinal: false,
                len: 2
            })
        );
        assert_eq!(read_small::<&str>(&[]), None);
        assert_eq!(digits("07"), Some((7, false)));
        assert_eq!(digits("st"), None);
    }
}
