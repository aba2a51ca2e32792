//! telephony
