//! Messages the suites send the same way.

use tessera_api::registry::{ExecuteMsg as RegistryExecuteMsg, ProviderInfo};
use tessera_api::{Attribute, GpuSpec};

/// Provider `name` registering at `https://{name}.example.com:8443` (no TLS pin, no contact) with
/// `gpus` and self-declared `attributes`; the bond goes with it as funds.
pub fn register_msg(
    name: &str,
    gpus: Vec<GpuSpec>,
    attributes: Vec<Attribute>,
) -> RegistryExecuteMsg {
    RegistryExecuteMsg::Register {
        host_uri: format!("https://{name}.example.com:8443"),
        tls_fingerprint: None,
        attributes,
        gpus,
        info: ProviderInfo::default(),
    }
}
