//! `render-tiles`: a built-in scene (`cornell-box`) ray traced tile by tile into RGBA8 frames.
//!
//! The scene: a box `[-1, 1]³` open at the front (red left wall, green right wall, white floor,
//! ceiling and back), a square light of side 0.6 in the ceiling, a still sphere and one that
//! moves left to right over the frames. A pixel averages `samples` camera rays jittered inside
//! it; each hit takes an ambient term plus one shadow ray to a random point of the light.
//! Every operation is written out in the same order as in `kernels/render.cu` (a `dot` is
//! `(x·x' + y·y') + z·z'`, a normalize divides by `sqrt`, no other function), so both sides
//! round identically.
//!
//! - Random draws: pixel `(x, y)` of frame `f`, sample `s` reads `at(stream_key(seed, 4), 4·i + k)`,
//!   `k < 4`, with `i = ((f·H + y)·W + x)·samples + s`.
//! - Leaf `f·T + r·tx + c` (`tx = ⌈W/64⌉`, `T = tx·⌈H/64⌉`) is the 64 × 64 tile at tile row `r`,
//!   column `c` of frame `f` (smaller at the edges), raw RGBA8 row-major: at most 16 KiB.
//! - The output files `frame-00000.png`, … are the frames as PNG (see [`crate::png`]).

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::matmul::check_leaf_count;
use crate::rng::{at, stream_key, unit_f32, STREAM_RENDER};
use crate::Error;

pub const TILE: u64 = 64;
pub const MAX_SIDE: u64 = 8192;
pub const MAX_FRAMES: u64 = 100_000;
pub const MAX_SAMPLES: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub width: u64,
    pub height: u64,
    pub frames: u64,
    pub samples: u64,
    pub seed: u64,
}

/// The pixels one leaf covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub frame: u64,
    pub x: u64,
    pub y: u64,
    pub width: u64,
    pub height: u64,
}

impl Params {
    pub fn check(&self) -> Result<(), Error> {
        for (field, v, max) in [
            ("width", self.width, MAX_SIDE),
            ("height", self.height, MAX_SIDE),
            ("frames", self.frames, MAX_FRAMES),
            ("samples", self.samples, MAX_SAMPLES),
        ] {
            if v == 0 || v > max {
                return Err(Error::OutOfRange {
                    field,
                    min: 1,
                    max,
                    got: v,
                });
            }
        }
        Ok(())
    }

    pub fn tiles_x(&self) -> u64 {
        self.width.div_ceil(TILE)
    }

    pub fn tiles_per_frame(&self) -> u64 {
        self.tiles_x() * self.height.div_ceil(TILE)
    }

    pub fn leaf_count(&self) -> u64 {
        self.frames * self.tiles_per_frame()
    }

    pub fn tile(&self, leaf: u64) -> Tile {
        let per = self.tiles_per_frame();
        let (frame, t) = (leaf / per, leaf % per);
        let (x, y) = ((t % self.tiles_x()) * TILE, (t / self.tiles_x()) * TILE);
        Tile {
            frame,
            x,
            y,
            width: TILE.min(self.width - x),
            height: TILE.min(self.height - y),
        }
    }

    pub fn leaf(&self, leaf: u64) -> Result<Vec<u8>, Error> {
        if leaf >= self.leaf_count() {
            return Err(Error::LeafOutOfRange {
                leaf,
                leaves: self.leaf_count(),
            });
        }
        let t = self.tile(leaf);
        let mut out = Vec::with_capacity((t.width * t.height * 4) as usize);
        for y in t.y..t.y + t.height {
            for x in t.x..t.x + t.width {
                out.extend_from_slice(&self.pixel(t.frame, x, y));
            }
        }
        Ok(out)
    }

