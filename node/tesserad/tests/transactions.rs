//! Transactions built and signed with cosmrs, run through the whole pipeline (`run_tx`) over an
//! overlay, as the app will run them.

use tessera_testing::node as common;

use common::*;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxMsgData;
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use tessera_store::{Overlay, StateWrite};
use tesserad::auth;
use tesserad::fees::{fee_collector, GasPrice};
use tesserad::{
    ante, new_gas_meter, run_tx, Address, AnteParams, GasMeter, Mode, MsgResult, NoWasm, Tx,
    TxContext, TxError, WasmExecutor,
};

#[test]
fn a_valid_send_moves_funds_charges_the_fee_increments_the_sequence_and_sets_the_pubkey() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    assert_eq!(
        auth::get_account(&state, &alice.address)
            .unwrap()
            .unwrap()
            .pubkey,
        None,
        "genesis accounts have no key yet"
    );
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1_000)], alice_signs(&alice)).sign();

    let outcome = deliver(&mut state, &tx);

    assert_eq!((outcome.code, outcome.log.as_str()), (0, ""));
    assert_eq!(outcome.gas_wanted, SEND_GAS);
    assert!(outcome.gas_used > 0 && outcome.gas_used <= SEND_GAS);
    assert_eq!(
        balance(&state, &alice.address),
        GENESIS_BALANCE - 1_000 - SEND_FEE
    );
    assert_eq!(balance(&state, &bob.address), GENESIS_BALANCE + 1_000);
    assert_eq!(balance(&state, &fee_collector()), SEND_FEE);
    let account = auth::get_account(&state, &alice.address).unwrap().unwrap();
    assert_eq!(account.sequence, 1);
    assert_eq!(account.account_number, 0);
    assert_eq!(
        account.pubkey.map(|k| k.as_bytes().to_vec()),
        Some(alice.key.public_key().to_bytes())
    );
    let data = TxMsgData::decode(outcome.data.as_slice()).unwrap();
    assert_eq!(data.msg_responses.len(), 1);
    assert_eq!(
        data.msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    assert_eq!(state.depth(), 0);
}

#[test]
fn a_send_emits_the_sdks_events_in_the_sdks_order() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1_000)], alice_signs(&alice)).sign();

    let outcome = deliver(&mut state, &tx);

    let kinds: Vec<&str> = outcome.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            // ante: the fee transfer, the fee, the signer's sequence and signature
            "coin_spent",
            "coin_received",
            "transfer",
            "message",
            "tx",
            "tx",
            "tx",
            // the MsgSend
            "message",
            "coin_spent",
            "coin_received",
            "transfer",
            "message",
        ]
    );
    let ev = &outcome.events;
    assert_eq!(ev[4].get("fee"), Some("5000utsr"));
    assert_eq!(ev[4].get("fee_payer"), Some(alice.bech32().as_str()));
    assert_eq!(
        ev[5].get("acc_seq"),
        Some(format!("{}/0", alice.bech32()).as_str())
    );
    assert_eq!(
        ev[6].get("signature").map(str::len),
        Some(88),
        "base64 of 64 bytes"
    );
    assert_eq!(ev[7].get("action"), Some("/cosmos.bank.v1beta1.MsgSend"));
    assert_eq!(ev[7].get("sender"), Some(alice.bech32().as_str()));
    assert_eq!(ev[7].get("module"), Some("bank"));
    assert_eq!(ev[10].get("recipient"), Some(bob.bech32().as_str()));
    assert_eq!(ev[10].get("amount"), Some("1000utsr"));
    assert!(ev[7..].iter().all(|e| e.get("msg_index") == Some("0")));
    assert!(ev
        .iter()
        .flat_map(|e| &e.attributes)
        .all(|(k, _)| !k.is_empty()));
}

#[test]
fn a_bad_signature_is_unauthorized_and_changes_nothing() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice)).sign();
    let mut raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).unwrap();
    raw.signatures[0][10] ^= 0x01;

    assert_refused_without_trace(
        &mut state,
        &raw.encode_to_vec(),
        4,
        "signature verification failed; please verify account number (0) and chain-id (tessera-dev-1): unauthorized",
    );
}

