//! A scripted call: a [`Dialog`] driven with a fake clock, the actions it
//! produced, and the server's side of playback (which `Say`s are playing).

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use dialog::tools::{CallId, MedicationRecord, NaiveDate, Outcome, Passage, PatientRecord, Request};
use dialog::{Action, Catalog, Dialog, DialogConfig, Event};

pub const PHONE: &str = "+15550100";
pub const PA_TITLE: &str = "Aetna GLP-1 Prior Authorization Policy";
pub const PA_TEXT: &str = "Semaglutide requires prior authorization with a documented diagnosis of type 2 \
                           diabetes. A trial of metformin is required first. Approvals last twelve months.";

pub fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog {
        medications: ["Ozempic", "Metformin", "Humira", "Lisinopril"]
            .map(String::from)
            .to_vec(),
        payers: ["Aetna", "Blue Cross Blue Shield", "UnitedHealthcare"]
            .map(String::from)
            .to_vec(),
    })
}

/// The lookup of Jane Doe, born [`dob`], calling from [`PHONE`].
pub fn jane_lookup() -> Request {
    Request::PatientLookup {
        name: "jane doe".into(),
        dob: dob(),
        phone: Some(PHONE.into()),
        member_id: None,
    }
}

pub fn dob() -> NaiveDate {
    NaiveDate::from_ymd_opt(1985, 3, 3).expect("valid date")
}

/// Jane Doe: Ozempic (PA approved, 2 refills) and Metformin (no refills left).
pub fn jane() -> PatientRecord {
    PatientRecord {
        id: 42,
        first_name: "Jane".into(),
        payer: "Aetna".into(),
        medications: vec![
            MedicationRecord {
                name: "Ozempic".into(),
                ndc: "0169-4132-12".into(),
                pa_required: true,
                pa_status: Some("approved".into()),
                step_therapy: true,
                refills_left: 2,
            },
            MedicationRecord {
                name: "Metformin".into(),
                ndc: "0093-1048-01".into(),
                pa_required: false,
                pa_status: None,
                step_therapy: false,
                refills_left: 0,
            },
        ],
    }
}

pub fn passages() -> Vec<Passage> {
    vec![
        Passage {
            title: "General Formulary Notes".into(),
            text: "Formulary changes yearly.".into(),
            score: 0.2,
        },
        Passage {
            title: PA_TITLE.into(),
            text: PA_TEXT.into(),
            score: 0.9,
        },
    ]
}

/// Text that must never be spoken to an unverified caller.
pub fn phi_markers() -> Vec<&'static str> {
    vec![
        "Ozempic",
        "Metformin",
        "Jane",
        "copay",
        "tier",
        "dollars",
        "approved",
        "Semaglutide",
        PA_TITLE,
        "case number",
    ]
}

pub struct Call {
    pub dialog: Dialog,
    pub t0: Instant,
    pub now: Instant,
    /// Every action so far.
    pub log: Vec<Action>,
    playing: Vec<u64>,
}

impl Call {
    pub fn new() -> Self {
        Self::with_config(DialogConfig::default())
    }

    pub fn with_config(cfg: DialogConfig) -> Self {
        let t0 = Instant::now();
        Self {
            dialog: Dialog::new(cfg, catalog(), t0),
            t0,
            now: t0,
            log: Vec::new(),
            playing: Vec::new(),
        }
    }

    /// Starts the call and lets the greeting play to the end.
    pub fn started() -> Self {
        let mut call = Self::new();
        call.send(Event::Started {
            caller_phone: Some(PHONE.into()),
        });
        call.finish_speaking();
        call
    }

    /// A started call verified as Jane, the bot quiet.
    pub fn verified() -> Self {
        let mut call = Self::started();
        call.hear("My name is Jane Doe, date of birth March 3rd, 1985.");
        let id = call.last_call_id();
        call.result(id, Outcome::Patient(Some(jane())));
        call.finish_speaking();
        assert!(call.dialog.is_verified());
        call
    }

    fn drain(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(a) = self.dialog.poll_action() {
            match &a {
                Action::Say { id, .. } => self.playing.push(*id),
                Action::StopSpeaking => self.playing.clear(),
                _ => {}
            }
            out.push(a);
        }
        self.log.extend(out.iter().cloned());
        out
    }

    pub fn send(&mut self, ev: Event) -> Vec<Action> {
        if let Event::BotFinished(id) | Event::BotInterrupted { id, .. } = &ev {
            self.playing.retain(|p| p != id);
        }
        self.dialog.handle(ev, self.now);
        self.drain()
    }

    /// A final transcript.
    pub fn hear(&mut self, text: &str) -> Vec<Action> {
        self.send(Event::Final(text.into()))
    }

    /// Keys pressed one after the other.
    pub fn keys(&mut self, keys: &str) -> Vec<Action> {
        keys.chars().flat_map(|k| self.send(Event::Dtmf(k))).collect()
    }

    pub fn result(&mut self, id: CallId, outcome: Outcome) -> Vec<Action> {
        self.send(Event::Result { id, outcome })
    }

    /// Moves the clock forward by `ms` with the caller's audio coming in
    /// 20 ms frames (the audio clock is this clock), firing due timers in
    /// order.
    pub fn advance(&mut self, ms: u64) -> Vec<Action> {
        let target = self.now + Duration::from_millis(ms);
        let mut out = Vec::new();
        loop {
            let frame = (self.now + Duration::from_millis(20)).min(target);
            while let Some(at) = self.dialog.poll_timeout().filter(|at| *at <= frame) {
                self.now = self.now.max(at);
                self.dialog.handle_timeout(at);
                out.extend(self.drain());
            }
            self.now = frame;
            self.dialog.handle_audio(frame);
            out.extend(self.drain());
            if frame >= target {
                break;
            }
        }
        out
    }

    /// Milliseconds since the call began.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.now.duration_since(self.t0).as_millis()).expect("short test")
    }

    /// Every playing `Say` plays to its end.
    pub fn finish_speaking(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        while let Some(&id) = self.playing.first() {
            out.extend(self.send(Event::BotFinished(id)));
        }
        out
    }

    pub fn last_call_id(&self) -> CallId {
        self.log
            .iter()
            .rev()
            .find_map(|a| match a {
                Action::Call { id, .. } => Some(*id),
                _ => None,
            })
            .expect("a call was made")
    }

    pub fn all_said(&self) -> Vec<String> {
        said(&self.log)
    }
}

pub fn said(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Say { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

pub fn requests(actions: &[Action]) -> Vec<Request> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Call { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// The `names_on_file` call made at the start of `call`.
pub fn names_call(call: &Call) -> CallId {
    call.log
        .iter()
        .find_map(|a| match a {
            Action::Call {
                id,
                request: Request::NamesOnFile { .. },
            } => Some(*id),
            _ => None,
        })
        .expect("names_on_file called at the start")
}
