use super::*;

fn brief() -> PayerBrief {
    PayerBrief {
        provider: "Riverside Pharmacy".into(),
        npi: "1234567893".into(),
        callback_number: "+15550100".into(),
        patient_first: "Maria".into(),
        patient_last: "Lopez".into(),
        dob: NaiveDate::from_ymd_opt(1984, 3, 7).unwrap_or_default(),
        member_id: "W123456789".into(),
        medication: "Humira".into(),
    }
}

/// A call driven with a fake clock; what the bot said and keyed.
struct Line {
    call: PayerCall,
    now: Instant,
    said: Vec<String>,
    keyed: Vec<String>,
    hung_up: bool,
}

impl Line {
    fn new() -> Self {
        let now = Instant::now();
        let mut call = PayerCall::new(PayerCallConfig::default(), brief(), now);
        call.handle(Event::Started { caller_phone: None }, now);
        Self {
            call,
            now,
            said: Vec::new(),
            keyed: Vec::new(),
            hung_up: false,
        }
    }

    fn drain(&mut self) {
        while let Some(a) = self.call.poll_action() {
            match a {
                Action::Say { id, text } => {
                    self.said.push(text);
                    self.call.handle(Event::BotFinished(id), self.now);
                }
                Action::SendDigits(d) => {
                    self.keyed.push(d);
                    self.call.stream_resumed(self.now);
                }
                Action::Hangup => self.hung_up = true,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.call.poll_timeout().filter(|t| *t <= end) {
            self.now = t.max(self.now);
            self.call.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    /// The far end says `text` (one VAD segment), then is quiet for 2 s.
    fn hears(&mut self, text: &str) {
        self.hears_then(text, Duration::from_secs(2));
    }

    /// The far end says `text`, then is quiet for `quiet`.
    fn hears_then(&mut self, text: &str, quiet: Duration) {
        self.call.handle(Event::CallerSpeechStarted, self.now);
        self.advance(Duration::from_millis(1500));
        self.call.handle(Event::CallerSpeechEnded, self.now);
        self.call.handle(Event::Final(text.into()), self.now);
        self.drain();
        self.advance(quiet);
    }

    fn last_said(&self) -> &str {
        self.said.last().map_or("", String::as_str)
    }
}

#[test]
fn a_whole_verification_menu_hold_rep_readback() {
    let mut l = Line::new();
    // A menu read with pauses between its options.
    l.hears_then(
        "Thank you for calling Acme Health provider services. For claims, press 1.",
        Duration::from_millis(700),
    );
    assert!(l.keyed.is_empty(), "claims is not pressed");
    l.hears("For eligibility, press 3. For pharmacy benefits, press 2. To speak with a representative, press 0.");
    assert_eq!(l.keyed, ["2"]);
    l.hears("Please enter the provider's ten digit NPI followed by the pound sign.");
    assert_eq!(l.keyed, ["2", "1234567893#"]);
    l.hears("Using your keypad, enter the member's date of birth.");
    assert_eq!(l.keyed.last().map(String::as_str), Some("03071984#"));
    l.hears("Please hold while we connect you to a representative.");
    assert_eq!(l.call.phase(), Phase::Hold);
    l.hears("[MUSIC]");
    l.hears("Your call is important to us. Please continue to hold.");
    l.advance(Duration::from_secs(60));
    assert_eq!(l.call.phase(), Phase::Hold);
    assert!(l.said.is_empty(), "nothing is said on hold: {:?}", l.said);
    l.hears("Thank you for holding, this is Dana in provider services. Can I have the member ID and the patient's date of birth?");
    assert_eq!(l.call.phase(), Phase::WithRep);
    assert!(
        l.last_said().contains("automated assistant"),
        "honest intro: {}",
        l.last_said()
    );
    assert!(l.last_said().contains("W 1 2 3"), "member ID: {}", l.last_said());
    assert!(l.last_said().contains("March 7, 1984"), "DOB: {}", l.last_said());
    l.hears("Okay, I have her. What can I help you with?");
    assert!(l.last_said().contains("coverage active"), "{}", l.last_said());
    l.hears("Yes, it's active, effective January first, twenty twenty six.");
    assert!(l.last_said().contains("type of plan"));
    l.hears("It's a PPO.");
    l.hears("Yes, you're in network.");
    l.hears("Fifteen hundred, and she's met about two fifty.");
    l.hears("Let me check on that, one moment.");
    assert_eq!(l.last_said(), "Sure, I'll hold.");
    l.advance(Duration::from_secs(30));
    l.hears("Out of pocket max is six thousand five hundred, met twelve hundred.");
    l.hears("Eighty twenty after deductible at retail and specialty.");
    l.hears("Yes, Humira requires a PA.");
    assert!(l.last_said().contains("submitted"), "{}", l.last_said());
    l.hears("Fax it to the number on the form, turnaround is seventy two hours.");
    l.hears("There is a step therapy requirement, they have to try a generic first.");
    l.hears("Limited to two pens per twenty eight days.");
    l.hears("Sure, your reference number is R E F 4 4 7 1 9.");
    assert!(l.last_said().starts_with("To confirm:"), "{}", l.last_said());
    assert!(
        l.last_said().contains("1,500 dollars with 250 dollars met"),
        "{}",
        l.last_said()
    );
    l.hears("Yes, that's correct.");
    assert!(l.hung_up);
    assert!(l.last_said().contains("Thank you, Dana"));
    assert_eq!(l.call.outcome(), Some(PayerOutcome::Completed));
    let f = l.call.findings();
    assert_eq!(f.coverage_active.as_ref().map(|c| c.value), Some(true));
    assert_eq!(f.plan_type.as_ref().map(|c| c.value.as_str()), Some("PPO"));
    assert_eq!(f.deductible.as_ref().map(|c| c.value), Some(1500.0));
    assert_eq!(f.deductible_met.as_ref().map(|c| c.value), Some(250.0));
    assert_eq!(f.oop_max.as_ref().map(|c| c.value), Some(6500.0));
    assert_eq!(f.oop_met.as_ref().map(|c| c.value), Some(1200.0));
    let share = f.cost_share.as_ref().map(|c| c.value.clone()).unwrap_or_default();
    assert_eq!((share.coinsurance_pct, share.after_deductible), (Some(20), true));
    assert_eq!(f.pa_required.as_ref().map(|c| c.value), Some(true));
    assert_eq!(f.step_therapy.as_ref().map(|c| c.value), Some(true));
    assert_eq!(f.quantity_limit.as_ref().map(|c| c.value), Some(true));
    assert_eq!(f.reference.as_ref().map(|c| c.value.as_str()), Some("REF44719"));
    assert_eq!(f.rep_name.as_ref().map(|c| c.value.as_str()), Some("Dana"));
    assert!(
        f.deductible
            .as_ref()
            .is_some_and(|d| d.confirmed && d.heard.contains("Fifteen hundred"))
    );
}

#[test]
fn a_menu_that_loops_gets_zero_then_representative_then_a_dead_end() {
    let mut l = Line::new();
    let menu = "For claims, press 1. For appeals, press 3.";
    l.hears(menu);
    // Nothing useful offered: the person option (none) or 0.
    assert_eq!(l.keyed, ["0"]);
    l.hears(menu);
    assert_eq!(l.said, ["representative"]);
    l.hears(menu);
    assert!(l.hung_up);
    assert_eq!(l.call.outcome(), Some(PayerOutcome::NeedsHuman("ivr_dead_end")));
}

#[test]
fn an_entry_refused_again_and_again_is_a_dead_end_not_a_loop() {
    let mut l = Line::new();
    for _ in 0..6 {
        l.hears("Please enter the provider's NPI, followed by the pound sign.");
    }
    assert_eq!(l.keyed, ["1234567893#", "1234567893#", "0"], "keyed twice, then 0");
    assert_eq!(l.said, ["representative"]);
    assert!(l.hung_up, "then a dead end");
    assert_eq!(l.call.outcome(), Some(PayerOutcome::NeedsHuman("ivr_dead_end")));
}

#[test]
fn an_unclear_answer_is_asked_again_once_then_skipped() {
    let mut l = Line::new();
    l.hears("Thanks for holding, this is Marcus. How can I help you?");
    assert!(l.last_said().contains("automated assistant") && l.last_said().contains("coverage active"));
    l.hears("Hmm, the system is slow today.");
    assert!(
        l.last_said().starts_with("Sorry, I didn't catch that."),
        "{}",
        l.last_said()
    );
    l.hears("The system is really slow right now.");
    assert!(l.last_said().contains("type of plan"), "moved on: {}", l.last_said());
    assert!(l.call.findings().coverage_active.is_none());
    // The rep goes silent: asked once more, then the call ends as partial.
    l.hears("It's an HMO.");
    // An answer that is not a name is not taken for one.
    assert!(l.call.findings().rep_name.as_ref().is_some_and(|n| n.value == "Marcus"));
    l.advance(Duration::from_secs(16));
    assert!(l.last_said().starts_with("Are you still there?"));
    l.advance(Duration::from_secs(16));
    assert!(l.hung_up);
    assert_eq!(l.call.outcome(), Some(PayerOutcome::Partial));
}

#[test]
fn a_dropped_call_without_answers_needs_a_person() {
    let mut l = Line::new();
    l.hears("For pharmacy benefits, press 2.");
    assert_eq!(l.call.dropped(), PayerOutcome::NeedsHuman("dropped"));
    let p = l.call.take_progress().map(|p| (p.phase, p.outcome));
    assert_eq!(p, Some((Phase::Done, Some(PayerOutcome::NeedsHuman("dropped")))));
}

#[test]
fn the_brief_never_prints_phi() {
    let s = format!(
        "{:?} {:?}",
        brief(),
        PayerCall::new(PayerCallConfig::default(), brief(), Instant::now())
    );
    assert!(
        !s.contains("Lopez") && !s.contains("W123") && !s.contains("1984"),
        "{s}"
    );
}

#[test]
fn a_reply_is_not_taken_for_a_name() {
    assert_eq!(lone_name("Please."), None);
    assert_eq!(lone_name("Sorry, what?"), None);
    assert_eq!(lone_name("It's Dana."), Some("Dana".into()));
    assert_eq!(lone_name("Priya."), Some("Priya".into()));
}

impl Line {
    /// The far end says `text`; what the bot says without any more time
    /// passing.
    fn hears_now(&mut self, text: &str) -> Vec<String> {
        let before = self.said.len();
        self.call.handle(Event::CallerSpeechStarted, self.now);
        self.advance(Duration::from_millis(1500));
        self.call.handle(Event::CallerSpeechEnded, self.now);
        self.call.handle(Event::Final(text.into()), self.now);
        self.drain();
        self.said[before..].to_vec()
    }

    /// To the rep, with the coverage question asked.
    fn with_rep() -> Self {
        let mut l = Self::new();
        l.hears("Thank you for holding, this is Dana. How can I help you?");
        assert!(l.last_said().contains("coverage active"), "{}", l.last_said());
        l
    }
}

#[test]
fn a_whole_answer_from_the_rep_is_answered_at_once_and_half_of_one_waits() {
    use crate::Completeness::{Complete, Incomplete, Unsure};
    let mut l = Line::new();
    // Menus pause mid-sentence: never judged complete.
    assert_eq!(l.call.turn_completeness("For pharmacy benefits, press 2."), Unsure);
    l = Line::with_rep();
    assert_eq!(l.call.turn_completeness("Yes, her coverage is active,"), Unsure);
    assert_eq!(
        l.call.turn_completeness("Yes, it's active, effective as of"),
        Incomplete
    );
    assert_eq!(
        l.call.turn_completeness("Yes, it's active, effective"),
        Unsure,
        "the date follows"
    );
    assert_eq!(
        l.call
            .turn_completeness("Yes, it's active, effective January first, twenty twenty six."),
        Complete
    );
    // Complete: the next question comes with no settle.
    let said = l.hears_now("Yes, it's active, effective January first, twenty twenty six.");
    assert!(said.iter().any(|s| s.contains("type of plan")), "{said:?}");
    l.hears("It's a PPO.");
    assert!(l.last_said().contains("in network"), "{}", l.last_said());
    l.hears_now("Yes, you're in network.");
    assert!(l.last_said().contains("deductible"), "{}", l.last_said());
    // An amount without what is met: the met part usually follows.
    assert_eq!(l.call.turn_completeness("Her deductible is fifteen hundred."), Unsure);
    assert_eq!(
        l.call
            .turn_completeness("Her deductible is fifteen hundred, and she's met about"),
        Incomplete
    );
    assert_eq!(
        l.call
            .turn_completeness("Her deductible is fifteen hundred, and she's met about two fifty."),
        Complete
    );
    assert_eq!(l.call.turn_completeness("Let me check on that, one moment."), Complete);
    // Said in two parts: the first waits, the second completes it.
    assert!(l.hears_now("Her deductible is fifteen hundred.").is_empty());
    let said = l.hears_now("And she's met about two fifty.");
    assert!(said.iter().any(|s| s.contains("out of pocket")), "{said:?}");
    assert_eq!(l.call.findings().deductible_met.as_ref().map(|c| c.value), Some(250.0));
    // A question put to the bot is a whole turn.
    assert_eq!(l.call.turn_completeness("Sorry, which medication was that?"), Complete);
}

#[test]
fn a_correction_at_the_read_back_is_taken_and_read_back_again() {
    let mut l = Line::with_rep();
    for answer in [
        "Yes, it's active, effective January first, twenty twenty six.",
        "It's a PPO.",
        "Yes, you're in network.",
        "Fifteen hundred, and she's met about two fifty.",
        "Six thousand five hundred, and she's met twelve hundred.",
        "Eighty twenty at retail and specialty, and there's no mail order benefit.",
        "No PA on that one.",
        "No step therapy.",
        "No quantity limits.",
        "Your reference number is R E F 4 4 7 1 9.",
    ] {
        l.hears(answer);
    }
    let first = l.last_said().to_owned();
    assert!(first.starts_with("To confirm:"), "{first}");
    assert!(
        first.contains("20 percent coinsurance at retail and specialty, no mail order benefit"),
        "{first}"
    );
    assert_eq!(
        l.call.turn_completeness("Yes, that's correct."),
        crate::Completeness::Complete
    );
    // A correction of one answer changes that answer alone.
    l.hears("No, you are in network.");
    assert!(l.last_said().starts_with("To confirm:"), "{}", l.last_said());
    assert!(l.last_said().contains("coverage is active"), "{}", l.last_said());
    assert!(l.last_said().contains("no prior authorization"), "{}", l.last_said());
    l.hears("No, the deductible is two thousand, and she's met about two fifty.");
    let again = l.last_said().to_owned();
    assert!(again.starts_with("To confirm:"), "read back again: {again}");
    assert!(again.contains("a deductible of 2,000 dollars"), "{again}");
    l.hears("Yes, that's right.");
    assert!(l.hung_up);
    let f = l.call.findings();
    assert_eq!(
        f.deductible.as_ref().map(|c| (c.value, c.confirmed)),
        Some((2000.0, true))
    );
    let c = f.cost_share.as_ref().map(|c| c.value.channels).unwrap_or_default();
    assert_eq!(c.mail_order, Some(Terms::NotCovered));
    assert_eq!(c.retail, Some(Terms::Coinsurance { pct: 20 }));
}