#[test]
fn a_signature_for_another_chain_is_unauthorized() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let mut spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    spec.chain_id = "cosmoshub-4".into();

    assert_refused_without_trace(
        &mut state,
        &spec.sign(),
        4,
        "signature verification failed; please verify account number (0) and chain-id (tessera-dev-1): unauthorized",
    );
}

#[test]
fn a_signature_over_the_wrong_account_number_is_unauthorized() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let mut spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    spec.account_number_override = Some(7);

    assert_refused_without_trace(
        &mut state,
        &spec.sign(),
        4,
        "signature verification failed; please verify account number (0) and chain-id (tessera-dev-1): unauthorized",
    );
}

#[test]
fn a_replayed_tx_is_refused_for_its_stale_sequence() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice)).sign();
    assert_eq!(deliver(&mut state, &tx).code, 0);

    assert_refused_without_trace(
        &mut state,
        &tx,
        32,
        "account sequence mismatch, expected 1, got 0: incorrect account sequence",
    );
}

#[test]
fn a_tx_that_skips_a_sequence_number_is_refused() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let signers = vec![Signer {
        wallet: &alice,
        account_number: 0,
        sequence: 1,
    }];
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1)], signers).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        32,
        "account sequence mismatch, expected 0, got 1: incorrect account sequence",
    );
}

#[test]
fn check_mode_refuses_a_fee_below_the_minimum_gas_price_that_deliver_accepts() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let mut spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    spec.fee = 100;
    let tx = spec.sign();
    let mut params = params();
    params.min_gas_prices = vec!["0.025utsr".parse::<GasPrice>().unwrap()];
    let before = dump(&state);

    let outcome = run_tx(&mut state, &tx, &ctx(Mode::Check, &params), &mut NoWasm);

    assert_eq!(
        (outcome.code, outcome.log.as_str()),
        (
            13,
            "insufficient fees; got: 100utsr required: 5000utsr: insufficient fee"
        )
    );
    assert_eq!(dump(&state), before);
    // The minimum gas price is each validator's mempool policy, not a consensus rule.
    let outcome = run_tx(&mut state, &tx, &ctx(Mode::Deliver, &params), &mut NoWasm);
    assert_eq!(outcome.code, 0, "{}", outcome.log);
}

#[test]
fn a_payer_who_cannot_cover_the_fee_is_refused() {
    let mut state = genesis();
    let (carol, alice) = (carol(), alice());
    let signers = vec![Signer {
        wallet: &carol,
        account_number: 2,
        sequence: 0,
    }];
    let tx = TxSpec::new(vec![send_msg(&carol, &alice, 1)], signers).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        5,
        "spendable balance 100utsr is smaller than 5000utsr: insufficient funds: insufficient funds",
    );
}

#[test]
fn a_send_beyond_the_balance_fails_but_the_fee_and_sequence_are_spent() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(
        vec![send_msg(&alice, &bob, GENESIS_BALANCE)],
        alice_signs(&alice),
    )
    .sign();

    let outcome = deliver(&mut state, &tx);

    assert_eq!(
        (outcome.code, outcome.log.as_str()),
        (
            5,
            "spendable balance 999995000utsr is smaller than 1000000000utsr: insufficient funds"
        )
    );
    assert!(outcome.data.is_empty());
    assert_eq!(
        balance(&state, &bob.address),
        GENESIS_BALANCE,
        "nothing moved"
    );
    assert_eq!(balance(&state, &alice.address), GENESIS_BALANCE - SEND_FEE);
    assert_eq!(balance(&state, &fee_collector()), SEND_FEE);
    let account = auth::get_account(&state, &alice.address).unwrap().unwrap();
    assert_eq!(account.sequence, 1, "the SDK keeps the ante's effects");
    assert!(outcome.events.iter().all(|e| e.get("msg_index").is_none()));
}

