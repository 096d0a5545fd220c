// Shared by every kernel: the runtime prepends this file to each .cu before NVRTC compiles it,
// and the host shim (tests/shim) includes it once before all of them. Everything here mirrors
// tessera-kernels' rng.rs bit for bit.
//
// Determinism rules (see README.md): IEEE-754 basic operations only, compiled with
// --fmad=false --ftz=false --prec-div=true --prec-sqrt=true; every float literal carries an `f`
// suffix (a bare literal would turn the expression into double arithmetic).

typedef unsigned long long u64;
typedef unsigned int u32;

#define TK_GAMMA 0x9E3779B97F4A7C15ULL
#define TK_STREAM_GAMMA 0xD1B54A32D192ED03ULL

// SplitMix64's output function.
__device__ __forceinline__ u64 tk_mix(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// The generator state of stream `stream` under `seed`.
__device__ __forceinline__ u64 tk_stream_key(u64 seed, u64 stream) {
    return tk_mix(seed + stream * TK_STREAM_GAMMA);
}

// Output number `index` of SplitMix64 whose state is `key`.
__device__ __forceinline__ u64 tk_at(u64 key, u64 index) {
    return tk_mix(key + (index + 1ULL) * TK_GAMMA);
}

// Top 24 bits as a float in [0, 1): a 24-bit integer converts exactly, the scale is 2^-24.
__device__ __forceinline__ float tk_unit(u64 x) {
    return (float)(u32)(x >> 40) * 5.9604644775390625e-8f;
}

// 2u - 1 in [-1, 1): both steps exact.
__device__ __forceinline__ float tk_signed(u64 x) {
    float u = tk_unit(x);
    return u * 2.0f - 1.0f;
}

__device__ __forceinline__ u32 tk_min(u32 a, u32 b) { return a < b ? a : b; }

// out[i] = tk_signed(tk_at(key, first + i)) for i < count: the seeded matrices and batches.
// A grid-stride loop, so any grid covers any count.
extern "C" __global__ void tk_fill_signed(float* out, u64 key, u64 first, u64 count) {
    u64 stride = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        out[i] = tk_signed(tk_at(key, first + i));
    }
}
