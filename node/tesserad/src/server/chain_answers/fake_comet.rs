//! A stand-in for CometBFT's RPC in unit tests: answers JSON-RPC calls by method from a table
//! of results or errors; the fixtures are CometBFT 0.38's own answers (recorded from
//! `cometbft start --proxy_app kvstore`, with tesserad's chain id).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use crate::server::comet_client::CometClient;

/// `(method, Ok(result JSON) | Err(error JSON))`.
pub type Answers<'a> = [(&'a str, Result<&'a str, &'a str>)];

/// Serves `answers` on a loopback port until the test process ends; a method not in the table
/// is answered "method not found".
pub fn serve(answers: &Answers<'_>) -> CometClient {
    let table: BTreeMap<String, Result<String, String>> = answers
        .iter()
        .map(|(method, answer)| {
            let answer = answer.map(str::to_string).map_err(str::to_string);
            (method.to_string(), answer)
        })
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            answer_one(stream, &table);
        }
    });
    CometClient::new(&format!("tcp://{addr}")).unwrap()
}

/// Reads one HTTP request with a JSON-RPC call and answers it, then closes.
fn answer_one(stream: TcpStream, table: &BTreeMap<String, Result<String, String>>) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let call: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let method = call["method"].as_str().unwrap_or_default();
    let id = &call["id"];
    let reply = match table.get(method) {
        Some(Ok(result)) => format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#),
        Some(Err(error)) => format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{error}}}"#),
        None => format!(
            r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32601,"message":"Method not found"}}}}"#
        ),
    };
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

/// `status` of a node at height 12 that has every block from 1.
pub const STATUS: &str = r#"{
 "node_info": {
  "protocol_version": {
   "p2p": "8",
   "block": "11",
   "app": "1"
  },
  "id": "3c8e0f3a1bfbb6b1c6a1ea3bc9f3c0a6c9cf5e36",
  "listen_addr": "tcp://127.0.0.1:26656",
  "network": "tessera-dev",
  "version": "0.38.17",
  "channels": "40202122",
  "moniker": "tessera-dev",
  "other": {
   "tx_index": "on",
   "rpc_address": "tcp://127.0.0.1:26657"
  }
 },
 "sync_info": {
  "latest_block_hash": "BF1999921BB23995D3C9B8EC78F5B34DF9B2ADB0AE0C228731C1419D0AE470C1",
  "latest_app_hash": "0000000000000000",
  "latest_block_height": "12",
  "latest_block_time": "2026-12-04T05:19:51.252409082Z",
  "earliest_block_hash": "E2D1F2AD4EA4FD9B20E678CDB0F7BF5837D96C9E1A68F2B718C7C76FF4AC5F72",
  "earliest_app_hash": "0000000000000000",
  "earliest_block_height": "1",
  "earliest_block_time": "2026-12-04T05:19:47.619362438Z",
  "catching_up": false
 },
 "validator_info": {
  "address": "618E0172F8085FA409D3B866073CF6F1D01431FB",
  "pub_key": {
   "type": "tendermint/PubKeyEd25519",
   "value": "W7MomDJNUddwM/ljVL9zAQcA+YpvtjFl8ZJZo54MDcI="
  },
  "voting_power": "10"
 }
}"#;

