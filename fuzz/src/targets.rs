//! The fuzz targets: one function per kind of input a stranger controls.

use std::io::Cursor;
use std::sync::Arc;

use arbitrary::{Result, Unstructured};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::prost::Message as _;
use cosmos_sdk_proto::Any;
use tendermint_proto::v0_38::abci::{request, Request, RequestCheckTx, RequestEcho, RequestQuery};
use tessera_api::market::validate_manifest_hash;
use tessera_store::state::MemState;
use tessera_store::Overlay;
use tesserad::{run_tx, AnteParams, Mode, NoWasm, TxContext};

use crate::generate;

pub struct Target {
    pub name: &'static str,
    /// Longest raw input handed to the target.
    pub max_input: usize,
    pub run: fn(&[u8]),
}

pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "tx_decode_and_check",
            max_input: 512,
            run: tx_decode_and_check,
        },
        Target {
            name: "abci_request",
            max_input: 512,
            run: abci_request,
        },
        Target {
            name: "manifest",
            max_input: 1024,
            run: manifest,
        },
        Target {
            name: "market_msg",
            max_input: 512,
            run: market_msg,
        },
        Target {
            name: "registry_msg",
            max_input: 512,
            run: registry_msg,
        },
        Target {
            name: "governance_msg",
            max_input: 512,
            run: governance_msg,
        },
        Target {
            name: "provider_request_auth",
            max_input: 256,
            run: provider_request_auth,
        },
        Target {
            name: "provider_send_manifest",
            max_input: 1024,
            run: provider_send_manifest,
        },
    ]
}

const TYPE_URLS: &[&str] = &[
    "/cosmos.bank.v1beta1.MsgSend",
    "/cosmwasm.wasm.v1.MsgExecuteContract",
    "/cosmwasm.wasm.v1.MsgStoreCode",
    "/cosmwasm.wasm.v1.MsgInstantiateContract",
    "/cosmwasm.wasm.v1.MsgInstantiateContract2",
    "/cosmwasm.wasm.v1.MsgMigrateContract",
    "/cosmwasm.wasm.v1.MsgUpdateAdmin",
    "/cosmos.crypto.secp256k1.PubKey",
    "/unknown.Msg",
];

fn any(u: &mut Unstructured) -> Result<Any> {
    Ok(Any {
        type_url: (*u.choose(TYPE_URLS)?).to_string(),
        value: u.arbitrary()?,
    })
}

/// A `TxRaw` whose body and auth info are well-formed protobuf with arbitrary contents, or
/// arbitrary bytes.
fn tx_bytes(u: &mut Unstructured) -> Result<Vec<u8>> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let body = TxBody {
        messages: (0..u.int_in_range(0..=3)?)
            .map(|_| any(u))
            .collect::<Result<_>>()?,
        memo: u.arbitrary()?,
        timeout_height: u.arbitrary()?,
        extension_options: if u.ratio(1, 10)? {
            vec![any(u)?]
        } else {
            vec![]
        },
        non_critical_extension_options: vec![],
    };
    let signer = SignerInfo {
        public_key: if u.ratio(4, 5)? { Some(any(u)?) } else { None },
        mode_info: Some(ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single {
                mode: u.int_in_range(0..=3)?,
            })),
        }),
        sequence: u.arbitrary()?,
    };
    #[allow(deprecated)]
    let auth = AuthInfo {
        signer_infos: (0..u.int_in_range(0..=2)?)
            .map(|_| signer.clone())
            .collect(),
        fee: Some(Fee {
            amount: vec![Coin {
                denom: if u.ratio(3, 4)? {
                    "utsr".into()
                } else {
                    u.arbitrary()?
                },
                amount: u.arbitrary::<u64>()?.to_string(),
            }],
            gas_limit: u.arbitrary()?,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    };
    let raw = TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth.encode_to_vec(),
        signatures: (0..u.int_in_range(0..=2)?)
            .map(|_| u.arbitrary())
            .collect::<Result<_>>()?,
    };
    generate::mutate(u, raw.encode_to_vec())
}

