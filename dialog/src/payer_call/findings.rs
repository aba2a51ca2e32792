//! What a payer's representative said about the patient's benefits: each
//! answer with the words it came from and how sure the bot is of it.

use serde::Serialize;

/// One answer: its value, the utterance it was read from, a confidence
/// (0..1) and whether the representative confirmed it at the read-back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Captured<T> {
    /// The value as understood.
    pub value: T,
    /// What the representative said (as transcribed).
    pub heard: String,
    /// 0.9 for an answer to the question asked, 0.6 for one heard in
    /// passing or after asking again; 1.0 once confirmed at the read-back.
    pub confidence: f32,
    /// Confirmed when the answers were read back.
    pub confirmed: bool,
}

/// Dollars, to the cent.
pub type Dollars = f64;

/// What the patient pays for the drug.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostShare {
    /// A flat copay, in dollars (the first one said).
    pub copay: Option<Dollars>,
    /// Coinsurance, the patient's percentage (the first one said).
    pub coinsurance_pct: Option<u32>,
    /// Whether the cost share applies only after the deductible.
    pub after_deductible: bool,
    /// The terms at each kind of pharmacy the representative named.
    pub channels: Channels,
    /// The answer in the representative's words.
    pub said: String,
}

/// What the patient pays at one kind of pharmacy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Terms {
    /// A flat copay.
    Copay {
        /// In dollars.
        dollars: Dollars,
    },
    /// A share of the cost.
    Coinsurance {
        /// The patient's percentage.
        pct: u32,
    },
    /// The plan has no benefit there ("there's no mail order benefit").
    NotCovered,
}

/// The cost share at retail, specialty and mail-order pharmacies; `None`
/// where the representative did not say.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Channels {
    /// A retail pharmacy.
    pub retail: Option<Terms>,
    /// A specialty pharmacy.
    pub specialty: Option<Terms>,
    /// Mail order (home delivery).
    pub mail_order: Option<Terms>,
}

impl Channels {
    /// Whether all three were said.
    pub fn all_said(&self) -> bool {
        self.retail.is_some() && self.specialty.is_some() && self.mail_order.is_some()
    }

    /// Whether none was said.
    pub fn is_empty(&self) -> bool {
        self.retail.is_none() && self.specialty.is_none() && self.mail_order.is_none()
    }

    /// The channels said, by name.
    pub fn said(&self) -> Vec<(&'static str, Terms)> {
        [
            ("retail", self.retail),
            ("specialty", self.specialty),
            ("mail order", self.mail_order),
        ]
        .into_iter()
        .filter_map(|(n, t)| Some((n, t?)))
        .collect()
    }
}

/// Every field a verification call asks for; `None` until answered.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Findings {
    /// Coverage active.
    pub coverage_active: Option<Captured<bool>>,
    /// Effective dates, as said.
    pub coverage_dates: Option<Captured<String>>,
    /// HMO, PPO, EPO, POS, HDHP, Medicare Part D, Medicaid...
    pub plan_type: Option<Captured<String>>,
    /// The provider (pharmacy) is in network.
    pub in_network: Option<Captured<bool>>,
    /// Deductible amount.
    pub deductible: Option<Captured<Dollars>>,
    /// Deductible met so far.
    pub deductible_met: Option<Captured<Dollars>>,
    /// Out-of-pocket maximum.
    pub oop_max: Option<Captured<Dollars>>,
    /// Out-of-pocket met so far.
    pub oop_met: Option<Captured<Dollars>>,
    /// Copay or coinsurance for the drug.
    pub cost_share: Option<Captured<CostShare>>,
    /// Prior authorization required for the drug.
    pub pa_required: Option<Captured<bool>>,
    /// How to submit the PA and its turnaround, as said.
    pub pa_process: Option<Captured<String>>,
    /// Step therapy required.
    pub step_therapy: Option<Captured<bool>>,
    /// Quantity limits apply.
    pub quantity_limit: Option<Captured<bool>>,
    /// The call reference number.
    pub reference: Option<Captured<String>>,
    /// The representative's name.
    pub rep_name: Option<Captured<String>>,
}

impl Findings {
    /// How many fields are answered.
    pub fn answered(&self) -> usize {
        self.flags().iter().filter(|f| **f).count()
    }

    /// How many fields there are.
    pub const FIELDS: usize = 15;

    fn flags(&self) -> [bool; Self::FIELDS] {
        [
            self.coverage_active.is_some(),
            self.coverage_dates.is_some(),
            self.plan_type.is_some(),
            self.in_network.is_some(),
            self.deductible.is_some(),
            self.deductible_met.is_some(),
            self.oop_max.is_some(),
            self.oop_met.is_some(),
            self.cost_share.is_some(),
            self.pa_required.is_some(),
            self.pa_process.is_some(),
            self.step_therapy.is_some(),
            self.quantity_limit.is_some(),
            self.reference.is_some(),
            self.rep_name.is_some(),
        ]
    }

    /// Marks every answer as confirmed at the read-back.
    pub fn confirm_all(&mut self) {
        fn c<T>(f: &mut Option<Captured<T>>) {
            if let Some(x) = f {
                x.confirmed = true;
                x.confidence = 1.0;
            }
        }
        c(&mut self.coverage_active);
        c(&mut self.coverage_dates);
        c(&mut self.plan_type);
        c(&mut self.in_network);
        c(&mut self.deductible);
        c(&mut self.deductible_met);
        c(&mut self.oop_max);
        c(&mut self.oop_met);
        c(&mut self.cost_share);
        c(&mut self.pa_required);
        c(&mut self.pa_process);
        c(&mut self.step_therapy);
        c(&mut self.quantity_limit);
        c(&mut self.reference);
        c(&mut self.rep_name);
    }
}

/// `value` captured from `heard` with `confidence`, not yet confirmed.
pub fn captured<T>(value: T, heard: &str, confidence: f32) -> Captured<T> {
    Captured {
        value,
        heard: heard.to_owned(),
        confidence,
        confirmed: false,
    }
}
