// render-tiles: the built-in cornell-box scene, one 64x64 tile (one leaf) per block.
//
// A line-for-line port of tessera-kernels' render.rs: the same operations in the same order
// (a dot product is (x*x' + y*y') + z*z', normalize divides by sqrtf), only + - * / sqrtf, every
// literal an f32. 16x16 threads; each thread shades the pixels (tx + 16i, ty + 16j) of the tile,
// so a warp writes consecutive pixels.

#define RT_TILE 64
#define RT_FAR 1.0e30f
#define RT_EPS 1.0e-3f
#define RT_BOUND 1.001f
#define RT_AMBIENT 0.06f
#define RT_LIGHT_POWER 4.32f
#define RT_LIGHT_HALF 0.3f

struct rt_v { float x, y, z; };
struct rt_sphere { rt_v c; float r; rt_v albedo; };

__device__ __forceinline__ rt_v rt_make(float x, float y, float z) { rt_v v; v.x = x; v.y = y; v.z = z; return v; }
__device__ __forceinline__ rt_v rt_add(rt_v a, rt_v b) { return rt_make(a.x + b.x, a.y + b.y, a.z + b.z); }
__device__ __forceinline__ rt_v rt_sub(rt_v a, rt_v b) { return rt_make(a.x - b.x, a.y - b.y, a.z - b.z); }
__device__ __forceinline__ rt_v rt_scale(rt_v a, float s) { return rt_make(a.x * s, a.y * s, a.z * s); }
__device__ __forceinline__ float rt_dot(rt_v a, rt_v b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
__device__ __forceinline__ rt_v rt_normalize(rt_v a) {
    float l = sqrtf(rt_dot(a, a));
    return rt_make(a.x / l, a.y / l, a.z / l);
}

__device__ float rt_hit_sphere(rt_v o, rt_v d, rt_sphere s) {
    rt_v oc = rt_sub(o, s.c);
    float b = rt_dot(oc, d);
    float c = rt_dot(oc, oc) - s.r * s.r;
    float disc = b * b - c;
    if (disc < 0.0f) return RT_FAR;
    float q = sqrtf(disc);
    float near_t = -b - q;
    if (near_t > RT_EPS) return near_t;
    float far_t = -b + q;
    return far_t > RT_EPS ? far_t : RT_FAR;
}

__device__ __forceinline__ bool rt_inside(float c) { return c >= -RT_BOUND && c <= RT_BOUND; }

__device__ float rt_hit_wall(rt_v o, rt_v d, int axis, float at) {
    float oa = axis == 0 ? o.x : (axis == 1 ? o.y : o.z);
    float da = axis == 0 ? d.x : (axis == 1 ? d.y : d.z);
    if (da == 0.0f) return RT_FAR;
    float t = (at - oa) / da;
    if (t <= RT_EPS) return RT_FAR;
    rt_v h = rt_add(o, rt_scale(d, t));
    return (rt_inside(h.x) && rt_inside(h.y) && rt_inside(h.z)) ? t : RT_FAR;
}

__device__ rt_v rt_radiance(rt_v o, rt_v d, const rt_sphere* spheres, float u1, float u2) {
    // Walls: left, right, floor, ceiling, back.
    const int axes[5] = {0, 0, 1, 1, 2};
    const float ats[5] = {-1.0f, 1.0f, -1.0f, 1.0f, -1.0f};
    const rt_v normals[5] = {rt_make(1.0f, 0.0f, 0.0f), rt_make(-1.0f, 0.0f, 0.0f),
                             rt_make(0.0f, 1.0f, 0.0f), rt_make(0.0f, -1.0f, 0.0f),
                             rt_make(0.0f, 0.0f, 1.0f)};
    const rt_v colours[5] = {rt_make(0.75f, 0.15f, 0.15f), rt_make(0.15f, 0.75f, 0.15f),
                             rt_make(0.75f, 0.75f, 0.75f), rt_make(0.75f, 0.75f, 0.75f),
                             rt_make(0.75f, 0.75f, 0.75f)};
    float best = RT_FAR;
    rt_v normal = rt_make(0.0f, 0.0f, 0.0f);
    rt_v albedo = rt_make(0.0f, 0.0f, 0.0f);
    bool ceiling = false;
    for (int k = 0; k < 5; ++k) {
        float t = rt_hit_wall(o, d, axes[k], ats[k]);
        if (t < best) { best = t; normal = normals[k]; albedo = colours[k]; ceiling = k == 3; }
    }
    int sphere_hit = -1;
    for (int k = 0; k < 2; ++k) {
        float t = rt_hit_sphere(o, d, spheres[k]);
        if (t < best) { best = t; sphere_hit = k; }
    }
    if (best == RT_FAR) return rt_make(0.0f, 0.0f, 0.0f);
    rt_v p = rt_add(o, rt_scale(d, best));
    if (sphere_hit >= 0) {
        rt_sphere s = spheres[sphere_hit];
        normal = rt_scale(rt_sub(p, s.c), 1.0f / s.r);
        albedo = s.albedo;
    } else if (ceiling && p.x >= -RT_LIGHT_HALF && p.x <= RT_LIGHT_HALF && p.z >= -RT_LIGHT_HALF &&
               p.z <= RT_LIGHT_HALF) {
        return rt_make(1.0f, 1.0f, 1.0f);
    }
    rt_v col = rt_scale(albedo, RT_AMBIENT);
    rt_v lp = rt_make(-RT_LIGHT_HALF + 0.6f * u1, 1.0f, -RT_LIGHT_HALF + 0.6f * u2);
    rt_v ld = rt_sub(lp, p);
    float d2 = rt_dot(ld, ld);
    float dist = sqrtf(d2);
    rt_v l = rt_make(ld.x / dist, ld.y / dist, ld.z / dist);
    float cs = rt_dot(normal, l);
    float cl = l.y;
    if (cs > 0.0f && cl > 0.0f) {
        rt_v ps = rt_add(p, rt_scale(normal, RT_EPS));
        bool blocked = rt_hit_sphere(ps, l, spheres[0]) < dist || rt_hit_sphere(ps, l, spheres[1]) < dist;
        if (!blocked) {
            float g = ((cs * cl) * RT_LIGHT_POWER) / d2;
            col = rt_add(col, rt_scale(albedo, g));
        }
    }
    return col;
}

// Clamp to [0, 1], gamma 2 (a square root), to a byte with round half up.
__device__ __forceinline__ unsigned char rt_tone(float c) {
    c = c > 1.0f ? 1.0f : c;
    return (unsigned char)(u32)(sqrtf(c) * 255.0f + 0.5f);
}

// Leaves first_leaf .. first_leaf + gridDim.x. out: one 16384-byte slot per leaf, the tile's
// RGBA8 pixels row-major with its own width.
extern "C" __global__ void tk_render_tiles(unsigned char* out, u32 width, u32 height, u32 frames,
                                           u32 samples, u64 key, u64 first_leaf) {
    u32 tiles_x = (width + RT_TILE - 1) / RT_TILE;
    u32 per_frame = tiles_x * ((height + RT_TILE - 1) / RT_TILE);
    u64 leaf = first_leaf + blockIdx.x;
    u32 frame = (u32)(leaf / per_frame);
    u32 t = (u32)(leaf % per_frame);
    u32 x0 = (t % tiles_x) * RT_TILE, y0 = (t / tiles_x) * RT_TILE;
    u32 tw = tk_min(RT_TILE, width - x0), th = tk_min(RT_TILE, height - y0);

    float wf = (float)width, hf = (float)height;
    float aspect = wf / hf;
    float mover = -0.6f + 1.2f * ((float)frame / (float)frames);
    rt_sphere spheres[2];
    spheres[0].c = rt_make(-0.45f, -0.6f, -0.35f);
    spheres[0].r = 0.4f;
    spheres[0].albedo = rt_make(0.8f, 0.8f, 0.8f);
    spheres[1].c = rt_make(mover, -0.7f, 0.3f);
    spheres[1].r = 0.3f;
    spheres[1].albedo = rt_make(0.3f, 0.4f, 0.85f);

    unsigned char* o = out + (u64)blockIdx.x * (RT_TILE * RT_TILE * 4);
    for (u32 j = threadIdx.y; j < th; j += 16) {
        for (u32 i = threadIdx.x; i < tw; i += 16) {
            u32 px = x0 + i, py = y0 + j;
            rt_v acc = rt_make(0.0f, 0.0f, 0.0f);
            u64 base = (((u64)frame * height + py) * width + px) * samples;
            for (u32 s = 0; s < samples; ++s) {
                u64 idx = (base + s) * 4;
                float jx = tk_unit(tk_at(key, idx)), jy = tk_unit(tk_at(key, idx + 1));
                float u1 = tk_unit(tk_at(key, idx + 2)), u2 = tk_unit(tk_at(key, idx + 3));
                float sx = ((((float)px + jx) / wf) * 2.0f - 1.0f) * aspect;
                float sy = 1.0f - (((float)py + jy) / hf) * 2.0f;
                rt_v d = rt_normalize(rt_make(sx, sy, -2.2f));
                acc = rt_add(acc, rt_radiance(rt_make(0.0f, 0.0f, 3.2f), d, spheres, u1, u2));
            }
            float n = (float)samples;
            unsigned char* p = o + (j * tw + i) * 4;
            p[0] = rt_tone(acc.x / n);
            p[1] = rt_tone(acc.y / n);
            p[2] = rt_tone(acc.z / n);
            p[3] = 255;
        }
    }
}
