//! Amounts, times and hashes the suites share.

/// The staking and fee denom.
pub const DENOM: &str = "utsr";
/// One TSR in `utsr`.
pub const TSR: u128 = 1_000_000;
/// The registry's minimum provider bond at the defaults.
pub const MIN_BOND: u128 = 100 * TSR;
/// The deposit a bid carries at the defaults.
pub const BID_DEPOSIT: u128 = TSR / 2;
/// The least a deployment's escrow may start with at the defaults.
pub const MIN_DEPOSIT: u128 = 5 * TSR;
/// The block time every chain in a box starts at (2023-11-14T22:13:20Z).
pub const GENESIS_TIME: u64 = 1_700_000_000;
/// The chain id of the dev chain, which the node's suites sign for.
pub const CHAIN_ID: &str = "tessera-dev-1";

/// A manifest hash (hex sha256), and a second one for updates.
pub const MANIFEST: &str = "0000000000000000000000000000000000000000000000000000000000000001";
pub const MANIFEST_2: &str = "0000000000000000000000000000000000000000000000000000000000000002";
/// An attested output root and a provider's inventory hash.
pub const ROOT: &str = "00000000000000000000000000000000000000000000000000000000000000aa";
pub const INVENTORY: &str = "00000000000000000000000000000000000000000000000000000000000000bb";
