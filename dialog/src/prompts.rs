//! Fixed prompts: sentences that never vary, so the server can synthesise
//! them once at start-up and play cached audio ([`FIXED_PROMPTS`]).
//!
//! Nothing here carries data from a record. Sentences that do (names,
//! medications, benefits, case numbers) are built by the crate-private
//! `answers` module, and only from a verified caller. The one sentence built
//! here from caller data, the member ID read back, holds only the digits
//! the caller has just said.

/// Spoken when the call connects.
pub const GREETING: &str =
    "Thanks for calling the pharmacy benefits line. To get started, please tell me your full name and date of birth.";
/// Asks for both halves of the identity again.
pub const ASK_IDENTITY: &str = "Please tell me your full name and date of birth.";
/// The caller gave a name but no date of birth.
pub const ASK_DOB: &str = "Thanks. And what's your date of birth?";
/// The caller gave the month and day of their birth but not the year.
pub const ASK_YEAR: &str = "And what year were you born?";
/// The caller gave a date of birth but no name.
pub const ASK_NAME: &str = "Thanks. And what's your full name?";
/// The lookup found no match (or an ambiguous one).
pub const VERIFY_RETRY: &str = "I couldn't match that name and date of birth. Let's try again: please say your \
                                full name and date of birth. You can also spell your last name letter by letter, \
                                and key in your date of birth: two digits for the month, two for the day, and four \
                                for the year.";
/// A miss where the name was heard only with the names on file as the
/// recogniser's prompt: the member ID confirms it instead.
pub const ASK_MEMBER_ID: &str = "I need one more thing to confirm it's you. Please key in the nine digits of the \
                                 member ID on your insurance card, or say them one at a time. If you don't have it, \
                                 just say so.";
/// A member ID of the wrong length.
pub const MEMBER_ID_INVALID: &str =
    "That wasn't nine digits. Please key in the nine digits of your member ID, or say them one at a time.";
/// The lookup with the member ID failed on a date of birth that was said:
/// the date keyed in settles it.
pub const MEMBER_ID_KEY_DOB: &str = "I still couldn't match that. Please key in your date of birth: two digits for \
                                     the month, two for the day, and four for the year.";
/// The answer to the member ID question held no digits and did not say
/// there is none (a garbled line): asked once more, the keypad first.
pub const MEMBER_ID_NOT_HEARD: &str = "Sorry, I didn't get those digits. Please key in the nine digits of your \
                                       member ID on your phone's keypad, or say them one at a time. If you don't \
                                       have it, just say so.";
/// Ends [`member_id_read_back`].
const READ_BACK_END: &str = "Is that right? Say yes, or key in the nine digits.";

/// Nine digits said for the member ID, read back before the lookup: a
/// recogniser gets a digit wrong on a phone line more often than a keypad
/// does, and a wrong one would cost a verification attempt. In groups of
/// three, as words ("I heard one two three, four five six, …").
pub fn member_id_read_back(digits: &str) -> String {
    let words: Vec<&str> = digits
        .chars()
        .filter_map(|c| c.to_digit(10).map(|d| crate::nlu::numbers::SMALL[d as usize]))
        .collect();
    let groups: Vec<String> = words.chunks(3).map(|g| g.join(" ")).collect();
    format!("I heard {}. {READ_BACK_END}", groups.join(", "))
}

/// Whether `text` is a [`member_id_read_back`].
pub fn is_member_id_read_back(text: &str) -> bool {
    text.starts_with("I heard ") && text.ends_with(READ_BACK_END)
}

/// The member ID read back was not confirmed: the keypad settles it.
pub const MEMBER_ID_KEY_IT: &str = "All right. Please key in the nine digits of your member ID on your phone's keypad.";
/// The caller has no member ID at hand: name and date of birth again.
pub const MEMBER_ID_SKIPPED: &str = "That's all right. Then please say your full name and date of birth once more. \
                                     You can key in your date of birth: two digits for the month, two for the day, \
                                     and four for the year.";
/// Keyed-in digits that are not a date of birth.
pub const KEYPAD_INVALID: &str = "That isn't a date I can use. Please key in eight digits: two for the month, two \
                                  for the day, and four for the year.";
/// A question that needs the record came before verification.
pub const VERIFY_FIRST: &str =
    "I can help with that once I've verified your identity. Please tell me your full name and date of birth.";
