//! The TwiML interpreter of one answered call: fetch a document, run its
//! verbs in order to the person on the line, follow `<Redirect>` and
//! `action` URLs, and give way at once when a REST update redirects or ends
//! the call. A webhook that fails or answers unusable TwiML is what Twilio
//! makes of it: "an application error has occurred", then hang-up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use crate::caller::{CallOptions, Step};
use crate::records::CallRecord;
use crate::report::SimCallReport;
use crate::state::{Control, Shared, Source};
use crate::status::StatusHook;
use crate::twiml::{self, Verb};
use crate::webhook::resolve;

/// What Twilio says when the application fails.
pub const APPLICATION_ERROR: &str = "We are sorry, an application error has occurred. Goodbye.";

/// Documents one call may run before it is taken for a redirect loop.
const MAX_DOCUMENTS: usize = 64;

/// What to do after a verb.
pub(crate) enum Flow {
    /// The next verb of the document.
    Next,
    /// Drop the document; run this one.
    Goto(Source),
    /// The call ends with this status.
    End(&'static str),
}

impl From<Control> for Flow {
    fn from(c: Control) -> Self {
        match c {
            Control::Redirect(s) => Flow::Goto(s),
            Control::End(status) => Flow::End(status),
        }
    }
}

/// The next REST update of the call (never resolves once nobody can send one).
pub(crate) async fn steered(ctl: &mut UnboundedReceiver<Control>) -> Control {
    match ctl.recv().await {
        Some(c) => c,
        None => std::future::pending().await,
    }
}

/// Waits `d` unless the call is steered first.
pub(crate) async fn wait(ctl: &mut UnboundedReceiver<Control>, d: Duration) -> Option<Control> {
    tokio::select! {
        _ = tokio::time::sleep(d) => None,
        c = steered(ctl) => Some(c),
    }
}

/// One answered call and the person on it.
pub(crate) struct CallRun {
    pub shared: Arc<Shared>,
    pub sid: String,
    /// The current document's URL (relative URLs resolve against it).
    pub base: String,
    /// What the person on the line still means to do on a stream.
    pub script: Vec<Step>,
    /// How the person's streams are placed.
    pub opts: CallOptions,
    pub status: Option<StatusHook>,
    pub report: SimCallReport,
}

impl CallRun {
    /// A run of call `sid` for a person following `script`.
    pub fn new(
        shared: Arc<Shared>,
        sid: &str,
        script: Vec<Step>,
        opts: CallOptions,
        status: Option<StatusHook>,
    ) -> Self {
        let base = shared.cfg.voice_url.clone();
        Self {
            shared,
            sid: sid.to_owned(),
            base,
            script,
            opts,
            status,
            report: SimCallReport {
                call_sid: sid.to_owned(),
                ..SimCallReport::default()
            },
        }
    }

    /// The call as the REST API shows it now.
    pub fn record(&self) -> CallRecord {
        self.shared.call(&self.sid).unwrap_or_else(|| CallRecord {
            sid: self.sid.clone(),
            parent_call_sid: None,
            to: String::new(),
            from: String::new(),
            status: "in-progress".into(),
            direction: "inbound".into(),
            created: std::time::SystemTime::now(),
            started: None,
            ended: None,
        })
    }

    /// Moves the call to `status` and reports it to its status callback.
    pub fn set_status(&mut self, status: &str) {
        self.shared.set_status(&self.sid, status);
        let record = self.record();
        if let Some(h) = &mut self.status {
            h.report(&record, status);
        }
    }

