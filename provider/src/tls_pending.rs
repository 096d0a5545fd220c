// TEMPORARY until tessera_client::transport_identity lands; never committed.
pub fn self_signed(_: &[String]) -> anyhow::Result<(String, String)> {
    anyhow::bail!("pending")
}
pub fn fingerprint_of_pem(_: &str) -> anyhow::Result<String> {
    anyhow::bail!("pending")
}
pub fn server_tls_config(_: &str, _: &str) -> anyhow::Result<tonic::transport::ServerTlsConfig> {
    anyhow::bail!("pending")
}
