//! A provider's transport identity: the sha256 fingerprint of the TLS certificate it serves,
//! published on chain in its registry record (`tls_fingerprint`, beside `host_uri`).
//!
//! - [`fingerprint`], [`fingerprint_of_pem`]: what the registry stores (64 lowercase hex).
//! - [`self_signed`]: a certificate and key for a provider (`tessera-provider init`); no CA is
//!   involved, the fingerprint on chain is the whole identity.
//! - [`server_tls_config`]: what a provider hands to `tonic::transport::Server::tls_config`.
//! - [`connect_channel`]: the client side, as [`ProviderApi::connect`] uses it: `https://` only
//!   to the certificate whose fingerprint is on chain (a rustls verifier that pins it and still
//!   checks the handshake signatures against that certificate's key), plain `http://` only to a
//!   loopback host.
//!
//! [`ProviderApi::connect`]: crate::provider_api::ProviderApi::connect

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, OtherError, SignatureScheme,
};
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Identity, ServerTlsConfig, Uri};

use crate::error::{Error, Result};

/// The fingerprint of a certificate: sha256 of its DER encoding, 64 lowercase hex characters.
/// This is the only spelling the registry accepts (`tessera_api::registry::validate_tls_fingerprint`).
pub fn fingerprint(cert_der: &[u8]) -> String {
    hex::encode(Sha256::digest(cert_der))
}

/// The fingerprint of the first certificate in `pem` (the server's own certificate when the
/// file holds a chain).
pub fn fingerprint_of_pem(pem: &str) -> Result<String> {
    Ok(fingerprint(&first_certificate(pem)?))
}

/// A self-signed certificate for `hostnames` (DNS names or IP addresses, written into the
/// certificate's subject alternative names) and its new private key (ECDSA P-256, PKCS#8), both
/// PEM: `(cert_pem, key_pem)`. Clients check only the fingerprint, never the names, so the names
/// matter only to other tools.
pub fn self_signed(hostnames: &[String]) -> Result<(String, String)> {
    let mut params = rcgen::CertificateParams::new(hostnames.to_vec())
        .map_err(|e| Error::invalid("TLS certificate host names", e))?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tessera provider");
    let key = rcgen::KeyPair::generate().map_err(|e| Error::invalid("TLS key", e))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Error::invalid("TLS certificate", e))?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The TLS config a provider serves its gRPC API with:
/// `Server::builder().tls_config(server_tls_config(&cert_pem, &key_pem)?)?`. The certificate
/// and key are checked here (both parse, and rustls accepts them as a pair) so a bad file fails
/// at start-up rather than on the first connection.
pub fn server_tls_config(cert_pem: &str, key_pem: &str) -> Result<ServerTlsConfig> {
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid("TLS certificate PEM", e))?;
    if certs.is_empty() {
        return Err(Error::invalid(
            "TLS certificate PEM",
            "holds no CERTIFICATE block",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| Error::invalid("TLS private key PEM", e))?;
    rustls::ServerConfig::builder_with_provider(ring_provider())
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| Error::invalid("TLS certificate and key", e))?;
    // tonic builds its rustls ServerConfig with the process-wide default provider; with more
    // than one rustls backend compiled in there is none unless installed, so name ring (the one
    // tonic's `tls-ring` and this module use). Already installed is fine.
    let _ = crypto::ring::default_provider().install_default();
    Ok(ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem)))
}

/// A channel to the provider with account `provider` at `host_uri`, under the transport
/// identity rules (docs/provider-api.md, "Transport identity"):
///
/// - `https://` needs `tls_fingerprint` (from the provider's registry record) and completes the
///   handshake only with the certificate that hashes to it; otherwise
///   [`Error::TlsFingerprintMismatch`] names both fingerprints.
/// - `http://` only to a loopback host (127.0.0.0/8, ::1, `localhost`); any other host is
///   refused before a connection is opened. The fingerprint, if any, is not used.
pub async fn connect_channel(
    host_uri: &str,
    tls_fingerprint: Option<&str>,
    provider: &str,
) -> Result<Channel> {
    let refused = |reason: String| Error::ProviderIdentity {
        provider: provider.to_string(),
        uri: host_uri.to_string(),
        reason,
    };
    let bad = |e: &dyn std::fmt::Display| {
        Error::invalid("provider host_uri", format!("{host_uri:?}: {e}"))
    };
    let uri: Uri = host_uri.parse().map_err(|e| bad(&e))?;
    let host = uri
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad(&"has no host"))?;
    match uri.scheme_str() {
        Some("http") => {
            if !is_loopback(&host) {
                return Err(refused(format!(
                    "plain http:// is allowed only to a loopback host (127.0.0.0/8, ::1, \
                     localhost), and {host} is not one; the provider must serve https:// and \
                     register its certificate's fingerprint"
                )));
            }
            Endpoint::from(uri)
                .connect()
                .await
                .map_err(|e| Error::transport(host_uri, "connect", &e))
        }
        Some("https") => {
            let expected = tls_fingerprint.ok_or_else(|| {
                refused(
                    "serves https:// but has no tls_fingerprint registered on chain, so its \
                     certificate cannot be checked; refusing to connect (the provider must \
                     publish it with `tessera provider update --tls-cert`)"
                        .to_string(),
                )
            })?;
            tessera_api::registry::validate_tls_fingerprint(expected)?;
            let port = uri.port_u16().unwrap_or(443);
            let authority = uri.authority().ok_or_else(|| bad(&"has no host"))?;
            let server_name = ServerName::try_from(host.clone())
                .map_err(|e| bad(&e))?
                .to_owned();
            let (connector, presented) = PinnedConnector::new(host, port, server_name, expected)?;
            // tonic wraps an `https://` endpoint in its own TLS (refusing one without a
            // `ClientTlsConfig`), so the endpoint the connector is given says `http://` while
            // the connector does the TLS; requests still carry `https://` through `origin`.
            let endpoint = Endpoint::from_shared(format!("http://{authority}"))
                .map_err(|e| bad(&e))?
                .origin(uri.clone());
            match endpoint.connect_with_connector(connector).await {
                Ok(channel) => Ok(channel),
                Err(e) => Err(match presented.lock().ok().and_then(|mut p| p.take()) {
                    Some(presented) => Error::TlsFingerprintMismatch {
                        provider: provider.to_string(),
                        uri: host_uri.to_string(),
                        expected: expected.to_string(),
                        presented,
                    },
                    None => Error::transport(host_uri, "connect", &e),
                }),
            }
        }
        _ => Err(bad(&"must start with http:// or https://")),
    }
}

