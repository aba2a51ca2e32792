//! The caller's name in an utterance: "my name is John Smith", "this is Jane
//! Doe", "it's Maria Garcia", "I'm Robert Johnson", "Name John Smith born
//! March ...", "John Smith, date of birth ...", "first name John, last name
//! Smith". Case- and punctuation-insensitive; the date part and filler words
//! are left out.
//!
//! Names come back **lowercase**, words separated by single spaces ("john
//! smith"): the patient lookup matches names fuzzily and case-blind, and
//! lowercase avoids guessing capitalisation ("McDonald", "de la Cruz").

use super::dates::is_month;
use super::numbers::{digits, ordinal_word, small_cardinal, tens};
use super::text::words;

/// The most words a name may have.
const MAX_WORDS: usize = 4;

/// Phrases that introduce a name, longest first.
const CUES: &[&[&str]] = &[
    &["my", "full", "name", "is"],
    &["my", "name", "is"],
    &["my", "name's"],
    &["full", "name", "is"],
    &["the", "name", "is"],
    &["name", "is"],
    &["name's"],
    &["name"],
    &["this", "is"],
    &["it's"],
    &["it", "is"],
    &["i'm"],
    &["im"],
    &["i", "am"],
    &["call", "me"],
];

/// Skipped before a name: "hi, yes, um, John Smith".
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "hi", "hello", "hey", "yes", "yeah", "yep", "sure", "okay", "ok", "um", "uh", "uhm", "er", "oh", "so", "well",
    "good", "morning", "afternoon", "evening", "there", "uh-huh",
];

/// Words that end a bare name ("John Smith, born ...", "John Smith 3/3/85").
#[rustfmt::skip]
const BOUNDARIES: &[&str] = &[
    "born", "date", "dob", "d", "birthday", "birth", "and", "my", "speaking", "here", "calling", "on", "the",
];

/// Words that are never part of a name.
#[rustfmt::skip]
const STOP: &[&str] = &[
    "a", "an", "the", "i", "i'm", "im", "me", "my", "mine", "you", "your", "we", "our", "us", "he", "she", "his",
    "her", "him", "they", "them", "their", "it", "its", "it's", "this", "that", "these", "those", "there", "here",
    "is", "am", "are", "was", "were", "be", "been", "being", "do", "does", "did", "done", "have", "has", "had",
    "having", "will", "would", "can", "could", "should", "shall", "must", "can't", "cannot", "don't", "doesn't",
    "didn't", "won't", "isn't", "aren't", "wasn't", "i've", "i'd", "i'll", "you're", "that's", "what's", "there's",
    "let's", "and", "or", "but", "so", "if", "then", "than", "because", "of", "to", "in", "on", "at", "by", "for",
    "from", "with", "about", "as", "into", "over", "under", "after", "before", "since", "until", "up", "down", "out",
    "off", "just", "also", "too", "very", "not", "no", "yes", "yeah", "yep", "yup", "nope", "ok", "okay", "um", "uh",
    "uhm", "er", "hmm", "mm", "oh", "ah", "hi", "hello", "hey", "well", "sure", "please", "thanks", "thank", "sorry",
    "excuse", "good", "morning", "afternoon", "evening", "fine", "great", "right", "alright", "all", "any", "some",
    "what", "when", "where", "who", "whom", "why", "how", "which", "again", "still", "need", "needs", "want", "like",
    "know", "think", "get", "got", "getting", "call", "calling", "called", "speaking", "talking", "talk", "speak",
    "ask", "asking", "check", "checking", "wondering", "trying", "looking", "help", "question", "questions", "wanted",
    "name", "names", "first", "last", "full", "middle", "surname", "date", "birth", "born", "birthday", "dob",
    "medication", "medications", "medicine", "prescription", "prescriptions", "pharmacy", "pharmacist", "insurance",
    "plan", "coverage", "covered", "cover", "copay", "refill", "refills", "status", "order", "side", "effect",
    "effects", "prior", "authorization", "pa", "agent", "representative", "human", "person", "operator", "doctor",
    "patient", "benefits", "tier", "deductible", "cost", "refund", "complaint", "hours", "open", "blue", "cross",
    "shield", "united", "health", "healthcare", "aetna", "cigna", "humana", "medicare", "medicaid", "phone", "number",
    "account", "member", "id", "year", "years", "old", "today", "tomorrow", "yesterday", "month", "bye", "goodbye",
    "nothing", "something", "anything", "one", "hundred", "thousand",
];

/// Month names that are also given names ("April Jones", "June Lee").
const MONTH_NAMES: &[&str] = &["april", "may", "june", "august", "january"];

/// The caller's name in `text`, lowercase ("john smith"); `None` when there
/// is no plausible full name (a name needs two words unless given as "first
/// name ..., last name ...").
pub fn extract_name(text: &str) -> Option<String> {
    let words = words(text);
    first_and_last(&words).or_else(|| cued(&words)).or_else(|| bare(&words))
}

