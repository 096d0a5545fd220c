//! A tenant's client of a provider's gRPC API (`tessera.provider.v1.Provider`): every lease
//! request signed with the lease owner's key, and every output leaf checked against the
//! output root attested on chain before it is handed on (see [`crate::outputs`]).

use std::time::{SystemTime, UNIX_EPOCH};

use prost::Message;
use tessera_api::merkle::Hash;
use tessera_api::LeaseId;
use tessera_proto::provider::v1 as pb;
use tessera_proto::provider::v1::provider_client::ProviderClient;
use tonic::transport::Channel;

use crate::error::{Error, Result};
use crate::keys::Key;
use crate::outputs;
use crate::provider_auth::{self, Audience, RequestAuth};
use crate::transport_identity;

const SERVICE: &str = "/tessera.provider.v1.Provider/";

/// A connection to one provider.
#[derive(Clone, Debug)]
pub struct ProviderApi {
    uri: String,
    client: ProviderClient<Channel>,
    /// Signed into every request, so that it is good for this chain and provider only.
    chain_id: String,
    provider: String,
}

impl ProviderApi {
    /// Connects to the provider with account `provider` on chain `chain_id` at its `host_uri`
    /// as registered on chain, checking the endpoint against `tls_fingerprint`, also as
    /// registered (see [`transport_identity::connect_channel`]): `https://` only to the
    /// certificate with that fingerprint (and never without one), plain `http://` only to a
    /// loopback host.
    pub async fn connect(
        host_uri: &str,
        tls_fingerprint: Option<&str>,
        chain_id: &str,
        provider: &str,
    ) -> Result<Self> {
        crate::tx::parse_account_id(provider)?;
        if chain_id.is_empty() {
            return Err(Error::invalid("chain id", "is empty"));
        }
        let channel =
            transport_identity::connect_channel(host_uri, tls_fingerprint, provider).await?;
        Ok(Self {
            uri: host_uri.to_string(),
            client: ProviderClient::new(channel)
                .max_decoding_message_size(outputs::MAX_OUTPUT_MESSAGE_BYTES),
            chain_id: chain_id.to_string(),
            provider: provider.to_string(),
        })
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn audience(&self) -> Audience<'_> {
        Audience {
            chain_id: &self.chain_id,
            provider: &self.provider,
        }
    }

    /// Signs a request about `lease`, which must be this provider's.
    fn sign(&self, key: &Key, method: &str, lease: &LeaseId, body: &[u8]) -> Result<pb::Auth> {
        if lease.provider != self.provider {
            return Err(Error::invalid(
                "lease",
                format!(
                    "{lease} is provider {}'s, but this connection is to {}",
                    lease.provider, self.provider
                ),
            ));
        }
        auth(key, self.audience(), method, body)
    }

    fn lease_request(&self, key: &Key, method: &str, lease: &LeaseId) -> Result<pb::LeaseRequest> {
        let mut request = pb::LeaseRequest {
            lease: Some(lease_pb(lease)),
            auth: None,
        };
        request.auth = Some(self.sign(key, method, lease, &request.encode_to_vec())?);
        Ok(request)
    }

    fn status_error(&self, method: &'static str, status: tonic::Status) -> Error {
        Error::Rpc {
            url: self.uri.clone(),
            method,
            message: format!("{:?}: {}", status.code(), status.message()),
        }
    }