/// Decoding and the whole ante pipeline (Check mode, empty state): never a panic.
fn tx_decode_and_check(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(bytes) = tx_bytes(&mut u) else { return };
    let _ = tesserad::Tx::decode(&bytes);
    let params = AnteParams::default();
    // Through the signature cache, as CheckTx runs it.
    let cache = tesserad::sigcache::SignatureCache::new(16);
    let ctx = TxContext {
        chain_id: "tessera-dev-1",
        block_height: 2,
        mode: Mode::Check,
        params: &params,
        verified_ahead: None,
        signature_cache: Some(&cache),
    };
    let mut state = Overlay::new(Arc::new(MemState::default()));
    let _ = run_tx(&mut state, &bytes, &ctx, &mut NoWasm);
}

/// The ABCI socket's framing and decoding of CometBFT's requests.
fn abci_request(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let frame = (|| -> Result<Vec<u8>> {
        if u.ratio(1, 4)? {
            return u.arbitrary();
        }
        let value = match u.int_in_range(0..=2)? {
            0 => request::Value::Echo(RequestEcho {
                message: u.arbitrary()?,
            }),
            1 => request::Value::Query(RequestQuery {
                data: u.arbitrary::<Vec<u8>>()?.into(),
                path: u.arbitrary()?,
                height: u.arbitrary()?,
                prove: u.arbitrary()?,
            }),
            _ => request::Value::CheckTx(RequestCheckTx {
                tx: tx_bytes(&mut u)?.into(),
                r#type: u.arbitrary()?,
            }),
        };
        let body = Request { value: Some(value) }.encode_to_vec();
        let mut len = body.len() as u64;
        if u.ratio(1, 8)? {
            len = u.arbitrary()?;
        }
        let mut frame = Vec::new();
        loop {
            let byte = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                frame.push(byte);
                break;
            }
            frame.push(byte | 0x80);
        }
        frame.extend(body);
        generate::mutate(&mut u, frame)
    })();
    let Ok(frame) = frame else { return };
    let mut reader = Cursor::new(frame);
    while let Ok(Some(_)) = tesserad::server::socket::read_request(&mut reader) {}
}

const EXAMPLES: &[&str] = &[
    include_str!("../../examples/demo.yaml"),
    include_str!("../../examples/render.yaml"),
    include_str!("../../examples/matmul.yaml"),
    include_str!("../../examples/inference.yaml"),
];

/// The manifest parser, its canonical hash and the deployment plan it yields.
fn manifest(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(text) = generate::manifest(&mut u, EXAMPLES) else {
        return;
    };
    if let Ok(m) = tessera_manifest::Manifest::parse(&text, "fuzz.yaml") {
        let _ = m.hash_hex();
        let _ = m.plan();
    }
}

/// JSON bytes of a generated contract message, sometimes mutated.
fn message_bytes(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let value = generate::message(&mut u).ok()?;
    let bytes = serde_json::to_vec(&value).ok()?;
    if u.ratio(1, 4).ok()? {
        generate::mutate(&mut u, bytes).ok()
    } else {
        Some(bytes)
    }
}

/// What the market's entry points decode (with the contract's own JSON reader) and check
/// before touching state.
fn market_msg(data: &[u8]) {
    use tessera_api::market::{ExecuteMsg, QueryMsg};
    let Some(bytes) = message_bytes(data) else {
        return;
    };
    let _ = cosmwasm_std::from_json::<QueryMsg>(&bytes);
    let Ok(msg) = cosmwasm_std::from_json::<ExecuteMsg>(&bytes) else {
        return;
    };
    match msg {
        ExecuteMsg::CreateDeployment {
            groups,
            manifest_hash,
            ..
        } => {
            for group in &groups {
                let _ = group.validate();
            }
            let _ = validate_manifest_hash(&manifest_hash);
        }
        ExecuteMsg::PlaceBid { price, offer, .. } => {
            let _ = offer.validate(price);
        }
        ExecuteMsg::SubmitAttestation {
            output_root,
            inventory_hash,
            leaf_count: None,
            ..
        } => {
            let _ =
                tessera_api::market::validate_attestation_digests(&output_root, &inventory_hash);
        }
        _ => {}
    }
}