/// `localhost`, or an address in 127.0.0.0/8 or ::1 (also written as an IPv4-mapped IPv6
/// address).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

fn first_certificate(pem: &str) -> Result<CertificateDer<'static>> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        Error::invalid(
            "TLS certificate PEM",
            format!("no CERTIFICATE block could be read: {e}"),
        )
    })
}

fn ring_provider() -> Arc<CryptoProvider> {
    Arc::new(crypto::ring::default_provider())
}

/// Accepts exactly the server certificate whose fingerprint is `expected`; the handshake
/// signatures are verified against that certificate's key as usual, so a server that merely
/// copies the certificate without its key still fails. Issuer, validity dates and names are not
/// checked: the on-chain fingerprint is the identity.
#[derive(Debug)]
struct PinnedCertVerifier {
    expected: String,
    provider: Arc<CryptoProvider>,
    /// The fingerprint of a refused certificate, for the caller's error message (rustls's own
    /// error reaches the caller through several layers of `io::Error` and tonic errors).
    presented: Arc<Mutex<Option<String>>>,
}

#[derive(Debug, thiserror::Error)]
#[error("TLS certificate fingerprint {presented} is not the registered {expected}")]
struct FingerprintMismatch {
    expected: String,
    presented: String,
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity);
        if presented == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        if let Ok(mut slot) = self.presented.lock() {
            *slot = Some(presented.clone());
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(FingerprintMismatch {
                expected: self.expected.clone(),
                presented,
            })),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// TCP to the provider's host and port, then TLS with [`PinnedCertVerifier`]; what tonic's
/// `Endpoint::connect_with_connector` calls for every (re)connection.
#[derive(Clone)]
struct PinnedConnector {
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    tls: TlsConnector,
}

impl PinnedConnector {
    /// The connector, and the slot where a refused certificate's fingerprint lands.
    fn new(
        host: String,
        port: u16,
        server_name: ServerName<'static>,
        expected: &str,
    ) -> Result<(Self, Arc<Mutex<Option<String>>>)> {
        let provider = ring_provider();
        let presented = Arc::new(Mutex::new(None));
        let verifier = PinnedCertVerifier {
            expected: expected.to_string(),
            provider: provider.clone(),
            presented: presented.clone(),
        };
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::invalid("TLS client config", e))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = Self {
            host,
            port,
            server_name,
            tls: TlsConnector::from(Arc::new(config)),
        };
        Ok((connector, presented))
    }
}

impl tower_service::Service<Uri> for PinnedConnector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The URI tonic passes is the `http://` stand-in (see [`connect_channel`]): the host and
    /// port come from the registered `host_uri` instead.
    fn call(&mut self, _: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let tcp = TcpStream::connect((this.host.as_str(), this.port)).await?;
            tcp.set_nodelay(true)?;
            let tls = this.tls.connect(this.server_name, tcp).await?;
            Ok(TokioIo::new(tls))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_sha256_of_the_der_in_lowercase_hex() {
        assert_eq!(
            fingerprint(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_self_signed_certificate_has_the_fingerprint_of_its_der() {
        let (cert_pem, key_pem) =
            self_signed(&["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        let der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
        let fp = fingerprint_of_pem(&cert_pem).unwrap();
        assert_eq!(fp, fingerprint(&der));
        tessera_api::registry::validate_tls_fingerprint(&fp).unwrap();
        assert!(server_tls_config(&cert_pem, &key_pem).is_ok());
        // A fresh key every time: two certificates never share a fingerprint.
        let (other, _) = self_signed(&["localhost".to_string()]).unwrap();
        assert_ne!(fingerprint_of_pem(&other).unwrap(), fp);
    }

    #[test]
    fn pem_without_a_certificate_is_refused() {
        let err = fingerprint_of_pem("not a pem").unwrap_err();
        assert!(err.to_string().contains("TLS certificate PEM"), "{err}");
        let (cert_pem, _) = self_signed(&["localhost".to_string()]).unwrap();
        let (_, other_key) = self_signed(&["localhost".to_string()]).unwrap();
        assert!(server_tls_config(&cert_pem, "no key").is_err());
        assert!(server_tls_config("no cert", &other_key).is_err());
        // A key that is not the certificate's.
        assert!(server_tls_config(&cert_pem, &other_key).is_err());
    }

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        assert!(is_loopback("::ffff:127.0.0.1"));
        for host in [
            "10.1.2.3",
            "0.0.0.0",
            "::",
            "example.com",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
