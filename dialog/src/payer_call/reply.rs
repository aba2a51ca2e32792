//! Reading a representative's answers the way people say them: "yes, it's
//! active", "no PA on that one", "fifteen hundred, and she's met about two
//! fifty", "eighty twenty after deductible", "reference number is R 4 4 7".
//! Pure functions over one transcribed utterance.

use super::findings::{Channels, Terms};
use crate::nlu::numbers::{read_cardinal, read_small};

/// Lower-case words with money and percent signs kept apart: "$1,500.50"
/// → ["$", "1500.50"], "20%" → ["20", "%"]; other punctuation splits words.
pub fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &ch) in chars.iter().enumerate() {
        let digit_around = |j: Option<usize>| j.and_then(|j| chars.get(j)).is_some_and(|c| c.is_ascii_digit());
        let inner = (ch == ',' || ch == '.') && digit_around(i.checked_sub(1)) && digit_around(Some(i + 1));
        if ch.is_alphanumeric() || ch == '\'' || inner {
            if ch != ',' {
                cur.extend(ch.to_lowercase());
            }
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if ch == '$' || ch == '%' {
            out.push(ch.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn has_phrase(text: &str, phrases: &[&str]) -> bool {
    let t = format!(" {} ", tokens(text).join(" "));
    phrases.iter().any(|p| t.contains(&format!(" {p} ")))
}

/// A yes or a no, negation included ("no PA on that one", "it doesn't",
/// "not required", "that's correct"); `None` when neither is clear.
pub fn yes_no(text: &str) -> Option<bool> {
    let w = tokens(text);
    const NO: &[&str] = &[
        "no", "nope", "not", "doesn't", "don't", "isn't", "aren't", "won't", "none", "never", "negative", "nah",
        "without",
    ];
    const YES: &[&str] = &[
        "yes",
        "yeah",
        "yep",
        "yup",
        "correct",
        "right",
        "sure",
        "does",
        "is",
        "required",
        "active",
        "affirmative",
        "absolutely",
        "definitely",
        "do",
        "it's",
        "there",
        "applies",
        "apply",
    ];
    let first_no = w.iter().position(|x| NO.contains(&x.as_str()));
    let strong_yes = [
        "yes",
        "yeah",
        "yep",
        "yup",
        "correct",
        "affirmative",
        "absolutely",
        "definitely",
    ];
    let first_yes = w.iter().position(|x| strong_yes.contains(&x.as_str()));
    match (first_yes, first_no) {
        (Some(y), Some(n)) => return Some(y < n && !has_phrase(text, &["yes no"])),
        (Some(_), None) => return Some(true),
        (None, Some(_)) => return Some(false),
        (None, None) => {}
    }
    // "It does.", "Is required.": weak words count only at the start of a short answer.
    (w.len() <= 5 && w.iter().take(2).any(|x| YES.contains(&x.as_str()))).then_some(true)
}

/// Whether the words say the person must step away: "please hold", "one
/// moment", "let me check", "bear with me".
pub fn asks_to_hold(text: &str) -> bool {
    has_phrase(
        text,
        &[
            "please hold",
            "hold on",
            "hold please",
            "one moment",
            "one second",
            "just a moment",
            "just a second",
            "just a minute",
            "let me check",
            "let me look",
            "let me pull",
            "let me see",
            "bear with me",
            "give me a second",
            "give me a moment",
            "give me a minute",
            "one sec",
        ],
    )
}

/// A plain agreement: "yes", "that's correct", "that's right", "yep".
pub fn affirms(text: &str) -> bool {
    yes_no(text) == Some(true) && !has_phrase(text, &["but", "except", "actually"])
}

/// Every number in `words` from `at`, with its position and length; digit
/// words ("1500.50") and number words ("fifteen hundred", "two fifty").
fn numbers(words: &[String]) -> Vec<(usize, usize, f64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            let clean: String = w.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
            if let Ok(v) = clean.parse::<f64>() {
                out.push((i, 1, v));
            }
            i += 1;
            continue;
        }
        // "a thousand", "a hundred"
        if w == "a" && words.get(i + 1).is_some_and(|n| n == "thousand" || n == "hundred") {
            let v = if words[i + 1] == "thousand" { 1000.0 } else { 100.0 };
            out.push((i, 2, v));
            i += 2;
            continue;
        }
        if let Some(r) = read_cardinal(&words[i..]).filter(|r| !r.ordinal) {
            let mut value = f64::from(r.value);
            let mut len = r.len;
            // "two fifty" = 250, "twelve fifty" = 1250 (said of money).
            if r.value < 100
                && r.len <= 2
                && let Some(next) =
                    read_small(&words[i + r.len..]).filter(|n| (10..100).contains(&n.value) && !n.ordinal)
            {
                value = f64::from(r.value * 100 + next.value);
                len += next.len;
            }
            out.push((i, len, value));
            i += len;
            continue;
        }
        i += 1;
    }
    out
}

/// Money amounts in order ("$1,500", "fifteen hundred dollars", "two
/// fifty"); percentages are not amounts.
pub fn amounts(text: &str) -> Vec<f64> {
    let w = tokens(text);
    numbers(&w)
        .into_iter()
        .filter(|(i, len, _)| {
            let after = w.get(i + len).map(String::as_str);
            !matches!(after, Some("%" | "percent" | "percentage"))
        })
        .map(|(_, _, v)| v)
        .collect()
}

/// The patient's coinsurance percentage: "20 percent", "20%", "eighty
/// twenty" (the plan pays 80, the patient 20).
pub fn coinsurance(text: &str) -> Option<u32> {
    let w = tokens(text);
    for (i, len, v) in numbers(&w) {
        let after = w.get(i + len).map(String::as_str);
        if matches!(after, Some("%" | "percent")) && (1.0..=100.0).contains(&v) {
            return Some(v as u32);
        }
    }
    // "eighty twenty", "80/20", "seventy thirty"
    for i in 0..w.len() {
        let Some(a) = read_small(&w[i..]).filter(|r| r.len == 1 && !r.ordinal) else {
            continue;
        };
        if let Some(b) = read_small(&w[i + 1..]).filter(|r| r.len == 1 && !r.ordinal)
            && a.value + b.value == 100
            && a.value % 10 == 0
            && a.value > 0
            && b.value > 0
        {
            return Some(b.value);
        }
    }
    None
}

/// The terms at each kind of pharmacy, read clause by clause: "eighty
/// twenty at retail and specialty, mail order is the same", "a thirty
/// dollar copay at retail", "there's no mail order benefit". Terms said
/// before any pharmacy is named go to the pharmacies named next; "the
/// same" repeats the terms said last. Pharmacies never named stay `None`.
pub fn channels(text: &str) -> Channels {
    let mut out = Channels::default();
    let mut last: Option<Terms> = None;
    let mut unplaced: Option<Terms> = None;
    for clause in text.split(['.', ';', ',', '?', '!']) {
        let w = tokens(clause);
        if w.is_empty() {
            continue;
        }
        let joined = format!(" {} ", w.join(" "));
        let named: Vec<&str> = [
            ("retail", &[" retail "][..]),
            ("specialty", &[" specialty ", " speciality "][..]),
            (
                "mail_order",
                &[" mail order ", " mailorder ", " mail ", " home delivery "][..],
            ),
        ]
        .into_iter()
        .filter(|(_, words)| words.iter().any(|x| joined.contains(x)))
        .map(|(name, _)| name)
        .collect();
        let said = if let Some(pct) = coinsurance(clause) {
            Some(Terms::Coinsurance { pct })
        } else if let Some(&dollars) = amounts(clause).first().filter(|a| **a <= 500.0) {
            Some(Terms::Copay { dollars })
        } else if has_phrase(
            clause,
            &[
                "no mail order benefit",
                "no benefit",
                "not covered",
                "isn't covered",
                "is not covered",
                "not available",
                "no coverage",
                "doesn't cover",
                "does not cover",
                "no mail order",
                "no specialty",
                "no retail",
            ],
        ) {
            Some(Terms::NotCovered)
        } else if has_phrase(clause, &["the same", "same thing", "same as", "also"]) {
            last
        } else {
            None
        };
        match (said, named.is_empty()) {
            (Some(t), true) => {
                unplaced = Some(t);
                last = Some(t);
            }
            (Some(t), false) => {
                place(&mut out, &named, t);
                unplaced = None;
                last = Some(t);
            }
            (None, false) => {
                if let Some(t) = unplaced.take().or(last) {
                    place(&mut out, &named, t);
                }
            }
            (None, true) => {}
        }
    }
    out
}

fn place(out: &mut Channels, named: &[&str], t: Terms) {
    for n in named {
        match *n {
            "retail" => out.retail = Some(t),
            "specialty" => out.specialty = Some(t),
            _ => out.mail_order = Some(t),
        }
    }
}

/// The plan type named in the answer.
pub fn plan_type(text: &str) -> Option<String> {
    let w = tokens(text);
    let joined = format!(" {} ", w.join(" "));
    const TYPES: &[(&str, &str)] = &[
        (" hmo ", "HMO"),
        (" h m o ", "HMO"),
        (" ppo ", "PPO"),
        (" p p o ", "PPO"),
        (" epo ", "EPO"),
        (" e p o ", "EPO"),
        (" pos ", "POS"),
        (" point of service ", "POS"),
        (" hdhp ", "HDHP"),
        (" high deductible ", "HDHP"),
        (" medicare part d ", "Medicare Part D"),
        (" part d ", "Medicare Part D"),
        (" medicare advantage ", "Medicare Advantage"),
        (" medicaid ", "Medicaid"),
        (" commercial ", "Commercial"),
    ];
    let mut found: Vec<(usize, &str)> = TYPES
        .iter()
        .filter_map(|(k, v)| joined.find(k).map(|at| (at, *v)))
        .collect();
    found.sort_by_key(|f| f.0);
    found.dedup_by_key(|f| f.1);
    (!found.is_empty()).then(|| found.iter().map(|f| f.1).collect::<Vec<_>>().join(" "))
}

/// In network or out of it.
pub fn in_network(text: &str) -> Option<bool> {
    if has_phrase(
        text,
        &[
            "out of network",
            "out of the network",
            "not in network",
            "non participating",
            "not participating",
            "isn't in network",
            "is not in network",
            "not in the network",
        ],
    ) {
        return Some(false);
    }
    // "Out of network" with its first word lost.
    let w = tokens(text);
    if w.windows(2).any(|p| p[0] == "of" && p[1] == "network") && !has_phrase(text, &["in network"]) {
        return Some(false);
    }
    if has_phrase(
        text,
        &[
            "in network",
            "in the network",
            "participating",
            "preferred",
            "contracted",
        ],
    ) {
        return Some(true);
    }
    yes_no(text)
}

/// Whether the cost share comes after the deductible.
pub fn after_deductible(text: &str) -> bool {
    has_phrase(
        text,
        &[
            "after deductible",
            "after the deductible",
            "once the deductible",
            "after she meets",
            "after he meets",
            "after they meet",
        ],
    )
}

const NATO: &[(&str, char)] = &[
    ("alpha", 'A'),
    ("alfa", 'A'),
    ("bravo", 'B'),
    ("charlie", 'C'),
    ("delta", 'D'),
    ("echo", 'E'),
    ("foxtrot", 'F'),
    ("golf", 'G'),
    ("hotel", 'H'),
    ("india", 'I'),
    ("juliet", 'J'),
    ("kilo", 'K'),
    ("lima", 'L'),
    ("mike", 'M'),
    ("november", 'N'),
    ("oscar", 'O'),
    ("papa", 'P'),
    ("quebec", 'Q'),
    ("romeo", 'R'),
    ("sierra", 'S'),
    ("tango", 'T'),
    ("uniform", 'U'),
    ("victor", 'V'),
    ("whiskey", 'W'),
    ("xray", 'X'),
    ("yankee", 'Y'),
    ("zulu", 'Z'),
];

/// A reference number: the letters and digits after "reference" (or "ref",
/// "confirmation", "number is"), read one by one ("R E F 4 4 7", "four
/// four seven", "bravo 12"); at least three characters.
pub fn reference(text: &str) -> Option<String> {
    let w = tokens(text);
    let start = w
        .iter()
        .position(|x| matches!(x.as_str(), "reference" | "ref" | "confirmation" | "tracking"))
        .map(|i| i + 1)?;
    let mut out = String::new();
    let mut started = false;
    for (k, x) in w.iter().enumerate().skip(start) {
        if !started
            && matches!(
                x.as_str(),
                "number"
                    | "is"
                    | "it's"
                    | "the"
                    | "your"
                    | "for"
                    | "this"
                    | "call"
                    | "that"
                    | "will"
                    | "be"
                    | "#"
                    | "no"
            )
        {
            continue;
        }
        let piece: Option<String> =
            // Digits with letters ("44719", "b12"), or one letter ("R").
            if (x.chars().all(|c| c.is_ascii_alphanumeric()) && x.chars().any(|c| c.is_ascii_digit()))
                || (x.len() == 1 && x.chars().all(|c| c.is_ascii_alphabetic()))
            {
                Some(x.to_uppercase())
            } else if x.len() <= 3
                && x.chars().all(|c| c.is_ascii_alphabetic())
                && !matches!(
                    x.as_str(),
                    "and" | "the" | "for" | "you" | "its" | "it" | "is" | "an" | "oh"
                )
                && w.get(k + 1).is_some_and(|n| n.chars().any(|c| c.is_ascii_digit()))
            {
                // "REF 44719": a short run of letters written as a word.
                Some(x.to_uppercase())
            } else if let Some((_, c)) = NATO.iter().find(|(n, _)| n == x) {
                Some(c.to_string())
            } else if let Some(d) = crate::nlu::numbers::small_cardinal(x).filter(|d| *d < 10) {
                Some(d.to_string())
            } else if x == "oh" && started {
                Some("0".into())
            } else {
                None
            };
        match piece {
            Some(p) => {
                started = true;
                out.push_str(&p);
            }
            None if started => break,
            None => {}
        }
    }
    (out.len() >= 3).then_some(out)
}

/// The speaker's own name: "this is Dana", "my name is Dana", "Dana speaking".
pub fn own_name(text: &str) -> Option<String> {
    let raw: Vec<&str> = text
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .filter(|s| !s.is_empty())
        .collect();
    let lower: Vec<String> = raw.iter().map(|s| s.to_lowercase()).collect();
    const NOT_NAMES: &[&str] = &[
        "the", "a", "an", "provider", "services", "pharmacy", "customer", "member", "your", "calling", "with", "in",
        "on", "from", "at", "is", "for", "and", "thank", "thanks", "speaking", "how", "can", "i", "help",
    ];
    let ok = |i: usize| {
        raw.get(i)
            .filter(|s| s.chars().next().is_some_and(char::is_uppercase) && !NOT_NAMES.contains(&lower[i].as_str()))
            .map(|s| s.to_string())
    };
    for i in 0..lower.len() {
        if lower[i] == "this"
            && lower.get(i + 1).is_some_and(|x| x == "is")
            && let Some(n) = ok(i + 2)
        {
            return Some(n);
        }
        if lower[i] == "name"
            && lower.get(i + 1).is_some_and(|x| x == "is" || x == "'s")
            && let Some(n) = ok(i + 2)
        {
            return Some(n);
        }
        if lower[i] == "name's"
            && let Some(n) = ok(i + 1)
        {
            return Some(n);
        }
        if lower[i] == "speaking"
            && i > 0
            && let Some(n) = ok(i - 1)
        {
            return Some(n);
        }
    }
    None
}

/// Whether the words are a hold line's recording rather than a person:
/// "your call is important to us", "please continue to hold", music tags.
pub fn is_hold_recording(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || (t.starts_with('[') || t.starts_with('(') || t.starts_with('♪')) {
        return true;
    }
    has_phrase(
        text,
        &[
            "your call is important",
            "continue to hold",
            "remain on the line",
            "stay on the line",
            "all of our representatives",
            "all our representatives",
            "representatives are currently",
            "representatives are busy",
            "next available",
            "estimated wait",
            "wait time",
            "calls are answered in the order",
            "in the order they were received",
            "please hold while",
            "thank you for your patience",
            "music",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_as_people_say_it() {
        assert_eq!(
            amounts("fifteen hundred, and she's met about two fifty"),
            [1500.0, 250.0]
        );
        assert_eq!(
            amounts("The deductible is $1,500.00 and $250 has been met."),
            [1500.0, 250.0]
        );
        assert_eq!(amounts("a thousand dollars, none met"), [1000.0]);
        assert_eq!(amounts("six thousand five hundred, met 1200"), [6500.0, 1200.0]);
        assert_eq!(amounts("twenty percent after deductible"), Vec::<f64>::new());
    }

    #[test]
    fn coinsurance_and_yes_no() {
        assert_eq!(coinsurance("eighty twenty after deductible"), Some(20));
        assert_eq!(coinsurance("it's 30% coinsurance at specialty"), Some(30));
        assert_eq!(coinsurance("a thirty dollar copay"), None);
        assert_eq!(yes_no("no PA on that one"), Some(false));
        assert_eq!(yes_no("Yes, it does require prior authorization."), Some(true));
        assert_eq!(yes_no("It's not required."), Some(false));
        assert_eq!(yes_no("That's correct."), Some(true));
        assert_eq!(in_network("Yes, you're in network."), Some(true));
        assert_eq!(in_network("They're out of network for this plan"), Some(false));
        assert_eq!(in_network("of network for this plan."), Some(false));
        assert!(after_deductible("eighty twenty after deductible"));
    }

    #[test]
    fn cost_share_by_pharmacy() {
        let co = |pct| Some(Terms::Coinsurance { pct });
        let copay = |dollars| Some(Terms::Copay { dollars });
        let c = channels("It's eighty twenty after deductible, at retail and specialty. Mail order is the same.");
        assert_eq!((c.retail, c.specialty, c.mail_order), (co(20), co(20), co(20)));
        let c = channels("It's a thirty dollar copay at retail, and mail order is the same.");
        assert_eq!((c.retail, c.specialty, c.mail_order), (copay(30.0), None, copay(30.0)));
        let c = channels("Coinsurance is forty percent at specialty, and there's no mail order benefit.");
        assert_eq!(
            (c.retail, c.specialty, c.mail_order),
            (None, co(40), Some(Terms::NotCovered))
        );
        let c = channels("Ten dollars at retail, twenty five at mail order, and specialty is thirty percent.");
        assert_eq!(
            (c.retail, c.specialty, c.mail_order),
            (copay(10.0), co(30), copay(25.0))
        );
        assert!(channels("She pays twenty percent coinsurance after the deductible.").is_empty());
    }

    #[test]
    fn references_names_and_plan_types() {
        assert_eq!(
            reference("Your reference number is R E F 4 4 7 1 9.").as_deref(),
            Some("REF44719")
        );
        assert_eq!(
            reference("Your reference number is REF 44719.").as_deref(),
            Some("REF44719")
        );
        assert_eq!(
            reference("reference number bravo seven seven two").as_deref(),
            Some("B772")
        );
        assert_eq!(reference("the reference is 88412").as_deref(), Some("88412"));
        assert_eq!(reference("no reference"), None);
        assert_eq!(
            own_name("Thank you for holding, this is Dana in provider services.").as_deref(),
            Some("Dana")
        );
        assert_eq!(own_name("My name is Marcus.").as_deref(), Some("Marcus"));
        assert_eq!(own_name("this is the pharmacy line"), None);
        assert_eq!(plan_type("It's a PPO plan.").as_deref(), Some("PPO"));
        assert_eq!(plan_type("commercial HMO").as_deref(), Some("Commercial HMO"));
        assert!(asks_to_hold("Okay, let me check on that, one moment."));
        assert!(is_hold_recording(
            "Your call is important to us. Please continue to hold."
        ));
        assert!(is_hold_recording("[MUSIC PLAYING]"));
        assert!(!is_hold_recording("Thank you for holding, this is Dana."));
    }
}
