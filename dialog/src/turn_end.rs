//! Whether the words heard so far make a complete turn: the semantic half of
//! end-of-turn detection.
//!
//! The voice activity detector only knows that the caller is silent; a
//! pause after "my date of birth is" or "March third" is not the end of the
//! turn, a pause after "yes" or "is my insurance active?" is. When the
//! caller pauses, the utterance so far is decoded (a speculative final) and
//! judged here: a [`Completeness::Complete`] turn is ended at once instead
//! of after the full silence hangover, an [`Completeness::Incomplete`] one
//! is given longer to go on, and anything else waits the usual hangover.
//!
//! The judgement has two halves: [`judge_words`] reads the words alone
//! (what a sentence cannot end on), and [`crate::Dialog::turn_completeness`]
//! adds what the conversation expects (a whole date of birth while one is
//! asked for, a request the grammar understands once the caller is
//! verified).

use crate::nlu::text::{MAX_CHARS, clip, words};

/// How complete the words so far are as a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// A whole turn: end it now.
    Complete,
    /// Plainly unfinished (ends on "and", half a date): give it longer.
    Incomplete,
    /// Cannot tell: wait the usual silence.
    Unsure,
}

/// Words a finished sentence does not end on: conjunctions, articles,
/// possessives, prepositions, auxiliaries and hesitations.
#[rustfmt::skip]
const TRAILING: &[&str] = &[
    "and", "or", "but", "so", "because", "cause", "if", "than", "then", "also", "plus",
    "um", "uh", "er", "erm", "ah", "like",
    "the", "a", "an", "my", "your", "his", "her", "our", "their", "this", "that", "these", "those",
    "to", "for", "of", "about", "with", "on", "in", "at", "from", "by", "into", "as",
    "is", "are", "was", "were", "am", "be", "been", "i", "i'm", "it's", "we", "he", "she", "they",
    "what", "when", "where", "which", "who", "whether", "how", "why",
    "need", "want", "wanted", "would", "could", "can", "should", "will", "do", "does", "did",
    "have", "has", "had", "get", "got", "just", "called", "named", "spelled", "spell",
];

/// Nouns that introduce what comes next ("my date of birth …", "my member
/// number …"), unless the recogniser heard them end a question ("what's my
/// case number?").
#[rustfmt::skip]
const INTRODUCING: &[&str] = &["name", "birth", "born", "date", "number", "birthday", "dob"];

/// Numbers that a year or a day may go on from ("nineteen …", "eighty …",
/// "two thousand …", "the twenty …").
#[rustfmt::skip]
const NUMBER_GOES_ON: &[&str] = &[
    "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    "thousand", "hundred", "oh",
];

/// Judges the words alone: [`Completeness::Incomplete`] when the text ends
/// on a word a sentence does not end on or on a number that usually goes
/// on; [`Completeness::Unsure`] for nothing heard or a trailing comma or
/// ellipsis (the recogniser's mark of a trailing-off voice); otherwise
/// [`Completeness::Complete`].
pub fn judge_words(text: &str) -> Completeness {
    judge(text, false)
}

/// [`judge_words`] for someone reading out figures ("she's met about two
/// fifty."): a number the recogniser ended with a full stop is the end of
/// the amount, not the start of a longer one.
pub fn judge_figures(text: &str) -> Completeness {
    judge(text, true)
}

fn judge(text: &str, stop_ends_numbers: bool) -> Completeness {
    let text = clip(text, MAX_CHARS).trim();
    let w = words(text);
    let Some(last) = w.last() else {
        return Completeness::Unsure;
    };
    // Whisper often adds a lone word such as " and" after a closed sentence
    // when the clip ends in silence ("What is my copay? and"): a lowercase
    // trailing word after the sentence's final mark is judged without it.
    // A caller going on starts a new sentence, which the recogniser
    // capitalises ("… visit? And my …").
    if let Some(cut) = text.rfind(['.', '?', '!']) {
        let tail = text[cut + 1..].trim();
        let lone = !tail.is_empty() && !tail.contains(char::is_whitespace);
        if lone && tail.starts_with(|c: char| c.is_lowercase()) && TRAILING.contains(&last.as_str()) {
            return judge(&text[..=cut], stop_ends_numbers);
        }
    }
    let question = text.ends_with('?');
    let number_goes_on = NUMBER_GOES_ON.contains(&last.as_str()) && !(stop_ends_numbers && text.ends_with('.'));
    if TRAILING.contains(&last.as_str()) || number_goes_on || (INTRODUCING.contains(&last.as_str()) && !question) {
        return Completeness::Incomplete;
    }
    // The recogniser also writes a comma or an ellipsis where a voice
    // merely trails off: not enough to wait longer, too much to end now.
    if text.ends_with(',') || text.ends_with("...") || text.ends_with('-') || text.ends_with('\u{2026}') {
        return Completeness::Unsure;
    }
    Completeness::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_sentences_are_complete() {
        for t in [
            "Yes.",
            "no",
            "Is my insurance active?",
            "I need a refill on my Lipitor.",
            "My name is Wei Lewis.",
            "March 3rd, 1985.",
            "Thank you, goodbye.",
            "What's my case number?",
        ] {
            assert_eq!(judge_words(t), Completeness::Complete, "{t}");
        }
    }

    #[test]
    fn sentences_that_trail_off_are_incomplete() {
        for t in [
            "My date of birth is",
            "I wanted to ask about",
            "Yes and",
            "My name is, um",
            "It's March third, nineteen",
            "I need a refill for my...",
            "Uh, I was calling because,",
            "My birthday is January twelfth, two thousand",
            "My member number.",
        ] {
            assert_eq!(judge_words(t), Completeness::Incomplete, "{t}");
        }
    }

    #[test]
    fn a_lone_lowercase_word_after_a_closed_sentence_is_not_the_caller_going_on() {
        // What the recogniser made of the clip's trailing silence.
        assert_eq!(
            judge_words("What is my copay for a specialist visit? and"),
            Completeness::Complete
        );
        assert_eq!(judge_words("My name is Jane Doe. so"), Completeness::Complete);
        // Judged as the sentence before it: still unfinished there.
        assert_eq!(judge_words("My date of birth is. and"), Completeness::Incomplete);
        // A new sentence the caller starts is theirs.
        assert_eq!(judge_words("Is my Ozempic covered? And"), Completeness::Incomplete);
        assert_eq!(judge_words("Is my Ozempic covered? and my"), Completeness::Incomplete);
    }

    #[test]
    fn nothing_heard_is_unsure() {
        assert_eq!(judge_words("I can't breathe..."), Completeness::Unsure);
        assert_eq!(judge_words(""), Completeness::Unsure);
        assert_eq!(judge_words(" . "), Completeness::Unsure);
    }
}