    /// Runs TwiML from `first` (requested with `CallStatus` = `first_status`)
    /// until the call ends; the final report.
    pub async fn run(
        mut self,
        first: Source,
        first_status: &str,
        ctl: &mut UnboundedReceiver<Control>,
    ) -> SimCallReport {
        let started = Instant::now();
        let mut request_status = first_status.to_owned();
        let mut next = Some(first);
        let mut end = "completed";
        let mut documents = 0;
        'documents: while let Some(src) = next.take() {
            documents += 1;
            if documents > MAX_DOCUMENTS {
                self.application_error(format!("more than {MAX_DOCUMENTS} TwiML documents: redirect loop"))
                    .await;
                break;
            }
            let loaded = tokio::select! {
                r = self.load(src, &request_status) => r,
                c = steered(ctl) => match c {
                    Control::Redirect(s) => { next = Some(s); continue 'documents; }
                    Control::End(status) => { end = status; break 'documents; }
                },
            };
            if request_status != "in-progress" {
                request_status = "in-progress".into();
                self.set_status("in-progress");
            }
            let verbs = match loaded {
                Ok(v) => v,
                Err(e) => {
                    self.application_error(e).await;
                    break;
                }
            };
            for verb in verbs {
                match self.exec(verb, ctl).await {
                    Flow::Next => {}
                    Flow::Goto(s) => {
                        next = Some(s);
                        continue 'documents;
                    }
                    Flow::End(status) => {
                        end = status;
                        break 'documents;
                    }
                }
            }
        }
        self.report.duration = started.elapsed();
        self.report.status = end.to_owned();
        self.set_status(end);
        self.shared.finish(self.report.clone());
        self.report
    }

    /// Fetches (or takes) a document and parses it; the error says why not.
    async fn load(&mut self, src: Source, status: &str) -> Result<Vec<Verb>, String> {
        let xml = match src {
            Source::Inline(x) => x,
            Source::Url { url, method, extra } => {
                let mut params = self.record().params(&self.shared.cfg.account_sid, status);
                params.extend(extra);
                let body = self
                    .shared
                    .hooks
                    .request(&url, method, &params)
                    .await
                    .map_err(|e| e.to_string())?;
                self.base = url;
                body
            }
        };
        twiml::parse(&xml).map_err(|e| format!("12100 document parse failure: {e}"))
    }

    /// Runs one verb.
    async fn exec(&mut self, verb: Verb, ctl: &mut UnboundedReceiver<Control>) -> Flow {
        match verb {
            Verb::Say { text, loops, .. } => {
                let voice = self.shared.cfg.say_voice.clone();
                for _ in 0..loops {
                    self.report.said.push(text.clone());
                    let pcm = self.speak(&text, &voice).await;
                    if let Some(c) = self.play(pcm, ctl).await {
                        return c.into();
                    }
                }
                Flow::Next
            }
            Verb::Play { digits, url, loops } => {
                for _ in 0..loops {
                    let d = if let Some(d) = &digits {
                        self.report.digits_played.push(d.clone());
                        if let Some(r) = &self.opts.responder
                            && let Ok(mut r) = r.lock()
                        {
                            r.digits(d);
                        }
                        d.chars()
                            .map(|c| if c.eq_ignore_ascii_case(&'w') { 500 } else { 100 })
                            .sum::<u64>()
                    } else {
                        self.report.played_urls.extend(url.clone());
                        1000
                    };
                    if let Some(c) = wait(ctl, Duration::from_millis(d)).await {
                        return c.into();
                    }
                }
                Flow::Next
            }
            Verb::Pause(d) => match wait(ctl, d).await {
                Some(c) => c.into(),
                None => Flow::Next,
            },
            Verb::Hangup => Flow::End("completed"),
            Verb::Redirect { url, method } => match resolve(&self.base, &url) {
                Ok(url) => Flow::Goto(Source::Url {
                    url,
                    method,
                    extra: Vec::new(),
                }),
                Err(e) => self.application_error(e.to_string()).await,
            },
            Verb::Connect(c) => crate::stream::connect(self, c, ctl).await,
            Verb::Dial(d) => crate::dial::dial(self, d, ctl).await,
            Verb::Unknown(name) => {
                self.report
                    .errors
                    .push(format!("12100: <{name}> is not simulated; skipped"));
                Flow::Next
            }
        }
    }

    /// `text` in flite `voice` as 8 kHz PCM (silence of about the same
    /// length, and a noted error, when flite fails).
    pub async fn speak(&mut self, text: &str, voice: &str) -> Vec<i16> {
        let (t, v) = (text.to_owned(), voice.to_owned());
        match tokio::task::spawn_blocking(move || crate::voice::speak_ulaw(&t, &v)).await {
            Ok(Ok(ulaw)) => ulaw.into_iter().map(media::mulaw::decode).collect(),
            Ok(Err(e)) => {
                self.report.errors.push(format!("speaking {text:?}: {e}"));
                vec![0; text.len() * 480]
            }
            Err(e) => {
                self.report.errors.push(format!("speaking {text:?}: {e}"));
                Vec::new()
            }
        }
    }

    /// Plays `pcm` to the caller in real time (into `heard_pcm`); cut short
    /// where the call is steered.
    pub async fn play(&mut self, pcm: Vec<i16>, ctl: &mut UnboundedReceiver<Control>) -> Option<Control> {
        let started = Instant::now();
        let length = Duration::from_secs_f64(pcm.len() as f64 / 8000.0);
        match wait(ctl, length).await {
            None => {
                self.report.heard_pcm.extend(pcm);
                None
            }
            Some(c) => {
                let played = (started.elapsed().as_secs_f64() * 8000.0) as usize;
                self.report.heard_pcm.extend(pcm.into_iter().take(played));
                Some(c)
            }
        }
    }

    /// Notes `error`, says Twilio's application-error notice, ends the call.
    pub async fn application_error(&mut self, error: impl std::fmt::Display) -> Flow {
        self.report.errors.push(error.to_string());
        self.report.said.push(APPLICATION_ERROR.to_owned());
        let voice = self.shared.cfg.say_voice.clone();
        let pcm = self.speak(APPLICATION_ERROR, &voice).await;
        self.report.heard_pcm.extend(pcm);
        Flow::End("completed")
    }

    /// `url` resolved against the current document, or an application error.
    pub fn resolve(&self, url: &str) -> Result<String, crate::SimError> {
        resolve(&self.base, url)
    }
}
