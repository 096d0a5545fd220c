//! What to ask for an order: a price table (per core, GiB, GPU, with per-model GPU prices) or
//! an external program that gets the order as JSON on stdin and prints its price.

use std::process::Stdio;
use std::time::Duration;

use cosmwasm_std::Uint128;
use serde::Serialize;
use tessera_api::market::{OrderResponse, ResourcePrice};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::capacity::Reservation;
use crate::config::PricingConfig;

/// A priced bid: the total per hour and how it breaks down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub price: u128,
    pub breakdown: Vec<ResourcePrice>,
}

/// Why no price: the order is not worth bidding on (`Skip`) or pricing failed (`Error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoQuote {
    Skip(String),
    Error(String),
}

#[derive(Serialize)]
struct ProgramInput<'a> {
    order: &'a OrderResponse,
    /// The GPUs this provider would offer.
    offer: &'a Reservation,
    denom: &'a str,
}

pub async fn quote(
    config: &PricingConfig,
    order: &OrderResponse,
    reservation: &Reservation,
) -> Result<Quote, NoQuote> {
    if order.denom != config.denom {
        return Err(NoQuote::Skip(format!(
            "pays in {}, this provider prices in {}",
            order.denom, config.denom
        )));
    }
    let quote = match config.strategy.as_str() {
        "program" => program_quote(config, order, reservation).await?,
        _ => table_quote(config, order, reservation),
    };
    let price = quote.price.max(u128::from(config.min_price));
    // A breakdown must sum to the price; one raised to the minimum has none.
    let breakdown = if price == quote.price {
        quote.breakdown
    } else {
        Vec::new()
    };
    Ok(Quote { price, breakdown })
}

/// Per hour for the whole order: each instance's CPU, memory and storage at the table's rates
/// (rounded up), plus each offered GPU at its model's price.
pub fn table_quote(config: &PricingConfig, order: &OrderResponse, offer: &Reservation) -> Quote {
    let count = u128::from(order.spec.count);
    let res = &order.spec.resources;
    let per_unit = |rate: u64, amount: u64, unit: u64| {
        (u128::from(rate) * u128::from(amount)).div_ceil(u128::from(unit)) * count
    };
    let mut breakdown = vec![
        ResourcePrice {
            resource: "cpu".into(),
            amount: Uint128::new(per_unit(config.cpu_core, res.cpu_millis, 1000)),
        },
        ResourcePrice {
            resource: "memory".into(),
            amount: Uint128::new(per_unit(config.memory_gib, res.memory_mib, 1024)),
        },
        ResourcePrice {
            resource: "storage".into(),
            amount: Uint128::new(per_unit(config.storage_gib, res.storage_mib, 1024)),
        },
    ];
    for gpu in &offer.gpus {
        let each = config
            .gpu_models
            .get(&gpu.model.to_ascii_lowercase())
            .copied()
            .unwrap_or(config.gpu);
        breakdown.push(ResourcePrice {
            resource: format!("gpu:{}/{}", gpu.vendor, gpu.model),
            amount: Uint128::new(u128::from(each) * u128::from(gpu.count)),
        });
    }
    breakdown.retain(|p| !p.amount.is_zero());
    Quote {
        price: breakdown.iter().map(|p| p.amount.u128()).sum(),
        breakdown,
    }
}

/// Runs the pricing program: the order as JSON on stdin; stdout is a price (an integer in the
/// provider's denom, per hour for the whole order) or `skip: reason`. A program that fails,
/// prints anything else or takes longer than the timeout gives no bid, with the reason.
async fn program_quote(
    config: &PricingConfig,
    order: &OrderResponse,
    offer: &Reservation,
) -> Result<Quote, NoQuote> {
    let (command, args) = config
        .program
        .split_first()
        .ok_or_else(|| NoQuote::Error("pricing.program is empty".into()))?;
    let input = serde_json::to_vec(&ProgramInput {
        order,
        offer,
        denom: &config.denom,
    })
    .map_err(|e| NoQuote::Error(e.to_string()))?;
    let run = async {
        let mut child = tokio::process::Command::new(command)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A program that does not read the whole order (or exits at once) closes the pipe:
            // its answer or exit status says what happened, not the broken pipe.
            match stdin.write_all(&input).await {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(format!("writing the order to {command:?}: {e}"));
                }
                _ => {}
            }
        }
        let mut stdout = String::new();
        if let Some(mut out) = child.stdout.take() {
            out.read_to_string(&mut stdout)
                .await
                .map_err(|e| format!("reading {command:?}: {e}"))?;
        }
        let status = child
            .wait()
            .await
            .map_err(|e| format!("waiting for {command:?}: {e}"))?;
        if !status.success() {
            return Err(format!("{command:?} exited with {status}"));
        }
        Ok(stdout)
    };
    let timeout = Duration::from_millis(config.program_timeout_ms);
    let stdout = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| {
            NoQuote::Error(format!(
                "pricing program took longer than {} ms",
                config.program_timeout_ms
            ))
        })?
        .map_err(NoQuote::Error)?;
    parse_program_answer(stdout.trim())
}

