//! Manifest `params` → a checked [`Spec`]: one function per kernel, every field typed and bounded,
//! unknown fields refused (a typo must not silently fall back to a default). The provider runs
//! jobs, clients assemble files and the referee contract decides disputes through this one
//! parser, so they cannot disagree about what a manifest asked for.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde_json::{Map, Value};

use crate::{matmul, mlp, render, sha256_batch, Spec};

/// A manifest's `kernel` or `params` that cannot be run, naming the field, what was expected and
/// what came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    UnknownKernel {
        got: String,
        known: String,
    },
    /// A field (`field` is its path, `params.n`) that is missing, of the wrong type, or out of
    /// range.
    Param {
        field: String,
        expected: String,
        got: String,
    },
}

impl ParamError {
    pub fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        let field = field.into();
        let field = if field.is_empty() {
            "params".to_string()
        } else {
            format!("params.{field}")
        };
        ParamError::Param {
            field,
            expected: expected.into(),
            got: got.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::UnknownKernel { got, known } => {
                write!(f, "unknown kernel {got:?}; the catalog has: {known}")
            }
            ParamError::Param {
                field,
                expected,
                got,
            } => write!(f, "{field}: expected {expected}, got {got}"),
        }
    }
}

impl core::error::Error for ParamError {}

type Result<T, E = ParamError> = core::result::Result<T, E>;

/// The catalog: every kernel name a manifest may use, with one line about it.
pub const CATALOG: &[(&str, &str)] = &[
    (
        "matmul",
        "fp32 C = A x B of seeded n x n matrices; leaves are 64x64 tiles of C",
    ),
    (
        "mlp-inference",
        "dense relu network over a seeded batch; weights from an input file",
    ),
    (
        "render-tiles",
        "the cornell-box scene ray traced to PNG frames; leaves are 64x64 tiles",
    ),
    (
        "sha256-batch",
        "SHA-256 of seeded messages; leaves are 1024 digests",
    ),
];

/// What `params` asked for, and the input file it names (`mlp-inference`'s weights).
pub struct Parsed {
    pub spec: Spec,
    pub input: Option<String>,
}

/// The checked [`Spec`] of a manifest service's `kernel` and `params`: what a client needs to
/// know a job's leaves and to assemble its files from them, parsed by the same code the
/// provider runs the job with (so the two cannot disagree about a job). Input files are not
/// looked at; the runtime's `Job::new` checks them.
pub fn spec_of(kernel: &str, params: &Value) -> Result<Spec> {
    Ok(parse(kernel, params)?.spec)
}