    /// One pixel, RGBA8.
    pub fn pixel(&self, frame: u64, px: u64, py: u64) -> [u8; 4] {
        let key = stream_key(self.seed, STREAM_RENDER);
        let (wf, hf) = (self.width as f32, self.height as f32);
        let aspect = wf / hf;
        let mover = -0.6 + 1.2 * (frame as f32 / self.frames as f32);
        let spheres = scene_spheres(mover);
        let mut acc = v(0.0, 0.0, 0.0);
        let base = ((frame * self.height + py) * self.width + px) * self.samples;
        for s in 0..self.samples {
            let i = (base + s) * 4;
            let (jx, jy) = (unit_f32(at(key, i)), unit_f32(at(key, i + 1)));
            let (u1, u2) = (unit_f32(at(key, i + 2)), unit_f32(at(key, i + 3)));
            let sx = (((px as f32 + jx) / wf) * 2.0 - 1.0) * aspect;
            let sy = 1.0 - ((py as f32 + jy) / hf) * 2.0;
            let d = normalize(v(sx, sy, -2.2));
            acc = add(acc, radiance(v(0.0, 0.0, 3.2), d, &spheres, u1, u2));
        }
        let n = self.samples as f32;
        [tone(acc.x / n), tone(acc.y / n), tone(acc.z / n), 255]
    }