fn parse_program_answer(answer: &str) -> Result<Quote, NoQuote> {
    if let Some(reason) = answer.strip_prefix("skip:") {
        return Err(NoQuote::Skip(format!("pricing program: {}", reason.trim())));
    }
    let price: u128 = answer.parse().map_err(|_| {
        NoQuote::Error(format!(
            "pricing program answered {answer:?}: expected an integer price or `skip: reason`"
        ))
    })?;
    if price == 0 {
        return Err(NoQuote::Error("pricing program answered 0".into()));
    }
    Ok(Quote {
        price,
        breakdown: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_api::gpu::{GpuRequirement, Resources};
    use tessera_api::market::{GroupSpec, OrderState};
    use tessera_api::{DeploymentId, GpuSpec};

    pub fn order(count: u32, gpus: u32, denom: &str) -> OrderResponse {
        OrderResponse {
            id: DeploymentId::new("tessera1owner", 1).order(1, 1),
            state: OrderState::Open,
            spec: GroupSpec {
                name: "g".into(),
                requirements: Default::default(),
                resources: Resources {
                    cpu_millis: 1500,
                    memory_mib: 2048,
                    storage_mib: 0,
                    gpu: GpuRequirement {
                        units: gpus,
                        models: vec![],
                    },
                },
                count,
                max_price: Uint128::new(10_000_000),
            },
            denom: denom.into(),
            created_at: 0,
            window_ends_at: None,
            open_bids: 0,
        }
    }

    #[test]
    fn the_table_prices_each_resource_and_each_gpu_model() {
        let mut config = PricingConfig {
            cpu_core: 1000,
            memory_gib: 10,
            storage_gib: 0,
            gpu: 500,
            ..Default::default()
        };
        config.gpu_models.insert("h100".into(), 2000);
        let offer = Reservation {
            gpus: vec![
                GpuSpec {
                    vendor: "nvidia".into(),
                    model: "H100".into(),
                    vram_mib: 81920,
                    interface: None,
                    count: 2,
                },
                GpuSpec {
                    vendor: "nvidia".into(),
                    model: "a100".into(),
                    vram_mib: 40960,
                    interface: None,
                    count: 2,
                },
            ],
            ..Default::default()
        };
        let q = table_quote(&config, &order(2, 2, "utsr"), &offer);
        // cpu 1.5 cores × 1000 × 2 instances, memory 2 GiB × 10 × 2, 2 h100 × 2000, 2 a100 × 500.
        assert_eq!(q.price, 3000 + 40 + 4000 + 1000);
        assert_eq!(q.breakdown.len(), 4);
    }

    #[tokio::test]
    async fn another_denom_is_skipped_with_the_reason() {
        let err = quote(
            &PricingConfig::default(),
            &order(1, 0, "uatom"),
            &Reservation::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            NoQuote::Skip("pays in uatom, this provider prices in utsr".into())
        );
    }

    #[tokio::test]
    async fn a_program_prices_skips_fails_and_times_out() {
        let run = |script: &str, timeout_ms: u64| {
            let config = PricingConfig {
                strategy: "program".into(),
                program: vec!["sh".into(), "-c".into(), script.into()],
                program_timeout_ms: timeout_ms,
                ..Default::default()
            };
            async move { quote(&config, &order(1, 0, "utsr"), &Reservation::default()).await }
        };
        // The program sees the order on stdin.
        let q = run("grep -q '\"count\":1' && echo 777", 5000)
            .await
            .unwrap();
        assert_eq!(q.price, 777);
        assert_eq!(
            run("echo 'skip: too busy'", 5000).await.unwrap_err(),
            NoQuote::Skip("pricing program: too busy".into())
        );
        assert!(
            matches!(run("echo lots", 5000).await, Err(NoQuote::Error(e)) if e.contains("\"lots\""))
        );
        assert!(
            matches!(run("exit 3", 5000).await, Err(NoQuote::Error(e)) if e.contains("exited"))
        );
        assert!(
            matches!(run("sleep 5", 100).await, Err(NoQuote::Error(e)) if e.contains("100 ms"))
        );
    }
}