    pub async fn status(&mut self) -> Result<pb::StatusResponse> {
        self.client
            .status(pb::StatusRequest {})
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.status_error("Status", s))
    }

    pub async fn send_manifest(
        &mut self,
        key: &Key,
        lease: &LeaseId,
        manifest: Vec<u8>,
    ) -> Result<pb::SendManifestResponse> {
        let mut request = pb::SendManifestRequest {
            lease: Some(lease_pb(lease)),
            manifest,
            auth: None,
        };
        request.auth = Some(self.sign(key, "SendManifest", lease, &request.encode_to_vec())?);
        self.client
            .send_manifest(request)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.status_error("SendManifest", s))
    }

    pub async fn lease_status(
        &mut self,
        key: &Key,
        lease: &LeaseId,
    ) -> Result<pb::LeaseStatusResponse> {
        let request = self.lease_request(key, "LeaseStatus", lease)?;
        self.client
            .lease_status(request)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.status_error("LeaseStatus", s))
    }

    /// Progress events until the work ends; the first is the current status.
    pub async fn watch(
        &mut self,
        key: &Key,
        lease: &LeaseId,
    ) -> Result<tonic::Streaming<pb::LeaseStatusResponse>> {
        let request = self.lease_request(key, "WatchLease", lease)?;
        self.client
            .watch_lease(request)
            .await
            .map(|r| r.into_inner())
            .map_err(|s| self.status_error("WatchLease", s))
    }

    pub async fn close(&mut self, key: &Key, lease: &LeaseId) -> Result<()> {
        let request = self.lease_request(key, "CloseLease", lease)?;
        self.client
            .close_lease(request)
            .await
            .map(|_| ())
            .map_err(|s| self.status_error("CloseLease", s))
    }

    /// The output leaves from `from_leaf` on, each verified against `root` (the attested
    /// output root) and a tree of `leaf_count` leaves before `sink` gets it (index, bytes).
    /// Returns how many leaves arrived.
    pub async fn download(
        &mut self,
        key: &Key,
        lease: &LeaseId,
        root: &Hash,
        leaf_count: u64,
        from_leaf: u64,
        mut sink: impl FnMut(u64, Vec<u8>) -> Result<()>,
    ) -> Result<u64> {
        let mut request = pb::GetOutputRequest {
            lease: Some(lease_pb(lease)),
            from_leaf,
            auth: None,
        };
        request.auth = Some(self.sign(key, "GetOutput", lease, &request.encode_to_vec())?);
        let mut stream = self
            .client
            .get_output(request)
            .await
            .map_err(|s| self.status_error("GetOutput", s))?
            .into_inner();
        let mut next = from_leaf;
        while let Some(message) = stream
            .message()
            .await
            .map_err(|s| self.status_error("GetOutput", s))?
        {
            // Every leaf of a message proves before any of them is handed on.
            next += outputs::verify_message(&message, root, leaf_count, next)?;
            for leaf in message.leaves {
                sink(leaf.index, leaf.data)?;
            }
        }
        if next != leaf_count {
            return Err(Error::Outputs {
                reason: format!(
                    "the provider ended the outputs of lease {lease} at leaf {next}, but the attested tree has {leaf_count}"
                ),
            });
        }
        Ok(next - from_leaf)
    }
}

pub fn lease_pb(lease: &LeaseId) -> pb::LeaseId {
    pb::LeaseId {
        owner: lease.owner.clone(),
        dseq: lease.dseq,
        gseq: lease.gseq,
        oseq: lease.oseq,
        provider: lease.provider.clone(),
    }
}

fn auth(key: &Key, audience: Audience<'_>, method: &str, body: &[u8]) -> Result<pb::Auth> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let RequestAuth {
        pubkey,
        timestamp,
        signature,
        nonce,
        chain_id,
        provider,
    } = provider_auth::sign(key, audience, &format!("{SERVICE}{method}"), body, now)?;
    Ok(pb::Auth {
        pubkey,
        timestamp,
        signature,
        nonce,
        chain_id,
        provider,
    })
}

/// The `auth` of a request as the provider checks it.
pub fn request_auth(auth: Option<&pb::Auth>) -> RequestAuth {
    auth.map(|a| RequestAuth {
        pubkey: a.pubkey.clone(),
        timestamp: a.timestamp,
        signature: a.signature.clone(),
        nonce: a.nonce.clone(),
        chain_id: a.chain_id.clone(),
        provider: a.provider.clone(),
    })
    .unwrap_or(RequestAuth {
        pubkey: vec![],
        timestamp: 0,
        signature: vec![],
        nonce: vec![],
        chain_id: String::new(),
        provider: String::new(),
    })
}

/// The method path a request of `method` is signed for.
pub fn method_path(method: &str) -> String {
    format!("{SERVICE}{method}")
}
