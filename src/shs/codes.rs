//! The 15 SHS error codes (shs.md §6), carried in `X-shs-errorcode` and in `shs.management/error`.

use serde::{Deserialize, Serialize};

/// An SHS error code. Parsing compares without regard to case; anything unknown maps to [`ShsErrorCode::OtherError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShsErrorCode {
    /// Unable to resolve receiver.
    UnresolvedReceiver,
    /// Agreement missing at local delivery.
    MissingAgreement,
    /// Delivery address not found in directory.
    MissingDeliveryAddress,
    /// Delivery of message failed.
    MissingDeliveryExecution,
    IllegalProductType,
    UnknownProductType,
    /// Illegal syntax for receiving actor.
    IllegalReceiver,
    /// Receiving actor unknown.
    UnknownReceiver,
    /// Illegal syntax for sending actor.
    IllegalSender,
    /// Sending actor unknown.
    UnknownSender,
    /// Illegal syntax for originator.
    IllegalOriginator,
    /// Illegal syntax for end recipient.
    IllegalEndRecipient,
    IllegalMessageStructure,
    /// One or more data parts contain illegally formatted information.
    IllegalDatapartContent,
    /// Any other error (and every unknown code).
    OtherError,
}

impl ShsErrorCode {
    /// All 15 codes, in the order of shs.md §6.
    pub const ALL: [ShsErrorCode; 15] = [
        Self::UnresolvedReceiver,
        Self::MissingAgreement,
        Self::MissingDeliveryAddress,
        Self::MissingDeliveryExecution,
        Self::IllegalProductType,
        Self::UnknownProductType,
        Self::IllegalReceiver,
        Self::UnknownReceiver,
        Self::IllegalSender,
        Self::UnknownSender,
        Self::IllegalOriginator,
        Self::IllegalEndRecipient,
        Self::IllegalMessageStructure,
        Self::IllegalDatapartContent,
        Self::OtherError,
    ];

    /// The exact wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnresolvedReceiver => "UnresolvedReceiver",
            Self::MissingAgreement => "MissingAgreement",
            Self::MissingDeliveryAddress => "MissingDeliveryAddress",
            Self::MissingDeliveryExecution => "MissingDeliveryExecution",
            Self::IllegalProductType => "IllegalProductType",
            Self::UnknownProductType => "UnknownProductType",
            Self::IllegalReceiver => "IllegalReceiver",
            Self::UnknownReceiver => "UnknownReceiver",
            Self::IllegalSender => "IllegalSender",
            Self::UnknownSender => "UnknownSender",
            Self::IllegalOriginator => "IllegalOriginator",
            Self::IllegalEndRecipient => "IllegalEndRecipient",
            Self::IllegalMessageStructure => "IllegalMessageStructure",
            Self::IllegalDatapartContent => "IllegalDatapartContent",
            Self::OtherError => "OtherError",
        }
    }

    /// Parses a code without regard to case; unknown codes become `OtherError` (as Axel does).
    pub fn parse(s: &str) -> ShsErrorCode {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
            .unwrap_or(Self::OtherError)
    }

    /// Axel's default `errorinfo` text for the code.
    pub fn default_info(self) -> &'static str {
        match self {
            Self::UnresolvedReceiver => "Unable to resolve receiver",
            Self::MissingAgreement => "Agreement missing at local delivery",
            Self::MissingDeliveryAddress => "Delivery address not found in directory",
            Self::MissingDeliveryExecution => "Delivery of message failed",
            Self::IllegalProductType => "Illegal product type",
            Self::UnknownProductType => "Unknown product type",
            Self::IllegalReceiver => "Illegal syntax for receiving actor",
            Self::UnknownReceiver => "Receiving actor unknown",
            Self::IllegalSender => "Illegal syntax for sending actor",
            Self::UnknownSender => "Sending actor unknown",
            Self::IllegalOriginator => "Illegal syntax for originator",
            Self::IllegalEndRecipient => "Illegal syntax for end recipient",
            Self::IllegalMessageStructure => "Illegal Message Structure",
            Self::IllegalDatapartContent => {
                "One or more dataparts contains illegally formatted information"
            }
            Self::OtherError => "",
        }
    }

    /// Whether sending the same message again later could succeed. Only a failed onward delivery is transient;
    /// every other code says the message itself (or the agreement) is wrong.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::MissingDeliveryExecution | Self::UnresolvedReceiver
        )
    }
}

impl std::fmt::Display for ShsErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_case() {
        for c in ShsErrorCode::ALL {
            assert_eq!(ShsErrorCode::parse(c.as_str()), c);
            assert_eq!(ShsErrorCode::parse(&c.as_str().to_ascii_lowercase()), c);
        }
        assert_eq!(ShsErrorCode::parse("Bogus"), ShsErrorCode::OtherError);
        assert_eq!(ShsErrorCode::ALL.len(), 15);
    }
}
