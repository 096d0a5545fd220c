//! Properties: nothing a client sends can panic the node's transaction front.

use tessera_testing::node as common;

use common::*;
use cosmrs::proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw,
};
use cosmrs::proto::prost::Message as _;
use cosmrs::Any;
use proptest::prelude::*;
use tesserad::{run_tx, Mode, NoWasm, Tx};

fn any_coin() -> impl Strategy<Value = ProtoCoin> {
    (
        prop_oneof![4 => Just("utsr".to_string()), 1 => "[a-z0-9/]{0,6}"],
        prop_oneof![
            1 => Just("0".to_string()),
            2 => Just("5000".to_string()),
            4 => "[0-9]{1,10}",
            1 => "[0-9]{30,40}",
            1 => "-?[0-9a-z]{0,3}"
        ],
    )
        .prop_map(|(denom, amount)| ProtoCoin { denom, amount })
}

fn any_address() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(alice().bech32()),
        2 => Just(bob().bech32()),
        2 => Just(carol().bech32()),
        1 => "[a-z0-9]{0,50}",
    ]
}

fn any_message() -> impl Strategy<Value = Any> {
    prop_oneof![
        4 => (
            any_address(),
            any_address(),
            prop::collection::vec(any_coin(), 0..3)
        )
            .prop_map(|(from, to, amount)| send_any(&from, &to, amount)),
        1 => (
            prop_oneof![
                Just("/cosmos.bank.v1beta1.MsgSend".to_string()),
                Just("/cosmwasm.wasm.v1.MsgExecuteContract".to_string()),
                Just("/cosmwasm.wasm.v1.MsgStoreCode".to_string()),
                "/[a-z.]{0,20}",
            ],
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(type_url, value)| Any { type_url, value }),
    ]
}

fn any_public_key() -> impl Strategy<Value = Option<Any>> {
    prop_oneof![
        Just(None),
        Just(Some(
            tesserad::crypto::PublicKey::from_compressed(&alice().key.public_key().to_bytes())
                .unwrap()
                .to_any()
        )),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|key| Some(Any {
            type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
            value: PubKey { key }.encode_to_vec(),
        })),
    ]
}

fn any_signer_info() -> impl Strategy<Value = SignerInfo> {
    (
        any_public_key(),
        prop_oneof![3 => Just(0i32), 3 => Just(1), 1 => Just(127), 1 => any::<i32>()],
        prop_oneof![3 => Just(0u64), 1 => Just(1), 1 => any::<u64>()],
        any::<bool>(),
    )
        .prop_map(|(public_key, mode, sequence, has_mode)| SignerInfo {
            public_key,
            mode_info: has_mode.then_some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single { mode })),
            }),
            sequence,
        })
}

prop_compose! {
    /// A well-formed `TxRaw` whose contents are random: it decodes as protobuf, and then the
    /// node's own checks decide.
    fn any_tx()(
        messages in prop::collection::vec(any_message(), 0..4),
        memo in prop_oneof![Just(String::new()), ".{0,300}"],
        timeout_height in prop_oneof![Just(0u64), any::<u64>()],
        signer_infos in prop::collection::vec(any_signer_info(), 1..3),
        fee in prop::option::weighted(0.9, (
            prop::collection::vec(any_coin(), 0..2),
            prop_oneof![3 => 0u64..400_000, 1 => any::<u64>()],
        )),
        signatures in prop::collection::vec(
            prop_oneof![Just(Vec::new()), prop::collection::vec(any::<u8>(), 64)],
            1..3,
        ),
    ) -> Vec<u8> {
        let body = TxBody {
            messages,
            memo,
            timeout_height,
            ..Default::default()
        };
        let auth_info = AuthInfo {
            signer_infos,
            fee: fee.map(|(amount, gas_limit)| Fee {
                amount,
                gas_limit,
                ..Default::default()
            }),
            ..Default::default()
        };
        TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: auth_info.encode_to_vec(),
            signatures,
        }
        .encode_to_vec()
    }
}

prop_compose! {
    /// A MsgSend from alice, really signed, with random amounts, fee, gas, sequence, account
    /// number, memo and chain-id: these reach every phase of the ante and the bank.
    fn any_signed_send()(
        amount in prop_oneof![Just(0u128), 1u128..2_000_000_000],
        to in any_address(),
        fee in prop_oneof![Just(0u128), 1u128..2_000_000_000],
        gas in prop_oneof![0u64..200_000, Just(200_000u64)],
        sequence in prop_oneof![3 => Just(0u64), 1 => 0u64..3],
        account_number in prop_oneof![3 => Just(0u64), 1 => 0u64..3],
        memo_len in prop_oneof![0usize..10, 250usize..260],
        other_chain in prop::bool::weighted(0.1),
    ) -> Vec<u8> {
        let alice = alice();
        let msg = send_any(&alice.bech32(), &to, vec![proto_coin(&amount.to_string(), DENOM)]);
        let signers = vec![Signer { wallet: &alice, account_number, sequence }];
        let mut spec = TxSpec::new(vec![msg], signers);
        spec.fee = fee;
        spec.gas = gas;
        spec.memo = "m".repeat(memo_len);
        if other_chain {
            spec.chain_id = "other-1".into();
        }
        spec.sign()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Tx::decode(&bytes);
    }

    #[test]
    fn random_well_formed_txs_never_panic_the_pipeline_and_refusals_leave_no_trace(
        tx in any_tx(),
        mode in prop_oneof![Just(Mode::Check), Just(Mode::Deliver), Just(Mode::Simulate)],
    ) {
        let mut state = genesis();
        let before = dump(&state);
        let params = params();
        let outcome = run_tx(&mut state, &tx, &ctx(mode, &params), &mut NoWasm);
        prop_assert_eq!(state.depth(), 0);
        if outcome.code != 0 && outcome.events.is_empty() {
            // Refused before or in the ante: nothing may have changed.
            prop_assert_eq!(&dump(&state), &before);
        }
        if mode == Mode::Simulate {
            prop_assert_eq!(&dump(&state), &before);
        }
        prop_assert!(!outcome.is_ok() || outcome.log.is_empty());
    }

    #[test]
    fn signed_sends_with_random_terms_conserve_supply_and_refusals_leave_no_trace(
        tx in any_signed_send(),
        mode in prop_oneof![Just(Mode::Check), Just(Mode::Deliver), Just(Mode::Simulate)],
    ) {
        let mut state = genesis();
        let before = dump(&state);
        let params = params();
        let outcome = run_tx(&mut state, &tx, &ctx(mode, &params), &mut NoWasm);
        prop_assert_eq!(state.depth(), 0);
        if outcome.code != 0 && outcome.events.is_empty() {
            prop_assert_eq!(&dump(&state), &before);
        }
        if mode == Mode::Simulate {
            prop_assert_eq!(&dump(&state), &before);
        }
        let total: u128 = [alice().address, bob().address, carol().address, tesserad::fees::fee_collector()]
            .iter()
            .map(|a| balance(&state, a))
            .sum();
        prop_assert_eq!(total, 2 * GENESIS_BALANCE + 100, "funds are conserved");
    }
}
