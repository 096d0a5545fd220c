//! Provider attributes and the placement requirements a deployment group puts on them.
//!
//! A provider declares attributes about itself (`region=eu-west`, `tier=datacenter`); auditors
//! that governance trusts sign some of them. A group's placement names the attributes it needs
//! and, through `signed_by`, which auditors must vouch for them.

use cosmwasm_schema::cw_serde;

use crate::validation::{check_token, ValidationError};

/// Most attributes on one provider or in one placement requirement.
pub const MAX_ATTRIBUTES: usize = 32;
/// Most auditors named in one `signed_by` clause.
pub const MAX_SIGNERS: usize = 8;

#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

impl Attribute {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Auditors whose signatures the required attributes need: every auditor in `all_of`, and at
/// least one of `any_of` when it is not empty.
#[cw_serde]
#[derive(Default, Eq)]
pub struct SignedBy {
    #[serde(default)]
    pub all_of: Vec<String>,
    #[serde(default)]
    pub any_of: Vec<String>,
}

#[cw_serde]
#[derive(Default, Eq)]
pub struct PlacementRequirements {
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub signed_by: SignedBy,
}

/// The attributes one auditor signed for a provider.
#[cw_serde]
#[derive(Eq)]
pub struct AuditorAttributes {
    pub auditor: String,
    pub attributes: Vec<Attribute>,
}

/// Checks a list of attributes: bounded, well-formed keys and values, no key twice.
pub fn validate_attributes(what: &str, attributes: &[Attribute]) -> Result<(), ValidationError> {
    if attributes.len() > MAX_ATTRIBUTES {
        return Err(ValidationError::new(
            what,
            format!("has {} attributes, max {MAX_ATTRIBUTES}", attributes.len()),
        ));
    }
    let mut keys: Vec<&str> = Vec::with_capacity(attributes.len());
    for attr in attributes {
        check_token(&format!("{what} key"), &attr.key)?;
        check_token(&format!("{what} value of {:?}", attr.key), &attr.value)?;
        if keys.contains(&attr.key.as_str()) {
            return Err(ValidationError::new(
                what,
                format!("key {:?} appears more than once", attr.key),
            ));
        }
        keys.push(&attr.key);
    }
    Ok(())
}

impl PlacementRequirements {
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_attributes("placement attributes", &self.attributes)?;
        for (name, list) in [
            ("signed_by.all_of", &self.signed_by.all_of),
            ("signed_by.any_of", &self.signed_by.any_of),
        ] {
            if list.len() > MAX_SIGNERS {
                return Err(ValidationError::new(
                    name,
                    format!("names {} auditors, max {MAX_SIGNERS}", list.len()),
                ));
            }
            for auditor in list {
                check_token(name, auditor)?;
            }
        }
        Ok(())
    }

    /// Whether a provider with these self-declared and auditor-signed attributes may serve the
    /// group; the error says which requirement is unmet so a provider can see why it can't bid.
    pub fn check(
        &self,
        declared: &[Attribute],
        signed: &[AuditorAttributes],
    ) -> Result<(), String> {
        let signed_by = |auditor: &str, attr: &Attribute| {
            signed
                .iter()
                .any(|s| s.auditor == auditor && s.attributes.contains(attr))
        };
        for attr in &self.attributes {
            if !declared.contains(attr) {
                return Err(format!(
                    "provider lacks attribute {}={}",
                    attr.key, attr.value
                ));
            }
            if let Some(auditor) = self
                .signed_by
                .all_of
                .iter()
                .find(|auditor| !signed_by(auditor, attr))
            {
                return Err(format!(
                    "attribute {}={} is not signed by auditor {auditor}",
                    attr.key, attr.value
                ));
            }
            if !self.signed_by.any_of.is_empty()
                && !self.signed_by.any_of.iter().any(|a| signed_by(a, attr))
            {
                return Err(format!(
                    "attribute {}={} is signed by none of the auditors {}",
                    attr.key,
                    attr.value,
                    self.signed_by.any_of.join(", ")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(auditor: &str, attrs: &[Attribute]) -> AuditorAttributes {
        AuditorAttributes {
            auditor: auditor.to_string(),
            attributes: attrs.to_vec(),
        }
    }

    #[test]
    fn placement_needs_declared_and_signed_attributes() {
        let region = Attribute::new("region", "eu");
        let declared = vec![region.clone()];
        let by_aud1 = signed("aud1", &declared);
        let by_aud3 = signed("aud3", &declared);
        let mut req = PlacementRequirements {
            attributes: declared.clone(),
            signed_by: SignedBy::default(),
        };
        assert!(req.check(&declared, &[]).is_ok());
        assert_eq!(
            req.check(&[], &[]).unwrap_err(),
            "provider lacks attribute region=eu"
        );

        req.signed_by.all_of = vec!["aud1".into()];
        assert!(req.check(&declared, &[]).is_err());
        assert!(req.check(&declared, std::slice::from_ref(&by_aud1)).is_ok());

        req.signed_by.any_of = vec!["aud2".into(), "aud3".into()];
        assert!(req
            .check(&declared, std::slice::from_ref(&by_aud1))
            .unwrap_err()
            .contains("none of the auditors aud2, aud3"));
        assert!(req.check(&declared, &[by_aud1, by_aud3]).is_ok());
    }

    #[test]
    fn duplicate_attribute_keys_are_rejected() {
        let attrs = vec![Attribute::new("a", "1"), Attribute::new("a", "2")];
        let err = validate_attributes("attributes", &attrs).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid attributes: key \"a\" appears more than once"
        );
    }
}
