//! Bounds on manifests. They keep absurd or hostile input (a provider parses manifests it did
//! not write) cheap to reject, and sit well above what a real job asks for.

/// Manifest versions this crate reads.
pub const SUPPORTED_VERSIONS: &[&str] = &["1.0"];

/// Largest manifest source accepted.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Deepest nesting of YAML mappings and sequences (the manifest itself needs 7).
pub const MAX_DEPTH: usize = 32;
/// Most YAML nodes in one manifest, counting each use of an alias as a copy of its anchor.
pub const MAX_NODES: usize = 100_000;

/// Longest service, profile or placement name.
pub const MAX_NAME_LEN: usize = 63;
pub const MAX_SERVICES: usize = 64;
pub const MAX_COMPUTE_PROFILES: usize = 64;
pub const MAX_PLACEMENTS: usize = 64;
/// Most (service, placement) entries, i.e. market groups. The market's own `max_groups`
/// parameter (20 by default) is checked on chain.
pub const MAX_GROUPS: usize = 64;
pub const MAX_INPUTS: usize = 64;
pub const MAX_URL_LEN: usize = 2048;
pub const MAX_WORK_UNITS: u64 = 1_000_000;
/// Most instances in one group.
pub const MAX_COUNT: u64 = 1_000;
/// Most GPUs one instance may ask for.
pub const MAX_GPU_UNITS: u64 = 64;

/// Every integer in the canonical JSON stays within ±(2^53 − 1), so that any JSON library
/// (JavaScript's included) reads it exactly and RFC 8785 serializers write it as we do.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