pub fn parse(kernel: &str, params: &Value) -> Result<Parsed> {
    let obj = match params {
        Value::Object(o) => o,
        other => return Err(ParamError::new("", "an object", describe(other))),
    };
    let f = Fields(obj);
    match kernel {
        "matmul" => {
            f.only(&["n", "dtype", "seed"])?;
            let dtype = f.string("dtype", Some("f32"))?;
            if dtype != "f32" {
                return Err(ParamError::new("dtype", "\"f32\"", format!("{dtype:?}")));
            }
            let p = matmul::Params {
                n: f.int("n", 1, matmul::MAX_N, None)?,
                seed: f.seed()?,
            };
            Ok(Parsed {
                spec: Spec::Matmul(p),
                input: None,
            })
        }
        "mlp-inference" => {
            f.only(&["layers", "activation", "batch", "seed", "weights"])?;
            let activation = f.string("activation", Some("relu"))?;
            if activation != "relu" {
                return Err(ParamError::new(
                    "activation",
                    "\"relu\"",
                    format!("{activation:?}"),
                ));
            }
            let layers = match obj.get("layers") {
                Some(Value::Array(items)) => {
                    let n = items.len() as u64;
                    if !(2..=mlp::MAX_LAYERS).contains(&n) {
                        return Err(ParamError::new(
                            "layers",
                            format!("a list of 2 to {} widths", mlp::MAX_LAYERS),
                            format!("{n} entries"),
                        ));
                    }
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| int_in(&format!("layers[{i}]"), v, 1, mlp::MAX_WIDTH))
                        .collect::<Result<Vec<u64>>>()?
                }
                Some(other) => {
                    return Err(ParamError::new(
                        "layers",
                        "a list of integers",
                        describe(other),
                    ))
                }
                None => return Err(ParamError::new("layers", "a list of integers", "nothing")),
            };
            let p = mlp::Params {
                layers,
                batch: f.int("batch", 1, mlp::MAX_BATCH, None)?,
                seed: f.seed()?,
            };
            if p.weights_len() > mlp::MAX_WEIGHTS_BYTES {
                return Err(ParamError::new(
                    "layers",
                    format!(
                        "widths whose weights fit {} bytes (what a dispute can check)",
                        mlp::MAX_WEIGHTS_BYTES
                    ),
                    format!("{} bytes of weights", p.weights_len()),
                ));
            }
            let weights = f.string("weights", None)?;
            Ok(Parsed {
                spec: Spec::Mlp(p),
                input: Some(weights),
            })
        }
        "render-tiles" => {
            f.only(&["scene", "width", "height", "frames", "samples", "seed"])?;
            let scene = f.string("scene", Some("cornell-box"))?;
            if scene != "cornell-box" {
                return Err(ParamError::new(
                    "scene",
                    "\"cornell-box\"",
                    format!("{scene:?}"),
                ));
            }
            let p = render::Params {
                width: f.int("width", 1, render::MAX_SIDE, None)?,
                height: f.int("height", 1, render::MAX_SIDE, None)?,
                frames: f.int("frames", 1, render::MAX_FRAMES, Some(1))?,
                samples: f.int("samples", 1, render::MAX_SAMPLES, Some(1))?,
                seed: f.seed()?,
            };
            Ok(Parsed {
                spec: Spec::Render(p),
                input: None,
            })
        }
        "sha256-batch" => {
            f.only(&["count", "size", "seed"])?;
            let p = sha256_batch::Params {
                count: f.int("count", 1, sha256_batch::MAX_COUNT, None)?,
                size: f.int("size", 0, sha256_batch::MAX_SIZE, None)?,
                seed: f.seed()?,
            };
            Ok(Parsed {
                spec: Spec::Sha256Batch(p),
                input: None,
            })
        }
        other => Err(ParamError::UnknownKernel {
            got: other.to_string(),
            known: CATALOG
                .iter()
                .map(|(k, _)| *k)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn only(&self, known: &[&str]) -> Result<()> {
        for key in self.0.keys() {
            if !known.contains(&key.as_str()) {
                return Err(ParamError::new(
                    key,
                    format!("one of the fields {}", known.join(", ")),
                    "an unknown field",
                ));
            }
        }
        Ok(())
    }

    fn int(&self, field: &str, min: u64, max: u64, default: Option<u64>) -> Result<u64> {
        match (self.0.get(field), default) {
            (Some(v), _) => int_in(field, v, min, max),
            (None, Some(d)) => Ok(d),
            (None, None) => Err(ParamError::new(
                field,
                format!("an integer in {min}..={max}"),
                "nothing",
            )),
        }
    }

    fn seed(&self) -> Result<u64> {
        self.int("seed", 0, u64::MAX, Some(0))
    }

    fn string(&self, field: &str, default: Option<&str>) -> Result<String> {
        match (self.0.get(field), default) {
            (Some(Value::String(s)), _) => Ok(s.clone()),
            (Some(other), _) => Err(ParamError::new(field, "a string", describe(other))),
            (None, Some(d)) => Ok(d.to_string()),
            (None, None) => Err(ParamError::new(field, "a string", "nothing")),
        }
    }
}

fn int_in(field: &str, v: &Value, min: u64, max: u64) -> Result<u64> {
    let expected = || format!("an integer in {min}..={max}");
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(n) => Err(ParamError::new(field, expected(), n.to_string())),
        None => Err(ParamError::new(field, expected(), describe(v))),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) => format!("a list of {} items", a.len()),
        Value::Object(_) => "a map".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use serde_json::json;

    fn err(kernel: &str, params: Value) -> String {
        match parse(kernel, &params) {
            Ok(_) => panic!("{params} was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_example_manifests_params_parse() {
        let m = parse("matmul", &json!({"n": 4096, "dtype": "f32", "seed": 42})).unwrap();
        assert_eq!(m.spec, Spec::Matmul(matmul::Params { n: 4096, seed: 42 }));
        let r = parse(
            "render-tiles",
            &json!({"scene": "cornell-box", "width": 1920, "height": 1080, "frames": 24, "samples": 64, "seed": 7}),
        )
        .unwrap();
        assert_eq!(r.spec.leaf_count(), 24 * 30 * 17);
        let i = parse(
            "mlp-inference",
            &json!({"layers": [784, 256, 128, 10], "activation": "relu", "batch": 65536, "seed": 1234, "weights": "mlp.bin"}),
        )
        .unwrap();
        assert_eq!(i.input.as_deref(), Some("mlp.bin"));
    }

    #[test]
    fn an_mlp_whose_weights_a_dispute_could_not_check_is_refused() {
        let params = |layers: Value| json!({"layers": layers, "batch": 1, "weights": "w"});
        // 2048-760-10: 6,259,400 bytes of weights, under the 6 MiB a dispute reads.
        assert!(parse("mlp-inference", &params(json!([2048, 760, 10]))).is_ok());
        assert_eq!(
            err("mlp-inference", params(json!([2048, 1000, 10]))),
            "params.layers: expected widths whose weights fit 6291456 bytes (what a dispute can \
             check), got 8236040 bytes of weights"
        );
    }

    #[test]
    fn bad_params_name_the_field_what_was_expected_and_what_came() {
        assert_eq!(
            err("matmul", json!({"n": 0})),
            "params.n: expected an integer in 1..=16384, got 0"
        );
        assert_eq!(
            err("matmul", json!({"n": "big"})),
            "params.n: expected an integer in 1..=16384, got the string \"big\""
        );
        assert_eq!(
            err("matmul", json!({"n": 4, "dtype": "f16"})),
            "params.dtype: expected \"f32\", got \"f16\""
        );
        assert_eq!(
            err("matmul", json!({"seed": 1})),
            "params.n: expected an integer in 1..=16384, got nothing"
        );
        assert_eq!(
            err("matmul", json!({"n": 4, "sed": 1})),
            "params.sed: expected one of the fields n, dtype, seed, got an unknown field"
        );
        assert_eq!(
            err(
                "mlp-inference",
                json!({"layers": [4, 0], "batch": 1, "weights": "w"})
            ),
            "params.layers[1]: expected an integer in 1..=8192, got 0"
        );
        assert_eq!(
            err(
                "mlp-inference",
                json!({"layers": [4], "batch": 1, "weights": "w"})
            ),
            "params.layers: expected a list of 2 to 16 widths, got 1 entries"
        );
        assert_eq!(
            err(
                "mlp-inference",
                json!({"layers": [4, 2], "batch": 1, "activation": "tanh", "weights": "w"})
            ),
            "params.activation: expected \"relu\", got \"tanh\""
        );
        assert_eq!(
            err(
                "render-tiles",
                json!({"scene": "sponza", "width": 4, "height": 4})
            ),
            "params.scene: expected \"cornell-box\", got \"sponza\""
        );
        assert_eq!(
            err("sha256-batch", json!({"count": -1, "size": 3})),
            "params.count: expected an integer in 1..=67108864, got the number -1"
        );
        assert!(err("fold-proteins", json!({}))
            .starts_with("unknown kernel \"fold-proteins\"; the catalog has: matmul"));
        assert_eq!(
            err("matmul", json!([1])),
            "params: expected an object, got a list of 1 items"
        );
    }
}