#[test]
fn a_tiny_gas_limit_runs_out_of_gas_before_anything_changes() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let mut spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    spec.gas = 1_000;
    let tx = spec.sign();
    let log = format!(
        "out of gas in location: txSize; gasWanted: 1000, gasUsed: {}: out of gas",
        10 * tx.len()
    );

    assert_refused_without_trace(&mut state, &tx, 11, &log);
}

#[test]
fn running_out_of_gas_in_the_message_keeps_the_fee_and_sequence() {
    let (alice, bob) = (alice(), bob());
    let msgs = vec![send_msg(&alice, &bob, 1)];
    // Measure what the ante alone and the whole tx cost, then give a limit in between.
    let full = deliver(
        &mut genesis(),
        &TxSpec::new(msgs.clone(), alice_signs(&alice)).sign(),
    );
    let params = params();
    let mut spec = TxSpec::new(msgs, alice_signs(&alice));
    let ante_gas = {
        let tx = Tx::decode(&spec.sign()).unwrap();
        let mut meter = new_gas_meter(&tx, Mode::Deliver, &AnteParams::default());
        ante(
            &mut genesis(),
            &tx,
            &ctx(Mode::Deliver, &params),
            &mut meter,
        )
        .unwrap();
        meter.consumed()
    };
    assert!(ante_gas < full.gas_used);
    spec.gas = (ante_gas + full.gas_used) / 2;
    let mut state = genesis();

    let outcome = deliver(&mut state, &spec.sign());

    assert_eq!(outcome.code, 11, "{}", outcome.log);
    assert!(
        outcome.log.starts_with("out of gas in location: ")
            && outcome.log.ends_with(&format!(
                "gasWanted: {}, gasUsed: {}: out of gas",
                spec.gas, outcome.gas_used
            )),
        "{}",
        outcome.log
    );
    assert!(outcome.gas_used > spec.gas);
    assert_eq!(balance(&state, &bob.address), GENESIS_BALANCE);
    assert_eq!(balance(&state, &alice.address), GENESIS_BALANCE - SEND_FEE);
    assert_eq!(
        auth::get_account(&state, &alice.address)
            .unwrap()
            .unwrap()
            .sequence,
        1
    );
}

#[test]
fn malformed_bytes_are_a_parse_error() {
    let mut state = genesis();
    assert_refused_without_trace(
        &mut state,
        &[0x0a, 0x05, 0x01],
        2,
        "truncated or malformed TxRaw: tx parse error",
    );
    assert_refused_without_trace(&mut state, &[], 2, "empty tx: tx parse error");
    // A valid tx with its fields reordered: same content, different bytes (and hash).
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice)).sign();
    let raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).unwrap();
    let only = |field: cosmrs::proto::cosmos::tx::v1beta1::TxRaw| field.encode_to_vec();
    let reordered = [
        only(cosmrs::proto::cosmos::tx::v1beta1::TxRaw {
            signatures: raw.signatures.clone(),
            ..Default::default()
        }),
        only(cosmrs::proto::cosmos::tx::v1beta1::TxRaw {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            signatures: vec![],
        }),
    ]
    .concat();
    assert_refused_without_trace(
        &mut state,
        &reordered,
        2,
        "TxRaw is not in canonical encoding (ADR-027): tx parse error",
    );
    assert_refused_without_trace(
        &mut state,
        b"not a tx",
        2,
        "unknown field 13 (wire type 6) in TxRaw: tx parse error",
    );
}

#[test]
fn an_unknown_message_type_is_an_unrecognized_request() {
    let mut state = genesis();
    let alice = alice();
    let msg = Any {
        type_url: "/cosmos.staking.v1beta1.MsgDelegate".into(),
        value: vec![],
    };
    let tx = TxSpec::new(vec![msg], alice_signs(&alice)).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        6,
        "unrecognized message type: /cosmos.staking.v1beta1.MsgDelegate: unknown request",
    );
}

