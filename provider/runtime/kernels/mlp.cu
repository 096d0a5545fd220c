// mlp-inference: one dense layer, Y = act(X W^T + b), tiled like matmul.cu.
//
// A block computes a 64 (samples) x 64 (outputs) tile of Y with 16x16 threads, 4x4 outputs each.
// Each output sums x[i]*W[q][i] over i ascending from +0 (one rounding per product and per sum),
// then adds b[q], then applies relu as `y > 0 ? y : 0` on hidden layers: exactly mlp.rs.

#define MLP_TILE 64
#define MLP_K 16

// X: count x m (sample-major), W: o x m (row-major, as in the weights file), b: o, Y: count x o.
// Grid: (ceil(count / 64), ceil(o / 64)): samples on x, whose limit (2^31 - 1) fits any batch.
extern "C" __global__ void tk_mlp_layer(const float* X, const float* W, const float* bias,
                                        float* Y, u32 count, u32 m, u32 o, u32 relu) {
    __shared__ float Xs[MLP_K][MLP_TILE + 1];
    __shared__ float Ws[MLP_K][MLP_TILE + 1];

    u32 s0 = blockIdx.x * MLP_TILE;
    u32 q0 = blockIdx.y * MLP_TILE;
    u32 rows = tk_min(MLP_TILE, count - s0);
    u32 cols = tk_min(MLP_TILE, o - q0);
    u32 tx = threadIdx.x, ty = threadIdx.y;
    u32 tid = ty * 16 + tx;

    float acc[4][4];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;

    for (u32 k0 = 0; k0 < m; k0 += MLP_K) {
        u32 kn = tk_min(MLP_K, m - k0);
        for (u32 q = 0; q < 4; ++q) {
            // Both operands are row-major in k: 16 consecutive threads read 16 consecutive k.
            u32 e = tid + 256 * q;
            u32 r = e >> 4, kk = e & 15;
            Xs[kk][r] = (r < rows && kk < kn) ? X[(u64)(s0 + r) * m + k0 + kk] : 0.0f;
            Ws[kk][r] = (r < cols && kk < kn) ? W[(u64)(q0 + r) * m + k0 + kk] : 0.0f;
        }
        __syncthreads();
        for (u32 kk = 0; kk < kn; ++kk) {
            float x[4], w[4];
            for (int i = 0; i < 4; ++i) x[i] = Xs[kk][ty + 16 * i];
            for (int j = 0; j < 4; ++j) w[j] = Ws[kk][tx + 16 * j];
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) acc[i][j] = acc[i][j] + w[j] * x[i];
        }
        __syncthreads();
    }

    for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) {
            u32 r = ty + 16 * i, c = tx + 16 * j;
            if (r < rows && c < cols) {
                float y = acc[i][j] + bias[q0 + c];
                if (relu) y = y > 0.0f ? y : 0.0f;
                Y[(u64)(s0 + r) * o + q0 + c] = y;
            }
        }
    }
}