    /// The frames as PNG files, from all leaves in order.
    pub fn assemble(&self, leaves: &[&[u8]]) -> Result<Vec<(String, Vec<u8>)>, Error> {
        check_leaf_count(leaves.len() as u64, self.leaf_count())?;
        let (w, h) = (self.width as usize, self.height as usize);
        let per = self.tiles_per_frame() as usize;
        let mut files = Vec::with_capacity(self.frames as usize);
        for (f, frame_leaves) in leaves.chunks(per).enumerate() {
            let mut rgba = vec![0u8; w * h * 4];
            for (k, leaf) in frame_leaves.iter().enumerate() {
                let index = (f * per + k) as u64;
                let t = self.tile(index);
                let row = t.width as usize * 4;
                if leaf.len() != row * t.height as usize {
                    let expected = (row * t.height as usize) as u64;
                    return Err(Error::LeafSize {
                        leaf: index,
                        expected,
                        got: leaf.len() as u64,
                    });
                }
                for (dy, src) in leaf.chunks_exact(row).enumerate() {
                    let at = ((t.y as usize + dy) * w + t.x as usize) * 4;
                    rgba[at..at + row].copy_from_slice(src);
                }
            }
            files.push((
                format!("frame-{f:05}.png"),
                crate::png::encode_rgba(w, h, &rgba),
            ));
        }
        Ok(files)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct V {
    x: f32,
    y: f32,
    z: f32,
}

struct Sphere {
    c: V,
    r: f32,
    albedo: V,
}

/// The scene's two spheres: a still white one, and a blue one at `mover` on x (it crosses the
/// box over the frames). The CUDA kernel builds the same two.
fn scene_spheres(mover: f32) -> [Sphere; 2] {
    [
        Sphere {
            c: v(-0.45, -0.6, -0.35),
            r: 0.4,
            albedo: v(0.8, 0.8, 0.8),
        },
        Sphere {
            c: v(mover, -0.7, 0.3),
            r: 0.3,
            albedo: v(0.3, 0.4, 0.85),
        },
    ]
}

/// No hit.
const FAR: f32 = 1.0e30;
const EPS: f32 = 1.0e-3;
/// Walls reach a little past ±1 so that rays through the box's edges hit something.
const BOUND: f32 = 1.001;
const AMBIENT: f32 = 0.06;
/// Light area (0.6²) times its emission (12).
const LIGHT_POWER: f32 = 4.32;
const LIGHT_HALF: f32 = 0.3;

fn v(x: f32, y: f32, z: f32) -> V {
    V { x, y, z }
}
fn add(a: V, b: V) -> V {
    v(a.x + b.x, a.y + b.y, a.z + b.z)
}
fn sub(a: V, b: V) -> V {
    v(a.x - b.x, a.y - b.y, a.z - b.z)
}
fn scale(a: V, s: f32) -> V {
    v(a.x * s, a.y * s, a.z * s)
}
fn dot(a: V, b: V) -> f32 {
    a.x * b.x + a.y * b.y + a.z * b.z
}
fn normalize(a: V) -> V {
    let l = libm::sqrtf(dot(a, a));
    v(a.x / l, a.y / l, a.z / l)
}

/// Distance along `d` to the sphere, or [`FAR`].
fn hit_sphere(o: V, d: V, s: &Sphere) -> f32 {
    let oc = sub(o, s.c);
    let b = dot(oc, d);
    let c = dot(oc, oc) - s.r * s.r;
    let disc = b * b - c;
    if disc < 0.0 {
        return FAR;
    }
    let q = libm::sqrtf(disc);
    let near = -b - q;
    if near > EPS {
        return near;
    }
    let far = -b + q;
    if far > EPS {
        far
    } else {
        FAR
    }
}

/// Distance to the plane `axis = at`, if the hit lies on the box.
fn hit_wall(o: V, d: V, axis: usize, at_: f32) -> f32 {
    let (oa, da) = match axis {
        0 => (o.x, d.x),
        1 => (o.y, d.y),
        _ => (o.z, d.z),
    };
    if da == 0.0 {
        return FAR;
    }
    let t = (at_ - oa) / da;
    if t <= EPS {
        return FAR;
    }
    let h = add(o, scale(d, t));
    let inside = |c: f32| (-BOUND..=BOUND).contains(&c);
    if inside(h.x) && inside(h.y) && inside(h.z) {
        t
    } else {
        FAR
    }
}

fn radiance(o: V, d: V, spheres: &[Sphere; 2], u1: f32, u2: f32) -> V {
    // Walls: left, right, floor, ceiling, back, with their normals (into the box) and colours.
    let walls = [
        (0, -1.0f32, v(1.0, 0.0, 0.0), v(0.75, 0.15, 0.15)),
        (0, 1.0, v(-1.0, 0.0, 0.0), v(0.15, 0.75, 0.15)),
        (1, -1.0, v(0.0, 1.0, 0.0), v(0.75, 0.75, 0.75)),
        (1, 1.0, v(0.0, -1.0, 0.0), v(0.75, 0.75, 0.75)),
        (2, -1.0, v(0.0, 0.0, 1.0), v(0.75, 0.75, 0.75)),
    ];
    let mut best = FAR;
    let mut normal = v(0.0, 0.0, 0.0);
    let mut albedo = v(0.0, 0.0, 0.0);
    let mut ceiling = false;
    for (k, &(axis, at_, n, c)) in walls.iter().enumerate() {
        let t = hit_wall(o, d, axis, at_);
        if t < best {
            (best, normal, albedo, ceiling) = (t, n, c, k == 3);
        }
    }
    let mut sphere_hit = None;
    for (k, s) in spheres.iter().enumerate() {
        let t = hit_sphere(o, d, s);
        if t < best {
            best = t;
            sphere_hit = Some(k);
        }
    }
    if best == FAR {
        return v(0.0, 0.0, 0.0);
    }
    let p = add(o, scale(d, best));
    if let Some(k) = sphere_hit {
        let s = &spheres[k];
        normal = scale(sub(p, s.c), 1.0 / s.r);
        albedo = s.albedo;
    } else if ceiling
        && p.x >= -LIGHT_HALF
        && p.x <= LIGHT_HALF
        && p.z >= -LIGHT_HALF
        && p.z <= LIGHT_HALF
    {
        return v(1.0, 1.0, 1.0);
    }
    let mut col = scale(albedo, AMBIENT);
    let lp = v(-LIGHT_HALF + 0.6 * u1, 1.0, -LIGHT_HALF + 0.6 * u2);
    let ld = sub(lp, p);
    let d2 = dot(ld, ld);
    let dist = libm::sqrtf(d2);
    let l = v(ld.x / dist, ld.y / dist, ld.z / dist);
    let cs = dot(normal, l);
    let cl = l.y;
    if cs > 0.0 && cl > 0.0 {
        let ps = add(p, scale(normal, EPS));
        let blocked =
            hit_sphere(ps, l, &spheres[0]) < dist || hit_sphere(ps, l, &spheres[1]) < dist;
        if !blocked {
            let g = ((cs * cl) * LIGHT_POWER) / d2;
            col = add(col, scale(albedo, g));
        }
    }
    col
}

/// Clamp to [0, 1], gamma 2 (a square root), to a byte with round half up.
fn tone(c: f32) -> u8 {
    let c = if c > 1.0 { 1.0 } else { c };
    (libm::sqrtf(c) * 255.0 + 0.5) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_tile_render_has_the_expected_pixels() {
        // 8 × 8, one sample: a single tile. Hand-checked facts about the scene: the view is
        // centred on the back wall, left columns see the red wall, the top centre sees the
        // light (pure white), and every pixel is opaque.
        let p = Params {
            width: 8,
            height: 8,
            frames: 1,
            samples: 1,
            seed: 11,
        };
        assert_eq!(p.leaf_count(), 1);
        let leaf = p.leaf(0).unwrap();
        assert_eq!(leaf.len(), 8 * 8 * 4);
        let px = |x: usize, y: usize| -> [u8; 4] {
            let i = (y * 8 + x) * 4;
            [leaf[i], leaf[i + 1], leaf[i + 2], leaf[i + 3]]
        };
        assert!(leaf.chunks(4).all(|c| c[3] == 255));
        // Left wall at mid height: red dominates.
        let left = px(0, 4);
        assert!(left[0] > left[1] && left[0] > left[2], "{left:?}");
        // Right wall: green dominates.
        let right = px(7, 4);
        assert!(right[1] > right[0] && right[1] > right[2], "{right:?}");
        // Centre of the back wall: grey (white surface), lit.
        let centre = px(4, 3);
        assert!(
            centre[0] == centre[1] && centre[1] == centre[2] && centre[0] > 60,
            "{centre:?}"
        );
        // Straight up from the box centre: the light, pure white.
        let spheres = scene_spheres(0.6);
        let up = radiance(v(0.0, 0.0, 0.0), v(0.0, 1.0, 0.0), &spheres, 0.5, 0.5);
        assert_eq!(up, v(1.0, 1.0, 1.0));
        // A point on the floor straight under the light, light sample at its centre:
        // ambient 0.75·0.06 + 0.75·(1·1·4.32)/4 = 0.045 + 0.81 = 0.855 (in f32).
        let floor = radiance(v(0.0, 0.0, 0.0), v(0.0, -1.0, 0.0), &spheres, 0.5, 0.5);
        let expected = 0.75f32 * 0.06 + 0.75 * ((1.0f32 * 1.0) * 4.32 / 4.0);
        assert_eq!(floor.x, expected);
        assert!((floor.x - 0.855).abs() < 1e-6);
        // Tone mapping: 0.855 → sqrt → 0.9247 · 255 + 0.5 → 236.
        assert_eq!(tone(floor.x), 236);
        assert_eq!(tone(0.0), 0);
        assert_eq!(tone(7.0), 255);
    }

    #[test]
    fn tiles_cover_ragged_frames() {
        let p = Params {
            width: 130,
            height: 65,
            frames: 2,
            samples: 1,
            seed: 0,
        };
        assert_eq!(p.tiles_per_frame(), 6);
        assert_eq!(
            p.tile(11),
            Tile {
                frame: 1,
                x: 128,
                y: 64,
                width: 2,
                height: 1
            }
        );
        assert_eq!(p.leaf(11).unwrap().len(), 8);
        assert!(p.leaf(12).is_err());
    }

    #[test]
    fn assembly_gives_one_png_per_frame() {
        let p = Params {
            width: 70,
            height: 10,
            frames: 2,
            samples: 2,
            seed: 3,
        };
        let leaves: Vec<Vec<u8>> = (0..p.leaf_count()).map(|l| p.leaf(l).unwrap()).collect();
        let refs: Vec<&[u8]> = leaves.iter().map(|l| l.as_slice()).collect();
        let files = p.assemble(&refs).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1].0, "frame-00001.png");
        assert_eq!(&files[0].1[..8], b"\x89PNG\r\n\x1a\n");
        // The moving sphere makes the frames differ.
        assert_ne!(files[0].1, files[1].1);
    }
}