#[test]
fn a_memo_over_256_bytes_is_too_large() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let mut spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    spec.memo = "m".repeat(257);

    assert_refused_without_trace(
        &mut state,
        &spec.sign(),
        12,
        "maximum number of characters is 256 but received 257 characters: memo too large",
    );
    spec.memo = "m".repeat(256);
    assert_eq!(deliver(&mut state, &spec.sign()).code, 0);
}

#[test]
fn a_message_whose_signer_did_not_sign_is_refused() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    // bob's money, alice's signature
    let tx = TxSpec::new(vec![send_msg(&bob, &alice, 1)], alice_signs(&alice)).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        8,
        &format!(
            "pubKey does not match signer address {} with signer index: 0: invalid pubkey",
            bob.bech32()
        ),
    );
}

#[test]
fn a_second_message_signer_who_did_not_sign_is_refused() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let msgs = vec![send_msg(&alice, &bob, 1), send_msg(&bob, &alice, 1)];
    let tx = TxSpec::new(msgs, alice_signs(&alice)).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        4,
        "wrong number of signers; expected 2, got 1: unauthorized",
    );
}

#[test]
fn two_signers_each_sign_for_their_own_message_and_the_first_pays() {
    let mut state = genesis();
    let (alice, bob, carol) = (alice(), bob(), carol());
    let msgs = vec![send_msg(&alice, &carol, 10), send_msg(&bob, &carol, 20)];
    let signers = vec![
        Signer {
            wallet: &alice,
            account_number: 0,
            sequence: 0,
        },
        Signer {
            wallet: &bob,
            account_number: 1,
            sequence: 0,
        },
    ];

    let outcome = deliver(&mut state, &TxSpec::new(msgs, signers).sign());

    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(balance(&state, &carol.address), 130);
    assert_eq!(
        balance(&state, &alice.address),
        GENESIS_BALANCE - 10 - SEND_FEE
    );
    assert_eq!(balance(&state, &bob.address), GENESIS_BALANCE - 20);
    for who in [&alice, &bob] {
        let account = auth::get_account(&state, &who.address).unwrap().unwrap();
        assert_eq!(account.sequence, 1);
        assert!(account.pubkey.is_some());
    }
    let indexes: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|e| e.get("msg_index"))
        .collect();
    assert_eq!(indexes.first(), Some(&"0"));
    assert_eq!(indexes.last(), Some(&"1"));
}

#[test]
fn invalid_addresses_are_refused() {
    let mut state = genesis();
    let alice = alice();
    let cosmos_addr = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";
    let tx = TxSpec::new(
        vec![send_any(
            &alice.bech32(),
            cosmos_addr,
            vec![proto_coin("1", DENOM)],
        )],
        alice_signs(&alice),
    )
    .sign();
    assert_refused_without_trace(
        &mut state,
        &tx,
        7,
        "invalid to address: invalid Bech32 prefix; expected tessera, got cosmos: invalid address",
    );

    let tx = TxSpec::new(
        vec![send_any(
            "not-an-address",
            &alice.bech32(),
            vec![proto_coin("1", DENOM)],
        )],
        alice_signs(&alice),
    )
    .sign();
    let outcome = deliver(&mut state, &tx);
    assert_eq!(outcome.code, 7);
    assert!(
        outcome
            .log
            .starts_with("invalid from address: decoding bech32 failed"),
        "{}",
        outcome.log
    );
}

#[test]
fn zero_malformed_or_disordered_coins_are_refused() {
    let (alice, bob) = (alice(), bob());
    let cases = [
        (
            vec![proto_coin("0", DENOM)],
            "coin 0utsr amount is not positive: invalid coins",
        ),
        (vec![], "empty amount: invalid coins"),
        (
            vec![proto_coin("1", "x")],
            "invalid denom: x: invalid coins",
        ),
        (
            vec![proto_coin("-5", DENOM)],
            "invalid amount \"-5\" for denom utsr: invalid coins",
        ),
        (
            vec![proto_coin("1", "utsr"), proto_coin("1", "abc")],
            "denomination abc is not sorted: invalid coins",
        ),
        (
            vec![proto_coin("1", "utsr"), proto_coin("2", "utsr")],
            "duplicate denomination utsr: invalid coins",
        ),
    ];
    for (amount, log) in cases {
        let mut state = genesis();
        let tx = TxSpec::new(
            vec![send_any(&alice.bech32(), &bob.bech32(), amount)],
            alice_signs(&alice),
        )
        .sign();
        assert_refused_without_trace(&mut state, &tx, 10, log);
    }
}

