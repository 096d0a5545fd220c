//! The one random generator of every kernel: SplitMix64, addressed by position.
//!
//! SplitMix64 seeded with state `k` outputs, as its `i`-th value (from 0),
//! `mix(k + (i + 1)·γ)` with `γ = 0x9E3779B97F4A7C15` and wrapping arithmetic. That makes any
//! position computable without the ones before it, which is what lets one leaf be recomputed
//! alone. Each kernel draws from its own *stream*; the state of stream `s` under seed `seed` is
//! `k = mix(seed + s·0xD1B54A32D192ED03)`. The CUDA side (`kernels/common.cuh`) is the same
//! code, line for line.

/// SplitMix64's increment.
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Separates streams under one seed.
pub const STREAM_GAMMA: u64 = 0xD1B5_4A32_D192_ED03;

/// Streams, one per use.
pub const STREAM_MATMUL_A: u64 = 1;
pub const STREAM_MATMUL_B: u64 = 2;
pub const STREAM_MLP_BATCH: u64 = 3;
pub const STREAM_RENDER: u64 = 4;
pub const STREAM_SHA256: u64 = 5;

/// SplitMix64's output function (Stafford's mix13).
pub const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator state of stream `stream` under `seed`.
pub const fn stream_key(seed: u64, stream: u64) -> u64 {
    mix(seed.wrapping_add(stream.wrapping_mul(STREAM_GAMMA)))
}

/// Output number `index` of the generator whose state is `key`.
pub const fn at(key: u64, index: u64) -> u64 {
    mix(key.wrapping_add(index.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// The top 24 bits as a float in [0, 1): exact (a 24-bit integer times 2^-24).
pub fn unit_f32(x: u64) -> f32 {
    ((x >> 40) as u32) as f32 * (1.0 / 16_777_216.0)
}

/// A float in [-1, 1) on a 2^-23 grid: `2u − 1`, both steps exact.
pub fn signed_f32(x: u64) -> f32 {
    unit_f32(x) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_sequential_splitmix64() {
        // The classic sequential form: state += γ; output mix(state).
        let key = stream_key(42, STREAM_MATMUL_A);
        let mut state = key;
        for i in 0..100 {
            state = state.wrapping_add(GAMMA);
            assert_eq!(at(key, i), mix(state));
        }
    }

    #[test]
    fn splitmix64_known_values() {
        // SplitMix64 seeded with 0 starts 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4 (Vigna's
        // reference implementation).
        assert_eq!(at(0, 0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(at(0, 1), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn floats_cover_their_ranges_exactly() {
        assert_eq!(unit_f32(0), 0.0);
        assert_eq!(unit_f32(u64::MAX), 1.0 - 1.0 / 16_777_216.0);
        assert_eq!(signed_f32(0), -1.0);
        assert_eq!(signed_f32(1 << 63), 0.0);
        assert_eq!(signed_f32(u64::MAX), 1.0 - 2.0 / 16_777_216.0);
    }
}
