//! `/cosmos.bank.v1beta1.Query`: one balance (at any kept height) and all of an account's.

use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank_pb;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::prost::Message;

use super::{page_of, Answer, Query};
use crate::bank;

pub(super) fn answer(q: &Query, method: &str) -> Answer {
    match method {
        "Balance" => balance(q),
        "AllBalances" => all_balances(q),
        _ => Err(q.unknown_path()),
    }
}

fn balance(q: &Query) -> Answer {
    let req: bank_pb::QueryBalanceRequest = q.decode()?;
    let addr = q.address(&req.address)?;
    let amount = match q.get(&bank::balance_key(&addr, &req.denom))? {
        Some(b) => String::from_utf8_lossy(&b).into_owned(),
        None => "0".into(),
    };
    q.ok(bank_pb::QueryBalanceResponse {
        balance: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: req.denom,
            amount,
        }),
    }
    .encode_to_vec())
}

fn all_balances(q: &Query) -> Answer {
    q.needs_latest("AllBalances")?;
    let req: bank_pb::QueryAllBalancesRequest = q.decode()?;
    let addr = q.address(&req.address)?;
    let page = page_of(req.pagination.as_ref());
    let result = bank::all_balances(
        &*q.snapshot,
        &addr,
        &bank::PageRequest {
            key: page.key,
            limit: page.limit as usize,
        },
    )
    .map_err(|e| q.fail(e.code, "Internal", e.log))?;
    q.ok(bank_pb::QueryAllBalancesResponse {
        balances: result.items.iter().map(|c| c.to_proto()).collect(),
        pagination: Some(PageResponse {
            next_key: result.next_key.unwrap_or_default(),
            total: 0,
        }),
    }
    .encode_to_vec())
}
