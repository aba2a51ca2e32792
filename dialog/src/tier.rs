//! Who handles a kind of request when the bot does not finish it itself.

/// Staff tier a request belongs to (also the tier of a transfer or a staff task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Automatic: order status, eligible refills, opening hours.
    T0,
    /// Pharmacy technician: transfer requests, insurance questions, PA forms.
    T1,
    /// Pharmacist: new prescriptions, controlled substances, drug
    /// interactions, clinical questions, side effects and emergencies.
    T2,
    /// Pharmacy manager: prices, refunds, complaints.
    T3,
}

impl Tier {
    /// Stable label ("T0" .. "T3") for metrics and staff queues.
    pub fn label(self) -> &'static str {
        match self {
            Self::T0 => "T0",
            Self::T1 => "T1",
            Self::T2 => "T2",
            Self::T3 => "T3",
        }
    }

    /// Who works this tier: "automated", "technician", "pharmacist" or "manager".
    pub fn role(self) -> &'static str {
        match self {
            Self::T0 => "automated",
            Self::T1 => "technician",
            Self::T2 => "pharmacist",
            Self::T3 => "manager",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_roles() {
        assert_eq!(Tier::T1.label(), "T1");
        assert_eq!(Tier::T0.role(), "automated");
        assert_eq!(Tier::T1.role(), "technician");
        assert_eq!(Tier::T2.role(), "pharmacist");
        assert_eq!(Tier::T3.role(), "manager");
        assert!(Tier::T3 > Tier::T2);
    }
}