fn registry_msg(data: &[u8]) {
    use tessera_api::registry::{ExecuteMsg, QueryMsg};
    let Some(bytes) = message_bytes(data) else {
        return;
    };
    let _ = cosmwasm_std::from_json::<QueryMsg>(&bytes);
    if let Ok(ExecuteMsg::Register {
        host_uri,
        attributes,
        gpus,
        info,
        tls_fingerprint,
    }) = cosmwasm_std::from_json::<ExecuteMsg>(&bytes)
    {
        let _ = tessera_api::registry::validate_registration(
            &host_uri,
            tls_fingerprint.as_deref(),
            &attributes,
            &gpus,
            &info,
        );
    }
}

fn governance_msg(data: &[u8]) {
    use tessera_api::governance::{ExecuteMsg, QueryMsg};
    let Some(bytes) = message_bytes(data) else {
        return;
    };
    let _ = cosmwasm_std::from_json::<QueryMsg>(&bytes);
    if let Ok(ExecuteMsg::Propose {
        title,
        description,
        actions,
    }) = cosmwasm_std::from_json::<ExecuteMsg>(&bytes)
    {
        let _ =
            tessera_api::governance::validate_proposal_text(&title, &description, actions.len());
    }
}

/// The provider API's check of a signed request (what the provider daemon runs first on every
/// call): keys, signatures, nonces, timestamps and audiences from a stranger, one replay cache
/// shared by all inputs as a daemon's is.
fn provider_request_auth(data: &[u8]) {
    use std::sync::OnceLock;
    use tessera_client::provider_auth::{
        verify_signed_request, Audience, ReplayCache, RequestAuth,
    };
    static SEEN: OnceLock<ReplayCache> = OnceLock::new();
    let seen = SEEN.get_or_init(|| ReplayCache::with_capacity(1_000));
    let mut u = Unstructured::new(data);
    let now = 1_800_000_000u64;
    let auth = (|| -> Result<RequestAuth> {
        let mut pubkey: Vec<u8> = u.arbitrary()?;
        if u.ratio(1, 2)? {
            // A real compressed point (the generator), so checks past key parsing run too.
            pubkey = [
                &[0x02u8][..],
                &[
                    0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95, 0xce,
                    0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2,
                    0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98,
                ][..],
            ]
            .concat();
        }
        Ok(RequestAuth {
            pubkey,
            timestamp: if u.ratio(3, 4)? {
                now.wrapping_add_signed(i64::from(u.int_in_range(-400i32..=400)?))
            } else {
                u.arbitrary()?
            },
            signature: u.arbitrary()?,
            nonce: u.arbitrary()?,
            chain_id: u.arbitrary()?,
            provider: u.arbitrary()?,
        })
    })();
    let Ok(auth) = auth else { return };
    let body: Vec<u8> = u.arbitrary().unwrap_or_default();
    let audience = Audience {
        chain_id: "tessera-dev-1",
        provider: "tessera1provider",
    };
    let _ = verify_signed_request(
        &auth,
        audience,
        "/tessera.provider.v1.Provider/SendManifest",
        &body,
        now,
        seen,
    );
}

/// The provider's `SendManifest` past the signature check: the request's protobuf bytes, then
/// the manifest intake (UTF-8, parse, on-chain hash, the group's service, the runtime job).
/// Half the inputs are checked against the manifest's own hash and group names so that the
/// steps after the hash run too.
fn provider_send_manifest(data: &[u8]) {
    use tessera_proto::provider::v1::SendManifestRequest;
    let mut u = Unstructured::new(data);
    let Ok(raw) = u.arbitrary::<Vec<u8>>() else {
        return;
    };
    let _ = SendManifestRequest::decode(raw.as_slice());
    let Ok(text) = generate::manifest(&mut u, EXAMPLES) else {
        return;
    };
    let (hash, group) = match tessera_manifest::Manifest::parse(&text, "fuzz.yaml") {
        Ok(m) if u.ratio(1, 2).unwrap_or(false) => {
            let groups: Vec<String> = m.plan().groups.into_iter().map(|g| g.name).collect();
            let group = u.choose(&groups).cloned().unwrap_or_default();
            (m.hash_hex(), group)
        }
        _ => (
            u.arbitrary::<String>().unwrap_or_default(),
            u.arbitrary::<String>().unwrap_or_default(),
        ),
    };
    let _ = tessera_provider::intake::accept(text.into_bytes(), &hash, &group);
}
