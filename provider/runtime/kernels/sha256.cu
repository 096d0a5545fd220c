// sha256-batch: one thread per message. The message bytes are generated in registers from the
// seeded stream (byte b of message m is byte b%8, little-endian, of word m*ceil(size/8) + b/8),
// padded as FIPS 180-4 says, and compressed block by block. Integer arithmetic only.

__device__ __constant__ u32 TK_SHA_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

__device__ __forceinline__ u32 tk_rotr(u32 x, u32 n) { return (x >> n) | (x << (32 - n)); }

// Byte p of the padded message: the message itself, then 0x80, zeros, and the bit length
// big-endian in the last 8 bytes.
__device__ __forceinline__ u32 tk_sha_byte(u64 key, u64 word0, u64 size, u64 padded, u64 p) {
    if (p < size) return (u32)(tk_at(key, word0 + p / 8) >> (8 * (p % 8))) & 0xff;
    if (p == size) return 0x80;
    if (p >= padded - 8) return (u32)((size * 8) >> (8 * (padded - 1 - p))) & 0xff;
    return 0;
}

// Digests of messages first .. first + count into out (32 bytes each, in order).
extern "C" __global__ void tk_sha256_batch(unsigned char* out, u64 key, u64 size, u64 first,
                                           u32 count) {
    u32 t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= count) return;
    u64 m = first + t;
    u64 words = (size + 7) / 8;
    u64 word0 = m * words;
    u64 padded = ((size + 8) / 64 + 1) * 64;

    u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (u64 block = 0; block < padded; block += 64) {
        u32 w[64];
        for (int i = 0; i < 16; ++i) {
            u64 p = block + 4 * i;
            if (p + 4 <= size) {
                // Four message bytes: one half (p is a multiple of 4) of one stream word.
                u64 v = tk_at(key, word0 + p / 8);
                u32 lo = (u32)(v >> (8 * (p % 8)));
                w[i] = ((lo & 0xff) << 24) | ((lo & 0xff00) << 8) | ((lo >> 8) & 0xff00) | (lo >> 24);
            } else {
                w[i] = (tk_sha_byte(key, word0, size, padded, p) << 24) |
                       (tk_sha_byte(key, word0, size, padded, p + 1) << 16) |
                       (tk_sha_byte(key, word0, size, padded, p + 2) << 8) |
                       tk_sha_byte(key, word0, size, padded, p + 3);
            }
        }
        for (int i = 16; i < 64; ++i) {
            u32 s0 = tk_rotr(w[i - 15], 7) ^ tk_rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            u32 s1 = tk_rotr(w[i - 2], 17) ^ tk_rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            u32 S1 = tk_rotr(e, 6) ^ tk_rotr(e, 11) ^ tk_rotr(e, 25);
            u32 ch = (e & f) ^ (~e & g);
            u32 t1 = hh + S1 + ch + TK_SHA_K[i] + w[i];
            u32 S0 = tk_rotr(a, 2) ^ tk_rotr(a, 13) ^ tk_rotr(a, 22);
            u32 maj = (a & b) ^ (a & c) ^ (b & c);
            u32 t2 = S0 + maj;
            hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    unsigned char* o = out + (u64)t * 32;
    for (int i = 0; i < 8; ++i) {
        o[4 * i] = (unsigned char)(h[i] >> 24);
        o[4 * i + 1] = (unsigned char)(h[i] >> 16);
        o[4 * i + 2] = (unsigned char)(h[i] >> 8);
        o[4 * i + 3] = (unsigned char)h[i];
    }
}
