//! `/cosmos.auth.v1beta1.Query`: accounts.

use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
use cosmos_sdk_proto::prost::Message;

use super::{Answer, Query};
use crate::auth;

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    match method {
        "Account" => account(q),
        _ => Err(q.unknown_path()),
    }
}

fn account(q: &Query) -> Answer {
    let req: auth_pb::QueryAccountRequest = q.decode()?;
    let addr = q.address(&req.address)?;
    let Some(bytes) = q.get(&auth::account_key(&addr))? else {
        return Err(q.not_found(format!("account {} not found: key not found", req.address)));
    };
    q.ok(auth_pb::QueryAccountResponse {
        account: Some(cosmos_sdk_proto::Any {
            type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
            value: bytes,
        }),
    }
    .encode_to_vec())
}
