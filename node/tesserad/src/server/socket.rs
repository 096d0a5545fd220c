//! ABCI over TCP: CometBFT opens four connections (consensus, mempool, info, snapshot) to
//! `proxy_app` and sends length-delimited (uvarint) protobuf `Request`s; each gets its
//! `Response` in order. Responses are buffered until CometBFT sends `Flush`, as its own socket
//! server does, and Nagle is off: a response must not wait for the ACK of the previous one.

use std::io::{BufReader, BufWriter, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};

use cosmos_sdk_proto::prost::Message;
use tendermint_proto::v0_38::abci::{request, Request};

use super::abci::AbciApp;

/// Largest request accepted: a block of txs comes in one `FinalizeBlock`.
const MAX_MESSAGE_BYTES: usize = 128 * 1024 * 1024;

/// Serves every connection on its own thread until the process ends.
pub fn serve(listener: TcpListener, app: AbciApp) {
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(%err, "ABCI accept");
                continue;
            }
        };
        let app = app.clone();
        let peer = stream
            .peer_addr()
            .map_or_else(|_| "?".to_string(), |a| a.to_string());
        let spawned = std::thread::Builder::new()
            .name(format!("abci {peer}"))
            .spawn(move || match connection(stream, &app) {
                Ok(()) => tracing::info!(%peer, "ABCI connection closed"),
                Err(err) => tracing::warn!(%peer, %err, "ABCI connection ended"),
            });
        if let Err(err) = spawned {
            tracing::error!(%err, "cannot start an ABCI connection thread");
        }
    }
}

fn connection(stream: TcpStream, app: &AbciApp) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let flush = matches!(request.value, Some(request::Value::Flush(_)));
        let response = app.handle(request);
        writer.write_all(&response.encode_length_delimited_to_vec())?;
        if flush {
            writer.flush()?;
        }
    }
    Ok(())
}

/// The next request, or `None` when CometBFT closed the connection between requests.
pub fn read_request(reader: &mut impl Read) -> std::io::Result<Option<Request>> {
    let Some(len) = read_uvarint(reader)? else {
        return Ok(None);
    };
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if len > MAX_MESSAGE_BYTES {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("ABCI message of {len} bytes, limit {MAX_MESSAGE_BYTES}"),
        ));
    }
    let mut buf = vec![0; len];
    reader.read_exact(&mut buf)?;
    Request::decode(buf.as_slice())
        .map(Some)
        .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, format!("ABCI request: {e}")))
}

fn read_uvarint(reader: &mut impl Read) -> std::io::Result<Option<u64>> {
    let mut value = 0u64;
    for i in 0..10 {
        let mut byte = [0u8];
        if reader.read(&mut byte)? == 0 {
            return if i == 0 {
                Ok(None)
            } else {
                Err(ErrorKind::UnexpectedEof.into())
            };
        }
        value |= u64::from(byte[0] & 0x7f) << (7 * i);
        if byte[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Err(std::io::Error::new(
        ErrorKind::InvalidData,
        "uvarint longer than 10 bytes",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::v0_38::abci::{RequestEcho, RequestFlush};

    #[test]
    fn requests_are_read_back_as_written_and_a_clean_close_is_none() {
        let echo = Request {
            value: Some(request::Value::Echo(RequestEcho {
                message: "x".repeat(300),
            })),
        };
        let flush = Request {
            value: Some(request::Value::Flush(RequestFlush {})),
        };
        let mut bytes = echo.encode_length_delimited_to_vec();
        bytes.extend(flush.encode_length_delimited_to_vec());
        let mut reader = bytes.as_slice();
        assert_eq!(read_request(&mut reader).unwrap(), Some(echo));
        assert_eq!(read_request(&mut reader).unwrap(), Some(flush));
        assert_eq!(read_request(&mut reader).unwrap(), None);
    }

    #[test]
    fn truncated_or_oversized_input_is_an_error_not_a_panic() {
        let mut truncated: &[u8] = &[0x05, 0x0a];
        assert!(read_request(&mut truncated).is_err());
        let mut cut_varint: &[u8] = &[0x80];
        assert!(read_request(&mut cut_varint).is_err());
        let huge = (MAX_MESSAGE_BYTES as u64 + 1).to_le_bytes();
        let mut varint = Vec::new();
        let mut n = u64::from_le_bytes(huge);
        while n >= 0x80 {
            varint.push((n as u8) | 0x80);
            n >>= 7;
        }
        varint.push(n as u8);
        assert!(read_request(&mut varint.as_slice()).is_err());
        let mut garbage: &[u8] = &[0x02, 0xff, 0xff];
        assert!(read_request(&mut garbage).is_err());
    }
}