fn starts_with(words: &[String], at: usize, phrase: &[&str]) -> bool {
    words
        .get(at..at + phrase.len())
        .is_some_and(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
}

fn find(words: &[String], phrases: &[&[&str]]) -> Option<usize> {
    (0..words.len()).find_map(|i| phrases.iter().find(|p| starts_with(words, i, p)).map(|p| i + p.len()))
}

fn skip(words: &[String], mut at: usize, fillers: &[&str]) -> usize {
    while words.get(at).is_some_and(|w| fillers.contains(&w.as_str())) {
        at += 1;
    }
    at
}

fn is_numberish(word: &str) -> bool {
    digits(word).is_some()
        || small_cardinal(word).is_some()
        || tens(word).is_some()
        || ordinal_word(word).is_some()
        || word == "oh"
}

/// Whether `word` can be part of a name, given the word after it.
fn is_name_word(word: &str, next: Option<&String>) -> bool {
    if !word.chars().all(|c| c.is_alphabetic() || c == '\'') || !word.chars().any(char::is_alphabetic) {
        return false;
    }
    if STOP.contains(&word) || is_numberish(word) {
        return false;
    }
    if is_month(word) {
        let dated = next.is_some_and(|n| is_numberish(n) || n == "the");
        return !dated && MONTH_NAMES.contains(&word);
    }
    true
}

/// Up to [`MAX_WORDS`] name words from `at`: the name and how many words it took.
fn read_name(words: &[String], at: usize, min: usize) -> Option<(String, usize)> {
    let mut taken: Vec<&str> = Vec::new();
    let mut i = at;
    while let Some(word) = words.get(i) {
        if taken.len() == MAX_WORDS || !is_name_word(word, words.get(i + 1)) {
            break;
        }
        taken.push(word);
        i += 1;
    }
    let initial = |w: &&str| w.chars().count() == 1;
    while taken.last().is_some_and(initial) {
        taken.pop();
    }
    if taken.first().is_some_and(initial) || taken.len() < min {
        return None;
    }
    Some((taken.join(" "), taken.len()))
}

/// "first name John, last name Smith".
fn first_and_last(words: &[String]) -> Option<String> {
    let at = find(words, &[&["first", "name"]])?;
    let (first, _) = read_name(words, skip(words, at, &["is", "it's", "um", "uh"]), 1)?;
    let at = find(words, &[&["last", "name"], &["family", "name"], &["surname"]])?;
    let (last, _) = read_name(words, skip(words, at, &["is", "it's", "um", "uh"]), 1)?;
    Some(format!("{first} {last}"))
}

/// "my name is John Smith", "this is Jane Doe", "I'm Robert Johnson".
fn cued(words: &[String]) -> Option<String> {
    (0..words.len()).find_map(|i| {
        CUES.iter()
            .filter(|cue| starts_with(words, i, cue))
            .find_map(|cue| read_name(words, skip(words, i + cue.len(), FILLERS), 2))
            .map(|(name, _)| name)
    })
}

/// "John Smith", "yes, John Smith, March 3rd 1985".
fn bare(words: &[String]) -> Option<String> {
    let at = skip(words, 0, FILLERS);
    let (name, len) = read_name(words, at, 2)?;
    let after = words.get(at + len);
    let ends = after.is_none_or(|w| BOUNDARIES.contains(&w.as_str()) || is_month(w) || is_numberish(w));
    ends.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cued_names() {
        let cases = [
            ("my name is John Smith", "john smith"),
            ("My name is John Smith, date of birth March 3rd, 1985.", "john smith"),
            ("This is Jane Doe.", "jane doe"),
            ("Yes, hi, this is Jane Doe calling about my Ozempic", "jane doe"),
            ("It's Maria Garcia and my birthday is June 1st 1990", "maria garcia"),
            ("it\u{2019}s Maria Garcia", "maria garcia"),
            ("I'm Robert Johnson", "robert johnson"),
            ("Name John Smith born March 3 1985", "john smith"),
            (
                "Hi, I'm calling about a refill. My name is Mary-Jane O'Brien.",
                "mary jane o'brien",
            ),
            ("my name's Maria de la Cruz", "maria de la cruz"),
            ("This is John Q. Smith", "john q smith"),
            ("my first name is John and my last name is Smith", "john smith"),
        ];
        for (text, want) in cases {
            assert_eq!(extract_name(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn bare_names() {
        let cases = [
            ("John Smith", "john smith"),
            ("John Smith, date of birth 3/3/85", "john smith"),
            ("Um, John Smith, March third nineteen eighty five", "john smith"),
            ("Smith John 3/3/85", "smith john"),
            ("April Jones, born May 5th 1970", "april jones"),
            ("JANE DOE.", "jane doe"),
        ];
        for (text, want) in cases {
            assert_eq!(extract_name(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn no_name() {
        for text in [
            "",
            "March 3rd, 1985",
            "is my Ozempic covered",
            "I need a refill",
            "I'm calling about my prescription",
            "it's about my insurance",
            "Ozempic coverage",
            "Blue Cross",
            "yes",
            "I'm fine thanks",
            "this is",
            "my name is",
            "John",
            "I want to talk to a human",
            "what are your hours",
            "12345 67890",
        ] {
            assert_eq!(extract_name(text), None, "{text}");
        }
    }
}
