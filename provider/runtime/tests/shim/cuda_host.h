// Runs CUDA C kernels on the host, for testing: every thread of a block is a real std::thread,
// `__syncthreads()` is a barrier across them, `__shared__` variables are shared by them, and
// `threadIdx` / `blockIdx` are per-thread. Blocks run one after another, so a block's shared
// memory is never seen by another block's threads while it is in use.
//
// Float arithmetic must match the GPU's under the runtime's NVRTC options: compile with
// -ffp-contract=off (no FMA contraction) and without -ffast-math; x86-64 does f32 in SSE, which
// is IEEE round-to-nearest with subnormals kept, and sqrtf is correctly rounded.
#pragma once

#include <math.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __constant__
#define __forceinline__ inline
// One instance per kernel function, shared by all host threads running it (see above).
#define __shared__ static

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3() = default;
    dim3(unsigned x_, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

// A reusable barrier for the threads of one block.
class Barrier {
  public:
    explicit Barrier(unsigned n) : n_(n) {}
    void wait() {
        std::unique_lock<std::mutex> lock(m_);
        unsigned long gen = gen_;
        if (++waiting_ == n_) {
            waiting_ = 0;
            ++gen_;
            cv_.notify_all();
        } else {
            cv_.wait(lock, [&] { return gen_ != gen; });
        }
    }

  private:
    std::mutex m_;
    std::condition_variable cv_;
    unsigned n_, waiting_ = 0;
    unsigned long gen_ = 0;
};

inline thread_local Barrier* tk_block_barrier = nullptr;

inline void __syncthreads() { tk_block_barrier->wait(); }

// kernel<<<grid, block>>>(): `body` calls the kernel with its arguments. One std::thread per
// thread of a block; all of them walk the grid's blocks in order, meeting at a barrier after
// each block.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
    gridDim = grid;
    blockDim = block;
    unsigned threads = block.x * block.y * block.z;
    Barrier barrier(threads);
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            tk_block_barrier = &barrier;
            threadIdx = uint3{t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
            for (unsigned bz = 0; bz < grid.z; ++bz)
                for (unsigned by = 0; by < grid.y; ++by)
                    for (unsigned bx = 0; bx < grid.x; ++bx) {
                        blockIdx = uint3{bx, by, bz};
                        body();
                        barrier.wait();
                    }
        });
    }
    for (auto& th : pool) th.join();
}
