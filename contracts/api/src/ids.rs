//! Identifiers of market objects, in Akash's shape: a deployment is named by its owner and a
//! deployment sequence (`dseq`) the owner chooses; its orders add the group sequence (`gseq`) and
//! an order sequence (`oseq`); a bid or lease adds the provider.
//!
//! All of them print and parse as slash-separated paths (`owner/dseq/gseq/oseq/provider`) so the
//! CLI, logs and events use one spelling.

use std::fmt;
use std::str::FromStr;

use cosmwasm_schema::cw_serde;

use crate::ValidationError;

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentId {
    pub owner: String,
    pub dseq: u64,
}

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct OrderId {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
}

/// A bid, and the lease it becomes when it wins: both are named by the order and the provider.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct BidId {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub provider: String,
}

/// A lease is the winning bid; it keeps the bid's id.
pub type LeaseId = BidId;

impl DeploymentId {
    pub fn new(owner: impl Into<String>, dseq: u64) -> Self {
        Self {
            owner: owner.into(),
            dseq,
        }
    }

    pub fn order(&self, gseq: u32, oseq: u32) -> OrderId {
        OrderId {
            owner: self.owner.clone(),
            dseq: self.dseq,
            gseq,
            oseq,
        }
    }
}

impl OrderId {
    pub fn deployment(&self) -> DeploymentId {
        DeploymentId::new(self.owner.clone(), self.dseq)
    }

    pub fn bid(&self, provider: impl Into<String>) -> BidId {
        BidId {
            owner: self.owner.clone(),
            dseq: self.dseq,
            gseq: self.gseq,
            oseq: self.oseq,
            provider: provider.into(),
        }
    }
}

impl BidId {
    pub fn order(&self) -> OrderId {
        OrderId {
            owner: self.owner.clone(),
            dseq: self.dseq,
            gseq: self.gseq,
            oseq: self.oseq,
        }
    }

    pub fn deployment(&self) -> DeploymentId {
        DeploymentId::new(self.owner.clone(), self.dseq)
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.dseq)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.owner, self.dseq, self.gseq, self.oseq
        )
    }
}

impl fmt::Display for BidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}/{}",
            self.owner, self.dseq, self.gseq, self.oseq, self.provider
        )
    }
}

fn split_id<'a>(
    kind: &'static str,
    s: &'a str,
    parts: usize,
) -> Result<Vec<&'a str>, ValidationError> {
    let fields: Vec<&str> = s.split('/').collect();
    if fields.len() != parts || fields.iter().any(|f| f.is_empty()) {
        return Err(ValidationError::new(
            kind,
            format!("expected {parts} non-empty '/'-separated fields, got {s:?}"),
        ));
    }
    Ok(fields)
}

fn parse_seq<T: FromStr>(kind: &'static str, name: &str, s: &str) -> Result<T, ValidationError> {
    s.parse()
        .map_err(|_| ValidationError::new(kind, format!("{name} {s:?} is not a number")))
}

impl FromStr for DeploymentId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let f = split_id("deployment id", s, 2)?;
        Ok(Self::new(f[0], parse_seq("deployment id", "dseq", f[1])?))
    }
}

impl FromStr for OrderId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const KIND: &str = "order id";
        let f = split_id(KIND, s, 4)?;
        Ok(Self {
            owner: f[0].to_string(),
            dseq: parse_seq(KIND, "dseq", f[1])?,
            gseq: parse_seq(KIND, "gseq", f[2])?,
            oseq: parse_seq(KIND, "oseq", f[3])?,
        })
    }
}

impl FromStr for BidId {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const KIND: &str = "bid id";
        let f = split_id(KIND, s, 5)?;
        Ok(Self {
            owner: f[0].to_string(),
            dseq: parse_seq(KIND, "dseq", f[1])?,
            gseq: parse_seq(KIND, "gseq", f[2])?,
            oseq: parse_seq(KIND, "oseq", f[3])?,
            provider: f[4].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let bid = DeploymentId::new("tessera1abc", 7)
            .order(1, 1)
            .bid("tessera1prov");
        assert_eq!(bid.to_string(), "tessera1abc/7/1/1/tessera1prov");
        assert_eq!(bid.to_string().parse::<BidId>().unwrap(), bid);
        assert_eq!(
            bid.order().to_string().parse::<OrderId>().unwrap(),
            bid.order()
        );
        assert_eq!(
            bid.deployment()
                .to_string()
                .parse::<DeploymentId>()
                .unwrap(),
            bid.deployment()
        );
    }

    #[test]
    fn malformed_ids_are_rejected_with_the_reason() {
        let err = "a/1/x/1".parse::<OrderId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid order id: gseq \"x\" is not a number"
        );
        let err = "a//1".parse::<DeploymentId>().unwrap_err();
        assert!(err.to_string().contains("expected 2 non-empty"), "{err}");
    }
}