#[test]
fn an_account_that_does_not_exist_cannot_sign() {
    let mut state = genesis();
    let (dave, alice) = (Wallet::from_seed(4), alice());
    let signers = vec![Signer {
        wallet: &dave,
        account_number: 0,
        sequence: 0,
    }];
    let tx = TxSpec::new(vec![send_msg(&dave, &alice, 1)], signers).sign();

    assert_refused_without_trace(
        &mut state,
        &tx,
        9,
        &format!("account {} does not exist: unknown address", dave.bech32()),
    );
}

#[test]
fn a_first_tx_without_a_public_key_is_refused() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice)).sign();
    let mut raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(tx.as_slice()).unwrap();
    let mut auth =
        cosmrs::proto::cosmos::tx::v1beta1::AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .unwrap();
    auth.signer_infos[0].public_key = None;
    raw.auth_info_bytes = auth.encode_to_vec();

    assert_refused_without_trace(
        &mut state,
        &raw.encode_to_vec(),
        8,
        "pubkey on account is not set: invalid pubkey",
    );
}

#[test]
fn a_tx_past_its_timeout_height_is_refused() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let body = cosmrs::proto::cosmos::tx::v1beta1::TxBody {
        messages: vec![send_msg(&alice, &bob, 1)],
        timeout_height: 5,
        ..Default::default()
    };
    let spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));
    let mut raw =
        cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(spec.sign().as_slice()).unwrap();
    raw.body_bytes = body.encode_to_vec();

    // Timeouts are checked before signatures, so the stale signature does not matter here.
    assert_refused_without_trace(
        &mut state,
        &raw.encode_to_vec(),
        30,
        "block height: 10, timeout height: 5: tx timeout height",
    );
}

#[test]
fn simulation_accepts_an_unsigned_tx_and_reports_its_gas_without_changing_state() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let spec = TxSpec::new(vec![send_msg(&alice, &bob, 1_000)], alice_signs(&alice));
    let params = params();
    let before = dump(&state);

    let simulated = run_tx(
        &mut state,
        &spec.unsigned_for_simulation(),
        &ctx(Mode::Simulate, &params),
        &mut NoWasm,
    );

    assert_eq!((simulated.code, simulated.log.as_str()), (0, ""));
    assert_eq!(dump(&state), before, "simulation leaves no trace");
    assert_eq!(state.depth(), 0);
    assert_eq!(simulated.msg_responses.len(), 1);
    let delivered = deliver(&mut state, &spec.sign());
    assert_eq!(delivered.code, 0, "{}", delivered.log);
    assert!(
        simulated.gas_used >= delivered.gas_used && simulated.gas_used < delivered.gas_used + 1_000,
        "simulated {} vs delivered {}",
        simulated.gas_used,
        delivered.gas_used
    );
}

#[test]
fn an_unsigned_simulation_tx_is_refused_outside_simulation() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let spec = TxSpec::new(vec![send_msg(&alice, &bob, 1)], alice_signs(&alice));

    assert_refused_without_trace(
        &mut state,
        &spec.unsigned_for_simulation(),
        37,
        "sign mode SIGN_MODE_UNSPECIFIED is not supported: feature not supported",
    );
}

