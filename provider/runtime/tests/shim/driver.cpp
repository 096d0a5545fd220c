// The host shim's driver: runs the runtime's .cu kernels (the very files NVRTC compiles) the way
// the cuda backend launches them, and writes the raw device output to stdout.
//
//   driver matmul  <n> <seed> <first_leaf> <leaves>
//   driver mlp     <weights file> <batch> <seed> <first_sample> <count> <width>...
//   driver render  <width> <height> <frames> <samples> <seed> <first_leaf> <leaves>
//   driver sha256  <size> <seed> <first> <count>

#include "cuda_host.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// clang-format off
#include "common.cuh"
#include "matmul.cu"
#include "mlp.cu"
#include "render.cu"
#include "sha256.cu"
// clang-format on

static u64 arg(char** argv, int i) { return std::strtoull(argv[i], nullptr, 10); }

static void write_out(const void* data, size_t bytes) {
    if (std::fwrite(data, 1, bytes, stdout) != bytes) std::exit(3);
}

// Streams, as tessera-kernels' rng.rs numbers them.
enum { MATMUL_A = 1, MATMUL_B = 2, MLP_BATCH = 3, RENDER = 4, SHA256 = 5 };

static std::vector<float> fill(u64 key, u64 first, u64 count) {
    std::vector<float> out(count);
    // A small grid: the kernel's grid-stride loop covers any count.
    launch(dim3(4), dim3(64), [&] { tk_fill_signed(out.data(), key, first, count); });
    return out;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::string k = argv[1];
    if (k == "matmul" && argc == 6) {
        u32 n = (u32)arg(argv, 2);
        u64 seed = arg(argv, 3), first = arg(argv, 4), leaves = arg(argv, 5);
        std::vector<float> a = fill(tk_stream_key(seed, MATMUL_A), 0, (u64)n * n);
        std::vector<float> b = fill(tk_stream_key(seed, MATMUL_B), 0, (u64)n * n);
        std::vector<float> out(leaves * 64 * 64, 0.0f);
        launch(dim3((unsigned)leaves), dim3(16, 16),
               [&] { tk_matmul_tiles(a.data(), b.data(), out.data(), n, first); });
        write_out(out.data(), out.size() * 4);
        return 0;
    }
    if (k == "mlp" && argc >= 9) {
        FILE* f = std::fopen(argv[2], "rb");
        if (!f) return 4;
        std::vector<float> weights;
        float v;
        while (std::fread(&v, 4, 1, f) == 1) weights.push_back(v);
        std::fclose(f);
        u64 seed = arg(argv, 4), first = arg(argv, 5), count = arg(argv, 6);
        std::vector<u32> widths;
        for (int i = 7; i < argc; ++i) widths.push_back((u32)arg(argv, i));
        std::vector<float> x = fill(tk_stream_key(seed, MLP_BATCH), first * widths[0], count * widths[0]);
        size_t at = 0;
        for (size_t l = 0; l + 1 < widths.size(); ++l) {
            u32 m = widths[l], o = widths[l + 1];
            const float* w = weights.data() + at;
            const float* bias = w + (size_t)m * o;
            at += (size_t)m * o + o;
            std::vector<float> y(count * o, 0.0f);
            u32 relu = l + 2 < widths.size() ? 1 : 0;
            launch(dim3(((u32)count + 63) / 64, (o + 63) / 64), dim3(16, 16),
                   [&] { tk_mlp_layer(x.data(), w, bias, y.data(), (u32)count, m, o, relu); });
            x = y;
        }
        write_out(x.data(), x.size() * 4);
        return 0;
    }
    if (k == "render" && argc == 9) {
        u32 w = (u32)arg(argv, 2), h = (u32)arg(argv, 3), frames = (u32)arg(argv, 4), samples = (u32)arg(argv, 5);
        u64 seed = arg(argv, 6), first = arg(argv, 7), leaves = arg(argv, 8);
        std::vector<unsigned char> out(leaves * 64 * 64 * 4, 0);
        u64 key = tk_stream_key(seed, RENDER);
        launch(dim3((unsigned)leaves), dim3(16, 16),
               [&] { tk_render_tiles(out.data(), w, h, frames, samples, key, first); });
        write_out(out.data(), out.size());
        return 0;
    }
    if (k == "sha256" && argc == 6) {
        u64 size = arg(argv, 2), seed = arg(argv, 3), first = arg(argv, 4);
        u32 count = (u32)arg(argv, 5);
        std::vector<unsigned char> out((size_t)count * 32, 0);
        u64 key = tk_stream_key(seed, SHA256);
        launch(dim3((count + 127) / 128), dim3(128),
               [&] { tk_sha256_batch(out.data(), key, size, first, count); });
        write_out(out.data(), out.size());
        return 0;
    }
    std::fprintf(stderr, "usage: see driver.cpp\n");
    return 2;
}
