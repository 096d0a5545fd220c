//! A minimal client of CometBFT's JSON-RPC on loopback, for the gRPC methods only CometBFT
//! can answer (node info, blocks, broadcasting and finding txs).
//!
//! HTTP/1.0 GETs: the server then answers with a plain body and closes, so no chunked decoding
//! or connection reuse is needed for a local, low-rate path.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;

#[derive(Clone, Debug)]
pub struct CometRpc {
    /// `host:port` of CometBFT's RPC.
    addr: String,
    timeout: Duration,
}

impl CometRpc {
    /// From the configured `rpc_address` (`tcp://127.0.0.1:26657`).
    pub fn new(rpc_address: &str) -> Self {
        let addr = rpc_address
            .trim_start_matches("tcp://")
            .trim_start_matches("http://")
            .to_string();
        Self {
            addr,
            timeout: Duration::from_secs(10),
        }
    }

    /// Calls `method` with URI parameters (already encoded JSON-RPC values, e.g. `"0xAB"`, `5`,
    /// `"\"tx.height=5\""`) and returns its `result`, or the RPC error's text.
    pub fn call(&self, method: &str, params: &[(&str, String)]) -> Result<Value, String> {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let path = if query.is_empty() {
            format!("/{method}")
        } else {
            format!("/{method}?{}", query.join("&"))
        };
        let body = self.get(&path)?;
        let reply: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("CometBFT {method}: not JSON: {e}"))?;
        if let Some(err) = reply.get("error") {
            let data = err["data"].as_str().unwrap_or_default();
            let message = err["message"].as_str().unwrap_or("error");
            return Err(format!("{message}: {data}"));
        }
        Ok(reply["result"].clone())
    }

    fn get(&self, path: &str) -> Result<Vec<u8>, String> {
        let unreachable = |e: std::io::Error| format!("CometBFT RPC at {}: {e}", self.addr);
        let socket = self
            .addr
            .to_socket_addrs()
            .map_err(unreachable)?
            .next()
            .ok_or_else(|| format!("CometBFT RPC address {} does not resolve", self.addr))?;
        let mut stream = TcpStream::connect_timeout(&socket, self.timeout).map_err(unreachable)?;
        stream
            .set_read_timeout(Some(self.timeout))
            .map_err(unreachable)?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr)
            .map_err(unreachable)?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).map_err(unreachable)?;
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("CometBFT RPC: malformed HTTP response")?;
        Ok(response[split + 4..].to_vec())
    }
}

/// Percent-encodes a URI query value (RFC 3986 unreserved characters pass).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            percent_encode("\"tx.hash='AB'\""),
            "%22tx.hash%3D%27AB%27%22"
        );
        assert_eq!(percent_encode("0xAB12"), "0xAB12");
    }

    #[test]
    fn an_unreachable_node_is_an_error_that_names_it() {
        let rpc = CometRpc::new("tcp://127.0.0.1:1");
        let err = rpc.call("status", &[]).unwrap_err();
        assert!(err.contains("CometBFT RPC at 127.0.0.1:1"), "{err}");
    }
}
