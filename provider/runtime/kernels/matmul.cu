// matmul: tiles of C = A x B, one 64x64 tile (one leaf) per block.
//
// 256 threads as 16x16; thread (tx, ty) owns the 4x4 outputs at rows ty + 16i, columns tx + 16j,
// so that neighbouring threads load and store neighbouring addresses. The k dimension is walked
// in slabs of 16 staged in shared memory; within and across slabs k ascends, so every output is
// the same left-to-right sum as the reference ((0 + a0*b0) + a1*b1) + ... with one rounding per
// product and per sum (no FMA: NVRTC runs with --fmad=false).

#define MM_TILE 64
#define MM_K 16

// A, B: n x n row-major. out: one 4096-float slot per leaf, the leaf's tile row-major with its
// own width (edge tiles are narrower). Leaves first_leaf .. first_leaf + gridDim.x.
extern "C" __global__ void tk_matmul_tiles(const float* A, const float* B, float* out, u32 n,
                                           u64 first_leaf) {
    __shared__ float As[MM_K][MM_TILE + 1];  // +1: the transposed store avoids bank conflicts
    __shared__ float Bs[MM_K][MM_TILE];

    u32 tiles = (n + MM_TILE - 1) / MM_TILE;
    u64 leaf = first_leaf + blockIdx.x;
    u32 row0 = (u32)(leaf / tiles) * MM_TILE;
    u32 col0 = (u32)(leaf % tiles) * MM_TILE;
    u32 rows = tk_min(MM_TILE, n - row0);
    u32 cols = tk_min(MM_TILE, n - col0);
    u32 tx = threadIdx.x, ty = threadIdx.y;
    u32 tid = ty * 16 + tx;

    float acc[4][4];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

    for (u32 k0 = 0; k0 < n; k0 += MM_K) {
        u32 kn = tk_min(MM_K, n - k0);
        for (u32 q = 0; q < 4; ++q) {
            // A slab: 64 rows x 16 k; 16 consecutive threads read one row's 16 consecutive k.
            u32 e = tid + 256 * q;
            u32 r = e >> 4, kk = e & 15;
            As[kk][r] = (r < rows && kk < kn) ? A[(u64)(row0 + r) * n + k0 + kk] : 0.0f;
            // B slab: 16 k x 64 columns; consecutive threads read consecutive columns.
            u32 bk = e >> 6, c = e & 63;
            Bs[bk][c] = (bk < kn && c < cols) ? B[(u64)(k0 + bk) * n + col0 + c] : 0.0f;
        }
        __syncthreads();
        for (u32 kk = 0; kk < kn; ++kk) {
            float a[4], b[4];
            for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) acc[i][j] = acc[i][j] + a[i] * b[j];
        }
        __syncthreads();
    }

    float* o = out + (u64)blockIdx.x * (MM_TILE * MM_TILE);
    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            u32 r = ty + 16 * i, c = tx + 16 * j;
            if (r < rows && c < cols) o[r * cols + c] = acc[i][j];
        }
    }
}
