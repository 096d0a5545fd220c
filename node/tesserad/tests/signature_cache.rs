//! The signature cache changes nothing the chain agrees on: blocks whose txs went through
//! CheckTx first (their signatures cached) end at the same app hash as the same blocks
//! executed cold, and a cached signature moved onto another tx is verified and refused.

use tessera_testing::node as common;
use tessera_testing::node::chain;

use chain::{assert_ok, sign, Chain, CONTRACT_GAS};
use common::{alice, bob, send_msg};
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use cosmrs::proto::prost::Message as _;
use tesserad::app::abci::CheckTxKind;

/// Three blocks of sends from alice and bob, signed at the sequences they will have.
fn blocks(chain: &Chain) -> Vec<Vec<Vec<u8>>> {
    let (a, b) = (alice(), bob());
    let (a_number, a_seq) = chain.account(&a);
    let (b_number, b_seq) = chain.account(&b);
    (0..3u64)
        .map(|block| {
            (0..4u64)
                .flat_map(|i| {
                    let n = block * 4 + i;
                    [
                        sign(
                            &a,
                            (a_number, a_seq + n),
                            vec![send_msg(&a, &b, 10 + n as u128)],
                            CONTRACT_GAS,
                        ),
                        sign(
                            &b,
                            (b_number, b_seq + n),
                            vec![send_msg(&b, &a, 20 + n as u128)],
                            CONTRACT_GAS,
                        ),
                    ]
                })
                .collect()
        })
        .collect()
}

#[test]
fn blocks_end_at_the_same_app_hash_with_their_signatures_cached_or_not() {
    let mut warm = Chain::start();
    let mut cold = Chain::start();
    let txs = blocks(&warm);
    assert_eq!(txs, blocks(&cold), "the two chains sign the same bytes");
    for block in txs {
        for tx in &block {
            let checked = warm.app.check_tx(tx, CheckTxKind::New);
            assert_eq!(checked.code, 0, "{}", checked.log);
        }
        let warm_result = warm.block(block.clone());
        let cold_result = cold.block(block);
        assert_ok(&warm_result);
        assert_eq!(warm_result, cold_result);
    }
    assert!(
        warm.app.signature_cache().len() >= 24,
        "CheckTx did not cache: {:?}",
        warm.app.signature_cache()
    );
}

#[test]
fn a_cached_signature_moved_onto_another_tx_is_refused() {
    let mut chain = Chain::start();
    let (a, b) = (alice(), bob());
    let account = chain.account(&a);
    let honest = sign(&a, account, vec![send_msg(&a, &b, 1)], CONTRACT_GAS);
    assert_eq!(chain.app.check_tx(&honest, CheckTxKind::New).code, 0);
    assert!(!chain.app.signature_cache().is_empty());

    // Same signer, sequence and signature; a body that sends a thousand times more.
    let greedy = sign(&a, account, vec![send_msg(&a, &b, 1_000)], CONTRACT_GAS);
    let mut forged = TxRaw::decode(greedy.as_slice()).unwrap();
    forged.signatures = TxRaw::decode(honest.as_slice()).unwrap().signatures;
    let forged = forged.encode_to_vec();

    // (CheckTx would refuse it for its sequence already: the honest tx took it in the mempool.)
    let bob_before = chain.balance(&b.bech32());
    let res = chain.block(vec![forged]);
    assert_eq!(res.tx_results[0].code, 4, "{}", res.tx_results[0].log);
    assert!(res.tx_results[0]
        .log
        .contains("signature verification failed"));
    assert_eq!(chain.balance(&b.bech32()), bob_before);
}