/// The caller would rather not give their name and date of birth.
pub const VERIFY_WHY: &str = "I understand. To keep your records private, I can only share your medications or \
                              benefits after I've verified your name and date of birth. I can also connect you \
                              with a person. Would you like that?";
/// The caller needs a moment.
pub const HOLD_ON: &str = "Sure, take your time.";
/// Said before handing the call to a person.
pub const TRANSFER: &str = "I'm transferring you to a member of our team now.";
/// A supervisor asked for the call to go to staff.
pub const SUPERVISOR_TRANSFER: &str = "I'm going to connect you with a member of our team now.";
/// A supervisor asked for a callback.
pub const SUPERVISOR_CALLBACK: &str = "I've asked a member of our team to call you back at this number.";
/// The supervisor handed the call back to the bot.
pub const HANDED_BACK: &str = "I'm back with you. What else can I help you with?";
/// Filler while a slow lookup runs.
pub const ONE_MOMENT: &str = "One moment while I check that.";
/// Said at once when the caller's request goes to a function known to be
/// slow (the payer's benefits check), so that the caller does not wait in
/// silence; short, so that a quick answer is not held behind it.
pub const LET_ME_CHECK: &str = "Let me check with your plan.";
/// Nothing usable was heard, or nothing the bot understands.
pub const NOT_UNDERSTOOD: &str = "Sorry, I didn't catch that. Could you say it again?";
/// The date of birth was asked for and not understood: the keypad is offered
/// at once, not after a failed lookup.
pub const NOT_UNDERSTOOD_DOB: &str = "Sorry, I didn't catch your date of birth. You can say it again, or key it in: \
                                      two digits for the month, two for the day, and four for the year.";
/// An identity turn gave nothing usable: one half at a time, the name first
/// (the date of birth can then be keyed in, see [`ASK_DOB_KEYPAD`]).
pub const NOT_UNDERSTOOD_NAME: &str =
    "Sorry, I didn't catch that. Let's take it one step at a time: please say just your first and last name.";
/// The date of birth asked for after an identity turn was missed: the keypad
/// is offered with the question.
pub const ASK_DOB_KEYPAD: &str = "Thanks. And your date of birth? You can say it, or key it in: two digits for the \
                                  month, two for the day, and four for the year.";
/// A verified caller's request was not understood: what can be asked, by
/// voice or by key.
pub const NOT_UNDERSTOOD_MENU: &str = "Sorry, I didn't catch that. You can ask about coverage and copays, prior \
                                       authorization, refills, or your medications. Or press 1 for coverage, 2 for \
                                       prior authorization, 3 for refills, 4 to hear your medications, or 0 for a \
                                       person.";
/// Too many turns in a row were not understood.
pub const NOT_UNDERSTOOD_TRANSFER: &str =
    "I'm having trouble understanding, so I'm transferring you to a member of our team now.";
/// Asked right after verification.
pub const HOW_CAN_I_HELP: &str = "How can I help you today?";
/// Asked after every answer.
pub const ANYTHING_ELSE: &str = "Is there anything else I can help with?";
/// The caller said yes to [`ANYTHING_ELSE`].
pub const WHAT_ELSE: &str = "Sure. What else can I help you with?";
/// The request needs a medication and none (or several) could apply.
pub const WHICH_MEDICATION: &str = "Which medication is this about?";
/// A side effect was reported without saying what it is.
pub const ASK_SYMPTOMS: &str = "I'm sorry to hear that. What symptoms are you having?";
/// The benefits check ran past its budget and finishes in the background.
pub const BENEFITS_PENDING: &str = "I've started the check with your plan; it's taking longer than usual, so a technician \
                                    will call you back with the result.";
/// The patient lookup could not run (database down or too slow): not a mismatch.
pub const RECORDS_UNAVAILABLE: &str = "I'm sorry, I can't reach our records right now. Would you like me to connect you \
                                       to a member of our team?";
/// The caller declined a person after [`RECORDS_UNAVAILABLE`].
pub const RECORDS_TRY_AGAIN: &str = "All right, let's try again. Please tell me your full name and date of birth.";
/// A transfer was due but nobody on that team is on duty now.
pub const STAFF_CLOSED_CALLBACK: &str = "Our team isn't available right now, so I've asked someone to call you back \
                                         as soon as we open. Thanks for calling. Goodbye.";
/// Too many failed verifications for this number or patient.
pub const VERIFICATION_LOCKED: &str = "For your security, I can't verify your identity by phone right now. I'm \
                                       transferring you to a member of our team.";
