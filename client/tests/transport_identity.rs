//! `ProviderApi::connect` against real gRPC servers on loopback: a provider serving TLS with a
//! self-signed certificate is reached only with that certificate's fingerprint, and endpoints
//! that cannot be checked are refused before a connection is opened.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tessera_client::keys::Key;
use tessera_client::provider_api::ProviderApi;
use tessera_client::transport_identity::{fingerprint_of_pem, self_signed, server_tls_config};
use tessera_client::Error;
use tessera_proto::provider::v1 as pb;
use tessera_proto::provider::v1::provider_server::{Provider, ProviderServer};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const CHAIN_ID: &str = "tessera-test";

fn provider_address() -> String {
    Key::from_private_key_hex("provider", &"01".repeat(32))
        .expect("a valid key")
        .address()
}

/// Answers `Status` with its address; everything else is unimplemented.
struct StatusOnly {
    address: String,
}

type Stream<T> = Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl Provider for StatusOnly {
    type WatchLeaseStream = Stream<pb::LeaseStatusResponse>;
    type GetOutputStream = Stream<pb::OutputLeaves>;

    async fn status(
        &self,
        _: Request<pb::StatusRequest>,
    ) -> Result<Response<pb::StatusResponse>, Status> {
        Ok(Response::new(pb::StatusResponse {
            address: self.address.clone(),
            chain_id: CHAIN_ID.into(),
            version: "transport-identity-test".into(),
            ..Default::default()
        }))
    }

    async fn bid_screening(
        &self,
        _: Request<pb::BidScreeningRequest>,
    ) -> Result<Response<pb::BidScreeningResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn send_manifest(
        &self,
        _: Request<pb::SendManifestRequest>,
    ) -> Result<Response<pb::SendManifestResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn lease_status(
        &self,
        _: Request<pb::LeaseRequest>,
    ) -> Result<Response<pb::LeaseStatusResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn watch_lease(
        &self,
        _: Request<pb::LeaseRequest>,
    ) -> Result<Response<Self::WatchLeaseStream>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn get_output(
        &self,
        _: Request<pb::GetOutputRequest>,
    ) -> Result<Response<Self::GetOutputStream>, Status> {
        Err(Status::unimplemented("test server"))
    }

    async fn close_lease(
        &self,
        _: Request<pb::LeaseRequest>,
    ) -> Result<Response<pb::CloseLeaseResponse>, Status> {
        Err(Status::unimplemented("test server"))
    }
}

/// Serves the provider API on a free loopback port, with TLS when `tls` is given; the server
/// runs until the test's runtime ends.
async fn serve(tls: Option<ServerTlsConfig>) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut builder = Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls)?;
    }
    let router = builder.add_service(ProviderServer::new(StatusOnly {
        address: provider_address(),
    }));
    tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
    Ok(addr)
}

/// A provider serving https with a fresh self-signed certificate: its address and the
/// certificate's fingerprint.
async fn tls_provider() -> Result<(SocketAddr, String), Box<dyn std::error::Error>> {
    let (cert_pem, key_pem) = self_signed(&["localhost".into(), "127.0.0.1".into()])?;
    let addr = serve(Some(server_tls_config(&cert_pem, &key_pem)?)).await?;
    Ok((addr, fingerprint_of_pem(&cert_pem)?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reaches_a_tls_provider_with_the_registered_fingerprint() -> TestResult {
    let (addr, fingerprint) = tls_provider().await?;
    let provider = provider_address();
    for host in [
        format!("https://{addr}"),
        format!("https://localhost:{}", addr.port()),
    ] {
        let mut api = ProviderApi::connect(&host, Some(&fingerprint), CHAIN_ID, &provider).await?;
        let status = api.status().await?;
        assert_eq!(status.address, provider);
        assert_eq!(status.chain_id, CHAIN_ID);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_a_tls_provider_whose_certificate_is_not_the_registered_one() -> TestResult {
    let (addr, presented) = tls_provider().await?;
    // The fingerprint of another certificate, as if the registration named a different one.
    let (other_pem, _) = self_signed(&["localhost".into()])?;
    let registered = fingerprint_of_pem(&other_pem)?;
    let provider = provider_address();
    let uri = format!("https://{addr}");
    let err = ProviderApi::connect(&uri, Some(&registered), CHAIN_ID, &provider)
        .await
        .expect_err("a certificate other than the registered one is refused");
    let message = err.to_string();
    match err {
        Error::TlsFingerprintMismatch {
            provider: p,
            uri: u,
            expected,
            presented: seen,
        } => {
            assert_eq!(p, provider);
            assert_eq!(u, uri);
            assert_eq!(expected, registered);
            assert_eq!(seen, presented);
        }
        other => panic!("expected a fingerprint mismatch, got: {other}"),
    }
    for part in [&registered, &presented, &provider, &uri] {
        assert!(message.contains(part.as_str()), "{part} not in: {message}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_https_when_no_fingerprint_is_registered() -> TestResult {
    // A listener that only counts connections: the refusal must come before any.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let uri = format!("https://{}", listener.local_addr()?);
    let provider = provider_address();
    let err = ProviderApi::connect(&uri, None, CHAIN_ID, &provider)
        .await
        .expect_err("https without a registered fingerprint is refused");
    assert!(
        matches!(&err, Error::ProviderIdentity { reason, .. } if reason.contains("no tls_fingerprint")),
        "{err}"
    );
    assert!(err.to_string().contains(&provider), "{err}");
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the client opened a connection");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_a_malformed_registered_fingerprint() -> TestResult {
    let (addr, fingerprint) = tls_provider().await?;
    let err = ProviderApi::connect(
        &format!("https://{addr}"),
        Some(&fingerprint.to_uppercase()),
        CHAIN_ID,
        &provider_address(),
    )
    .await
    .expect_err("only the registry's spelling is accepted");
    assert!(err.to_string().contains("tls_fingerprint"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_refuses_plain_http_off_loopback_before_connecting() -> TestResult {
    // 10.1.2.3 is not reachable from a test machine: trying to connect would hang or fail with
    // a transport error, not the refusal, and not at once.
    let refused = tokio::time::timeout(
        Duration::from_secs(2),
        ProviderApi::connect("http://10.1.2.3:1", None, CHAIN_ID, &provider_address()),
    )
    .await
    .expect("refused without trying to connect")
    .expect_err("plain http to a non-loopback host is refused");
    match &refused {
        Error::ProviderIdentity { reason, .. } => {
            assert!(reason.contains("loopback"), "{reason}");
            assert!(reason.contains("10.1.2.3"), "{reason}");
        }
        other => panic!("expected a refusal, got: {other}"),
    }
    // A registered fingerprint does not make plain http acceptable.
    let fingerprint = "ab".repeat(32);
    let refused = ProviderApi::connect(
        "http://gpu.example.com:8443",
        Some(&fingerprint),
        CHAIN_ID,
        &provider_address(),
    )
    .await
    .expect_err("plain http to a non-loopback host is refused");
    assert!(
        matches!(refused, Error::ProviderIdentity { .. }),
        "{refused}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reaches_a_plain_provider_on_loopback() -> TestResult {
    let addr = serve(None).await?;
    let provider = provider_address();
    for host in [
        format!("http://{addr}"),
        format!("http://localhost:{}", addr.port()),
    ] {
        let mut api = ProviderApi::connect(&host, None, CHAIN_ID, &provider).await?;
        assert_eq!(api.status().await?.address, provider);
    }
    Ok(())
}