#[test]
fn check_mode_runs_only_the_ante_so_the_next_tx_needs_the_next_sequence() {
    let mut state = genesis();
    let (alice, bob) = (alice(), bob());
    let params = params();
    let tx = TxSpec::new(vec![send_msg(&alice, &bob, 1_000)], alice_signs(&alice)).sign();

    let outcome = run_tx(&mut state, &tx, &ctx(Mode::Check, &params), &mut NoWasm);

    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(
        balance(&state, &bob.address),
        GENESIS_BALANCE,
        "MsgSend not run"
    );
    assert_eq!(balance(&state, &alice.address), GENESIS_BALANCE - SEND_FEE);
    let again = run_tx(&mut state, &tx, &ctx(Mode::Check, &params), &mut NoWasm);
    assert_eq!(again.code, 32);
}

#[test]
fn sending_to_the_fee_collector_is_unauthorized() {
    let mut state = genesis();
    let alice = alice();
    let collector = fee_collector().to_string();
    let tx = TxSpec::new(
        vec![send_any(
            &alice.bech32(),
            &collector,
            vec![proto_coin("1", DENOM)],
        )],
        alice_signs(&alice),
    )
    .sign();

    let outcome = deliver(&mut state, &tx);

    assert_eq!(
        (outcome.code, outcome.log),
        (
            4,
            format!("{collector} is not allowed to receive funds: unauthorized")
        )
    );
    assert_eq!(
        balance(&state, &fee_collector()),
        SEND_FEE,
        "only the fee arrived"
    );
}

/// Records what the app's VM adapter would receive.
struct RecordingWasm {
    calls: Vec<(Address, String)>,
}

impl WasmExecutor for RecordingWasm {
    fn execute(
        &mut self,
        state: &mut tessera_store::Overlay,
        meter: &mut GasMeter,
        signer: &Address,
        msg: &Any,
        _ctx: &TxContext<'_>,
    ) -> Result<MsgResult, TxError> {
        meter.consume(500, "wasm")?;
        state.set(b"wasm/touched", b"1");
        self.calls.push((signer.clone(), msg.type_url.clone()));
        Ok(MsgResult {
            response: Any {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                value: vec![],
            },
            events: vec![tesserad::Event::new("execute").attr("_contract_address", "c")],
        })
    }
}

#[test]
fn wasm_messages_are_handed_to_the_wasm_executor_with_their_signer() {
    let mut state = genesis();
    let alice = alice();
    let exec = cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContract {
        sender: alice.bech32(),
        contract: bob().bech32(),
        msg: br#"{"ping":{}}"#.to_vec(),
        funds: vec![],
    };
    let msg = Any {
        type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
        value: exec.encode_to_vec(),
    };
    let tx = TxSpec::new(vec![msg], alice_signs(&alice)).sign();
    let params = params();
    let mut vm = RecordingWasm { calls: vec![] };

    let outcome = run_tx(&mut state, &tx, &ctx(Mode::Deliver, &params), &mut vm);

    assert_eq!(outcome.code, 0, "{}", outcome.log);
    assert_eq!(
        vm.calls,
        vec![(
            alice.address.clone(),
            "/cosmwasm.wasm.v1.MsgExecuteContract".to_string()
        )]
    );
    let message = outcome
        .events
        .iter()
        .find(|e| e.kind == "message" && e.get("module") == Some("wasm"))
        .expect("message event");
    assert_eq!(message.get("sender"), Some(alice.bech32().as_str()));
    assert!(outcome.events.iter().any(|e| e.kind == "execute"));
    use tessera_store::StateRead as _;
    assert_eq!(state.get(b"wasm/touched").unwrap(), Some(b"1".to_vec()));
}

#[test]
fn without_a_vm_wasm_messages_fail_after_the_ante() {
    let mut state: Overlay = genesis();
    let alice = alice();
    let exec = cosmrs::proto::cosmwasm::wasm::v1::MsgExecuteContract {
        sender: alice.bech32(),
        contract: bob().bech32(),
        msg: b"{}".to_vec(),
        funds: vec![],
    };
    let msg = Any {
        type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
        value: exec.encode_to_vec(),
    };
    let outcome = deliver(
        &mut state,
        &TxSpec::new(vec![msg], alice_signs(&alice)).sign(),
    );
    assert_eq!(outcome.code, 37);
}