/// The benefits check failed.
pub const BENEFITS_UNAVAILABLE: &str =
    "I couldn't reach your plan just now, so I've asked a technician to follow up with you.";
/// The PA search found nothing (or failed).
pub const PA_NOT_FOUND: &str = "I couldn't find a policy for that; I'll have a technician follow up.";
/// A tier 2 request (new prescription, controlled substance, interaction, clinical question).
pub const PHARMACIST_CALLBACK: &str = "That's a question for our pharmacist. I've asked one to call you back.";
/// A tier 3 request (price, refund, complaint).
pub const MANAGER_CALLBACK: &str = "That's a question for our pharmacy manager. I've asked them to call you back.";
/// Opening hours (no PHI: answered before verification too).
pub const HOURS: &str =
    "The pharmacy is open Monday to Friday from 8 AM to 8 PM, and Saturday and Sunday from 9 AM to 5 PM.";
/// Follows [`HOURS`] when the caller is not verified yet.
pub const HOURS_THEN_IDENTIFY: &str =
    "If you need help with a prescription, please tell me your full name and date of birth.";
/// Recording a side effect ran past its budget; the write finishes in the
/// background and a pharmacist follows up with the case number.
pub const ADVERSE_PENDING: &str =
    "I've passed what you told me to our drug safety team. A pharmacist will call you back with your case number.";
/// The report could not be written: a person follows up instead.
pub const ADVERSE_UNRECORDED: &str = "I couldn't record that just now, so I've asked a pharmacist to call you back.";
/// Before transferring a severe side effect to a pharmacist.
pub const CONNECT_PHARMACIST: &str = "Because this sounds serious, I'm connecting you to a pharmacist now.";
/// An emergency was mentioned (any stage, verified or not).
pub const EMERGENCY: &str = "If this is a medical emergency, please hang up and dial 9 1 1 now. I'm flagging this and \
                             connecting you to a pharmacist.";
/// Only the second opinion (not the grammar) heard an emergency: asked
/// before 911 advice is given on a guess.
pub const CONFIRM_EMERGENCY: &str = "It sounds like this could be an emergency. Is this a medical emergency?";
/// A request for a person that only the second opinion heard.
pub const CONFIRM_PERSON: &str = "Would you like me to connect you with a person?";
/// A goodbye that only the second opinion heard.
pub const CONFIRM_GOODBYE: &str = "Would you like to end the call?";
/// How a guessed request is put back to the caller.
const CONFIRM_LEAD: &str = "Just to check: ";

/// The question that puts a request only the second opinion heard back to
/// the caller before the bot acts on it ("Just to check: you'd like a
/// refill of Lipitor. Is that right?"). `medication` is the verified
/// caller's own one it would be about. `None` for intents acted on without
/// asking (a yes, a repeat, hold on) or asked about elsewhere (an emergency).
pub fn confirm_guess(intent: crate::Intent, medication: Option<&str>) -> Option<String> {
    use crate::Intent as I;
    let med = medication.unwrap_or("your medication");
    let what = match intent {
        I::Human => return Some(CONFIRM_PERSON.to_owned()),
        I::Goodbye => return Some(CONFIRM_GOODBYE.to_owned()),
        I::Coverage => format!("you're asking whether {med} is covered and what it costs you"),
        I::PriorAuth => format!("you're asking whether {med} needs prior authorization"),
        I::Refill => format!("you'd like a refill of {med}"),
        I::Status => format!("you're asking about the status of your {med} order"),
        I::Medications => "you'd like to hear the medications we have on file for you".to_owned(),
        I::SideEffect => format!("you'd like to report a side effect of {med}"),
        I::Hours => "you're asking about our hours".to_owned(),
        I::NewPrescription | I::ControlledSubstance | I::Interaction | I::ClinicalQuestion => {
            "you have a question for our pharmacist".to_owned()
        }
        I::Price | I::Refund | I::Complaint => "you have a question for our pharmacy manager".to_owned(),
        I::Emergency | I::Yes | I::No | I::Backchannel | I::Repeat | I::Hold | I::RefusesVerification | I::Unknown => {
            return None;
        }
    };
    Some(format!("{CONFIRM_LEAD}{what}. Is that right?"))
}

/// A guess's question asked once more after an answer that was neither
/// yes nor no.
const CONFIRM_AGAIN_LEAD: &str = "Sorry, I didn't catch that. ";