/// `block` at height 31, with one (kvstore) tx.
pub const BLOCK: &str = r#"{
 "block_id": {
  "hash": "7BB546CF57B8FEABA81B27F5266A53D1235AB28224A0D3B55FB21E8CCE20CD16",
  "parts": {
   "total": 1,
   "hash": "CB40C09E56886401C404DED621885E82F62D0495275ECAA2459BEDF3CC4311DD"
  }
 },
 "block": {
  "header": {
   "version": {
    "block": "11",
    "app": "1"
   },
   "chain_id": "tessera-dev",
   "height": "31",
   "time": "2026-12-04T05:19:57.221067825Z",
   "last_block_id": {
    "hash": "9AEA1C99D271FC1FF3A0DB2E017EE8306C6009AC7112570A0504ACA6AE036ABD",
    "parts": {
     "total": 1,
     "hash": "A2E760A6DAC0E363DECABE657E54B08EEB84C63716FA9C8C2644E82D84AEC9B5"
    }
   },
   "last_commit_hash": "6564FB0E18EDC76AE8B85A79E367869C098FC127F15040EA74C5468A1F68B243",
   "data_hash": "3B6C72BEBC4465E6C8702D56EB3F550AC642123CB8BABA21012D29023906B7CF",
   "validators_hash": "CD71C170FADB336F32994212F4BD2B6FDBEE1BC18DF7D1474B47B28E9A9D063D",
   "next_validators_hash": "CD71C170FADB336F32994212F4BD2B6FDBEE1BC18DF7D1474B47B28E9A9D063D",
   "consensus_hash": "048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F",
   "app_hash": "0000000000000000",
   "last_results_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
   "evidence_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
   "proposer_address": "618E0172F8085FA409D3B866073CF6F1D01431FB"
  },
  "data": {
   "txs": [
    "bmFtZT1zYXRvc2hp"
   ]
  },
  "evidence": {
   "evidence": []
  },
  "last_commit": {
   "height": "30",
   "round": 0,
   "block_id": {
    "hash": "9AEA1C99D271FC1FF3A0DB2E017EE8306C6009AC7112570A0504ACA6AE036ABD",
    "parts": {
     "total": 1,
     "hash": "A2E760A6DAC0E363DECABE657E54B08EEB84C63716FA9C8C2644E82D84AEC9B5"
    }
   },
   "signatures": [
    {
     "block_id_flag": 2,
     "validator_address": "618E0172F8085FA409D3B866073CF6F1D01431FB",
     "timestamp": "2026-12-04T05:19:57.221067825Z",
     "signature": "s8ydaAaIm+Fstzkpntefpdi5b7FYwtC0PBkcsJcmJ4E7gHXLfwkhzplNqqYt3yoF8pQ/RdsVnpg2VcmbX8iYBw=="
    }
   ]
  }
 }
}"#;

/// `header` at height 31.
pub const HEADER: &str = r#"{
 "header": {
  "version": {
   "block": "11",
   "app": "1"
  },
  "chain_id": "tessera-dev",
  "height": "31",
  "time": "2026-12-04T05:19:57.221067825Z",
  "last_block_id": {
   "hash": "9AEA1C99D271FC1FF3A0DB2E017EE8306C6009AC7112570A0504ACA6AE036ABD",
   "parts": {
    "total": 1,
    "hash": "A2E760A6DAC0E363DECABE657E54B08EEB84C63716FA9C8C2644E82D84AEC9B5"
   }
  },
  "last_commit_hash": "6564FB0E18EDC76AE8B85A79E367869C098FC127F15040EA74C5468A1F68B243",
  "data_hash": "3B6C72BEBC4465E6C8702D56EB3F550AC642123CB8BABA21012D29023906B7CF",
  "validators_hash": "CD71C170FADB336F32994212F4BD2B6FDBEE1BC18DF7D1474B47B28E9A9D063D",
  "next_validators_hash": "CD71C170FADB336F32994212F4BD2B6FDBEE1BC18DF7D1474B47B28E9A9D063D",
  "consensus_hash": "048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F",
  "app_hash": "0000000000000000",
  "last_results_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
  "evidence_hash": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
  "proposer_address": "618E0172F8085FA409D3B866073CF6F1D01431FB"
 }
}"#;

/// `consensus_params`, with a gas limit.
pub const CONSENSUS_PARAMS: &str = r#"{
 "block_height": "36",
 "consensus_params": {
  "block": {
   "max_bytes": "22020096",
   "max_gas": "50000000"
  },
  "evidence": {
   "max_age_num_blocks": "100000",
   "max_age_duration": "172800000000000",
   "max_bytes": "1048576"
  },
  "validator": {
   "pub_key_types": [
    "ed25519"
   ]
  },
  "version": {
   "app": "0"
  },
  "abci": {
   "vote_extensions_enable_height": "0"
  }
 }
}"#;
