//! The few protobuf encodings the module produces itself: the `Msg*Response` values that go
//! into `TxMsgData` and into submessage replies (contracts decode them with cw-utils'
//! `parse_execute_response_data` / `parse_instantiate_response_data`). Proto3 rules: empty
//! fields are left out.

use cosmwasm_std::Binary;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field (bytes or string); nothing when empty.
pub fn bytes_field(field: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if bytes.is_empty() {
        return out;
    }
    varint(u64::from(field) << 3 | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// A varint field; nothing when zero.
pub fn uint64_field(field: u32, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if value == 0 {
        return out;
    }
    varint(u64::from(field) << 3, &mut out);
    varint(value, &mut out);
    out
}

/// `{ bytes data = 1; }`: MsgExecuteContractResponse, MsgMigrateContractResponse, and
/// MsgSudoContractResponse.
pub fn data_response(data: Option<&Binary>) -> Vec<u8> {
    data.map(|d| bytes_field(1, d.as_slice()))
        .unwrap_or_default()
}

/// `{ string address = 1; bytes data = 2; }`: MsgInstantiateContract(2)Response.
pub fn instantiate_response(address: &str, data: Option<&Binary>) -> Vec<u8> {
    let mut out = bytes_field(1, address.as_bytes());
    if let Some(d) = data {
        out.extend(bytes_field(2, d.as_slice()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_prost() {
        assert_eq!(data_response(None), Vec::<u8>::new());
        assert_eq!(
            data_response(Some(&Binary::from(b"hi".as_slice()))),
            vec![0x0a, 2, b'h', b'i']
        );
        assert_eq!(
            instantiate_response("ab", Some(&Binary::from(vec![1u8]))),
            vec![0x0a, 2, b'a', b'b', 0x12, 1, 1]
        );
        assert_eq!(uint64_field(1, 300), vec![0x08, 0xac, 0x02]);
        let long = vec![7u8; 200];
        let enc = bytes_field(2, &long);
        assert_eq!(&enc[..3], &[0x12, 0xc8, 0x01]);
    }
}