/// [`confirm_guess`]'s `question` asked again after an answer that was
/// neither yes nor no; a person can be had with a key as well.
pub fn confirm_again(question: &str) -> String {
    let question = question.strip_prefix(CONFIRM_AGAIN_LEAD).unwrap_or(question);
    if question == CONFIRM_PERSON {
        format!("{CONFIRM_AGAIN_LEAD}{question} Say yes, or press 0.")
    } else {
        format!("{CONFIRM_AGAIN_LEAD}{question}")
    }
}

/// Whether `text` is a question of [`confirm_guess`] (or one asked again,
/// [`confirm_again`]).
pub fn is_guess_confirmation(text: &str) -> bool {
    let text = text.strip_prefix(CONFIRM_AGAIN_LEAD).unwrap_or(text);
    let text = text.strip_suffix(" Say yes, or press 0.").unwrap_or(text);
    text == CONFIRM_PERSON
        || text == CONFIRM_GOODBYE
        || (text.starts_with(CONFIRM_LEAD) && text.ends_with("Is that right?"))
}

/// The caller is done.
pub const GOODBYE: &str = "Thanks for calling. Goodbye.";
/// First silence after a question.
pub const STILL_THERE: &str = "Are you still there?";
/// Second silence after a question: the call ends.
pub const NO_INPUT_GOODBYE: &str =
    "I haven't heard anything, so I'll end the call now. Please call back any time. Goodbye.";

/// Every prompt above: texts that never vary and can be cached as audio.
pub const FIXED_PROMPTS: &[&str] = &[
    GREETING,
    ASK_IDENTITY,
    ASK_DOB,
    ASK_YEAR,
    ASK_NAME,
    VERIFY_RETRY,
    ASK_MEMBER_ID,
    MEMBER_ID_INVALID,
    MEMBER_ID_NOT_HEARD,
    MEMBER_ID_SKIPPED,
    MEMBER_ID_KEY_IT,
    MEMBER_ID_KEY_DOB,
    KEYPAD_INVALID,
    VERIFY_FIRST,
    VERIFY_WHY,
    HOLD_ON,
    TRANSFER,
    ONE_MOMENT,
    LET_ME_CHECK,
    NOT_UNDERSTOOD,
    NOT_UNDERSTOOD_DOB,
    NOT_UNDERSTOOD_NAME,
    ASK_DOB_KEYPAD,
    CONFIRM_EMERGENCY,
    CONFIRM_PERSON,
    CONFIRM_GOODBYE,
    NOT_UNDERSTOOD_MENU,
    NOT_UNDERSTOOD_TRANSFER,
    HOW_CAN_I_HELP,
    ANYTHING_ELSE,
    WHAT_ELSE,
    WHICH_MEDICATION,
    ASK_SYMPTOMS,
    BENEFITS_PENDING,
    RECORDS_UNAVAILABLE,
    RECORDS_TRY_AGAIN,
    VERIFICATION_LOCKED,
    STAFF_CLOSED_CALLBACK,
    BENEFITS_UNAVAILABLE,
    PA_NOT_FOUND,
    PHARMACIST_CALLBACK,
    MANAGER_CALLBACK,
    HOURS,
    HOURS_THEN_IDENTIFY,
    ADVERSE_PENDING,
    ADVERSE_UNRECORDED,
    CONNECT_PHARMACIST,
    EMERGENCY,
    GOODBYE,
    STILL_THERE,
    NO_INPUT_GOODBYE,
    SUPERVISOR_TRANSFER,
    SUPERVISOR_CALLBACK,
    HANDED_BACK,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_prompts_are_distinct_and_complete_sentences() {
        let mut seen = std::collections::HashSet::new();
        for p in FIXED_PROMPTS {
            assert!(seen.insert(*p), "duplicate prompt {p:?}");
            assert!(p.ends_with(['.', '?']), "{p:?}");
            assert!(!p.contains("  "), "{p:?}");
        }
        // Every prompt constant of this file is in the list.
        let declared = include_str!("prompts.rs")
            .lines()
            .filter(|l| l.starts_with("pub const ") && l.contains(": &str"))
            .count();
        assert_eq!(FIXED_PROMPTS.len(), declared);
        assert!(
            GREETING.contains("full name and date of birth"),
            "the greeting asks for the identity"
        );
    }
}
