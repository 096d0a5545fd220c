//! Rejection of unknown protobuf fields, which prost would silently skip.
//!
//! A field the node does not know may carry meaning the signer intended (SDK 0.53's
//! `unordered` flag on `TxBody`, for instance), so ignoring it would execute a different
//! transaction than the one signed. The SDK's decoder refuses such fields too
//! (`unknownproto.RejectUnknownFields`): strictly in `TxRaw` and `AuthInfo`, and in `TxBody`
//! except "non-critical" fields (field numbers with bit 11 set, i.e. 1024 and up with that bit).

/// How a known field is checked.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A scalar, string or bytes field, or an `Any` (its payload is checked where it is
    /// decoded).
    Leaf,
    /// A nested message, checked against its own schema.
    Message(&'static Schema),
}

pub struct Schema {
    pub name: &'static str,
    pub fields: &'static [(u32, Kind)],
    pub allow_non_critical: bool,
}

/// Bit that marks a field number as non-critical in the SDK's convention.
const NON_CRITICAL_BIT: u64 = 1 << 10;

/// Depth beyond which nested messages are refused; the schemas here are three levels deep.
const MAX_DEPTH: usize = 8;

pub fn check(bytes: &[u8], schema: &Schema) -> Result<(), String> {
    check_at(bytes, schema, 0)
}

fn check_at(mut bytes: &[u8], schema: &Schema, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{} is nested too deeply", schema.name));
    }
    while !bytes.is_empty() {
        let tag = read_varint(&mut bytes).ok_or_else(|| truncated(schema))?;
        let field = tag >> 3;
        let wire_type = tag & 7;
        let known = schema
            .fields
            .iter()
            .find(|(n, _)| u64::from(*n) == field)
            .map(|(_, kind)| *kind);
        if known.is_none() && !(schema.allow_non_critical && field & NON_CRITICAL_BIT != 0) {
            return Err(format!(
                "unknown field {field} (wire type {wire_type}) in {}",
                schema.name
            ));
        }
        match wire_type {
            0 => {
                read_varint(&mut bytes).ok_or_else(|| truncated(schema))?;
            }
            1 => skip(&mut bytes, 8).ok_or_else(|| truncated(schema))?,
            5 => skip(&mut bytes, 4).ok_or_else(|| truncated(schema))?,
            2 => {
                let len = read_varint(&mut bytes).ok_or_else(|| truncated(schema))?;
                let len = usize::try_from(len).map_err(|_| truncated(schema))?;
                if len > bytes.len() {
                    return Err(truncated(schema));
                }
                let (payload, rest) = bytes.split_at(len);
                if let Some(Kind::Message(inner)) = known {
                    check_at(payload, inner, depth + 1)?;
                }
                bytes = rest;
            }
            _ => {
                return Err(format!(
                    "unsupported wire type {wire_type} for field {field} in {}",
                    schema.name
                ))
            }
        }
    }
    Ok(())
}

fn truncated(schema: &Schema) -> String {
    format!("truncated or malformed {}", schema.name)
}

fn skip(bytes: &mut &[u8], n: usize) -> Option<()> {
    if bytes.len() < n {
        return None;
    }
    *bytes = &bytes[n..];
    Some(())
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

pub const COIN: Schema = Schema {
    name: "Coin",
    fields: &[(1, Kind::Leaf), (2, Kind::Leaf)],
    allow_non_critical: false,
};

pub const TX_RAW: Schema = Schema {
    name: "TxRaw",
    fields: &[(1, Kind::Leaf), (2, Kind::Leaf), (3, Kind::Leaf)],
    allow_non_critical: false,
};

pub const TX_BODY: Schema = Schema {
    name: "TxBody",
    fields: &[
        (1, Kind::Leaf),
        (2, Kind::Leaf),
        (3, Kind::Leaf),
        (1023, Kind::Leaf),
        (2047, Kind::Leaf),
    ],
    allow_non_critical: true,
};

const MODE_INFO_SINGLE: Schema = Schema {
    name: "ModeInfo.Single",
    fields: &[(1, Kind::Leaf)],
    allow_non_critical: false,
};

const MODE_INFO: Schema = Schema {
    name: "ModeInfo",
    // `multi` (2) is known but refused later with a clear "not supported".
    fields: &[(1, Kind::Message(&MODE_INFO_SINGLE)), (2, Kind::Leaf)],
    allow_non_critical: false,
};

const SIGNER_INFO: Schema = Schema {
    name: "SignerInfo",
    fields: &[
        (1, Kind::Leaf),
        (2, Kind::Message(&MODE_INFO)),
        (3, Kind::Leaf),
    ],
    allow_non_critical: false,
};

const FEE: Schema = Schema {
    name: "Fee",
    fields: &[
        (1, Kind::Message(&COIN)),
        (2, Kind::Leaf),
        (3, Kind::Leaf),
        (4, Kind::Leaf),
    ],
    allow_non_critical: false,
};

pub const AUTH_INFO: Schema = Schema {
    name: "AuthInfo",
    // `tip` (3) is known but refused later with a clear "not supported".
    fields: &[
        (1, Kind::Message(&SIGNER_INFO)),
        (2, Kind::Message(&FEE)),
        (3, Kind::Leaf),
    ],
    allow_non_critical: false,
};

pub const PUB_KEY: Schema = Schema {
    name: "PubKey",
    fields: &[(1, Kind::Leaf)],
    allow_non_critical: false,
};

pub const MSG_SEND: Schema = Schema {
    name: "MsgSend",
    fields: &[(1, Kind::Leaf), (2, Kind::Leaf), (3, Kind::Message(&COIN))],
    allow_non_critical: false,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_and_non_critical_ones_pass_only_where_allowed() {
        // TxBody { memo: "a" (2), unordered: true (4) }
        assert_eq!(
            check(&[0x12, 0x01, b'a', 0x20, 0x01], &TX_BODY).unwrap_err(),
            "unknown field 4 (wire type 0) in TxBody"
        );
        // field 1025 (bit 11 set), varint: tag = 1025 << 3 = 8200 = 0x88 0x40
        assert!(check(&[0x88, 0x40, 0x01], &TX_BODY).is_ok());
        assert!(check(&[0x88, 0x40, 0x01], &TX_RAW).is_err());
        // AuthInfo { signer_infos: [SignerInfo { field 9 }] }
        assert_eq!(
            check(&[0x0a, 0x02, 0x48, 0x01], &AUTH_INFO).unwrap_err(),
            "unknown field 9 (wire type 0) in SignerInfo"
        );
        assert!(check(&[0x0a, 0x05], &TX_RAW).is_err(), "truncated");
    }
}
