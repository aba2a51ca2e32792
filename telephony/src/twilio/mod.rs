//! Twilio: the Media Streams protocol, request signatures and TwiML.

pub mod codec;
pub mod message;
pub mod rest;
pub mod signature;
pub mod twiml;
