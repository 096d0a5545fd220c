//! The bid engine: screens each open order as soon as it is seen, reserves capacity and bids
//! (the bid is recorded before it is sent, so a restart never bids twice), then follows its
//! bids to their end: won (the lease manager takes over the reservation), lost or closed
//! (reservation released; the chain refunds the deposit), or timed out (withdrawn).

use std::time::Instant;

use anyhow::Result;
use tessera_api::market::{self, BidState, OrderResponse, OrderState, QueryMsg};
use tessera_api::OrderId;

use crate::daemon::{now, Shared};
use crate::screening::{screen, Screen, Screening};
use crate::store::{BidPhase, BidRecord};

/// Orders per page when scanning every open order.
const PAGE: u32 = 100;

/// The decision on `order` without acting on it (the `BidScreening` RPC).
pub async fn screen_only(daemon: &Shared, order: &OrderResponse) -> Result<Screening> {
    let already_bid = daemon.store.bid(&order.id)?.is_some()
        || daemon
            .store
            .lease(&order.id.bid(daemon.address.as_str()))?
            .is_some();
    let free = daemon.free().await?;
    let registration = daemon.registration.read().await.clone();
    let ctx = Screen {
        provider: &registration,
        free: &free,
        pricing: &daemon.config.pricing,
        already_bid,
    };
    Ok(screen(&ctx, order).await)
}

/// Decides on `order` and, if it qualifies, records the bid and sends it. Returns the screening.
pub async fn consider(daemon: &Shared, order: &OrderResponse) -> Result<Screening> {
    let started = Instant::now();
    let guard = daemon.bidding.lock().await;
    let already_bid = daemon.store.bid(&order.id)?.is_some()
        || daemon
            .store
            .lease(&order.id.bid(daemon.address.as_str()))?
            .is_some();
    let free = daemon.free().await?;
    let registration = daemon.registration.read().await.clone();
    let ctx = Screen {
        provider: &registration,
        free: &free,
        pricing: &daemon.config.pricing,
        already_bid,
    };
    let decision = screen(&ctx, order).await;
    daemon.metrics.orders_screened.inc();
    let Screening::Bid {
        price,
        offer,
        reservation,
    } = &decision
    else {
        daemon
            .metrics
            .last_decision_ms
            .set(started.elapsed().as_secs_f64() * 1000.0);
        if !already_bid {
            tracing::debug!(order = %order.id, reasons = ?decision.reasons(), "not bidding");
        }
        return Ok(decision);
    };
    let record = BidRecord {
        order: order.id.clone(),
        price: *price,
        offer: offer.clone(),
        reservation: reservation.clone(),
        phase: BidPhase::Submitting,
        placed_at: now(),
    };
    daemon.store.put_bid(&record)?;
    drop(guard);
    daemon
        .metrics
        .last_decision_ms
        .set(started.elapsed().as_secs_f64() * 1000.0);

    // Sent from its own task, so that bids decided in the same block share a tx.
    let daemon = daemon.clone();
    tokio::spawn(async move {
        if let Err(e) = send_bid(&daemon, record).await {
            tracing::warn!(error = %e, "bid bookkeeping failed");
        }
    });
    Ok(decision)
}

async fn send_bid(daemon: &Shared, mut record: BidRecord) -> Result<()> {
    let deposit = daemon.market_params.read().await.bid_min_deposit.clone();
    let msg = daemon.market_msg(
        &market::ExecuteMsg::PlaceBid {
            order: record.order.clone(),
            price: record.price.into(),
            offer: record.offer.clone(),
        },
        &[deposit],
    )?;
    match daemon
        .queue
        .send(msg, format!("bid on {}", record.order))
        .await
    {
        Ok(outcome) => {
            tracing::info!(order = %record.order, price = record.price, height = outcome.height, "bid placed");
            daemon.metrics.bids_placed.inc();
            record.phase = BidPhase::Open;
            daemon.store.put_bid(&record)?;
        }
        // Already on chain (sent before a restart): keep it.
        Err(e) if e.contains("already") => {
            record.phase = BidPhase::Open;
            daemon.store.put_bid(&record)?;
        }
        Err(e) => {
            tracing::warn!(order = %record.order, error = %e, "bid refused; capacity released");
            daemon.metrics.bid_failures.inc();
            daemon.store.remove_bid(&record.order)?;
        }
    }
    Ok(())
}

/// Screens every open order (pages of [`PAGE`]): what events may have missed.
pub async fn scan_open_orders(daemon: &Shared) -> Result<usize> {
    let mut start_after: Option<OrderId> = None;
    let mut seen = 0;
    loop {
        let page: market::OrdersResponse = daemon
            .chain
            .query_market(&QueryMsg::Orders {
                state: Some(OrderState::Open),
                start_after: start_after.clone(),
                limit: Some(PAGE),
            })
            .await?;
        let full = page.orders.len() == PAGE as usize;
        for order in &page.orders {
            seen += 1;
            consider(daemon, order).await?;
        }
        match page.orders.last() {
            Some(last) if full => start_after = Some(last.id.clone()),
            _ => return Ok(seen),
        }
    }
}

/// Follows each recorded bid on chain: open ones past the bid timeout are withdrawn; lost
/// and closed ones release their reservation; won ones are left to the lease manager.
pub async fn follow_bids(daemon: &Shared) -> Result<()> {
    let timeout = daemon.config.bidding.bid_timeout_secs;
    for record in daemon.store.bids()? {
        let id = record.order.bid(daemon.address.as_str());
        let on_chain: Result<market::BidResponse, _> = daemon
            .chain
            .query_market(&QueryMsg::Bid { id: id.clone() })
            .await;
        let held_for = now().saturating_sub(record.placed_at);
        match on_chain {
            Ok(bid) => match bid.state {
                BidState::Open => {
                    if record.phase == BidPhase::Submitting {
                        let mut open = record.clone();
                        open.phase = BidPhase::Open;
                        daemon.store.put_bid(&open)?;
                    }
                    if held_for > timeout {
                        withdraw(daemon, &record).await?;
                    }
                }
                // The lease manager turns it into a lease (and moves the reservation).
                BidState::Won => {}
                BidState::Lost | BidState::Closed => {
                    tracing::info!(order = %record.order, state = ?bid.state, "bid ended; capacity released");
                    daemon.metrics.bids_lost.inc();
                    daemon.metrics.reservation_seconds.inc_by(held_for);
                    daemon.store.remove_bid(&record.order)?;
                }
            },
            // Not on chain: a bid still being sent is left alone; one recorded before a crash
            // whose tx never landed is forgotten after a minute (its order is screened again).
            Err(_) if record.phase == BidPhase::Submitting && held_for < 60 => {}
            Err(_) => {
                tracing::info!(order = %record.order, "bid never reached the chain; capacity released");
                daemon.store.remove_bid(&record.order)?;
            }
        }
    }
    daemon
        .metrics
        .open_bids
        .set(daemon.store.bids()?.len() as f64);
    Ok(())
}

async fn withdraw(daemon: &Shared, record: &BidRecord) -> Result<()> {
    let msg = daemon.market_msg(
        &market::ExecuteMsg::WithdrawBid {
            order: record.order.clone(),
        },
        &[],
    )?;
    match daemon
        .queue
        .send(msg, format!("withdraw bid on {}", record.order))
        .await
    {
        Ok(_) => {
            tracing::info!(order = %record.order, "bid timed out and was withdrawn");
            daemon.metrics.bids_withdrawn.inc();
            daemon
                .metrics
                .reservation_seconds
                .inc_by(now().saturating_sub(record.placed_at));
            daemon.store.remove_bid(&record.order)?;
        }
        // It may have won or lost meanwhile: the next pass sees its new state.
        Err(e) => tracing::warn!(order = %record.order, error = %e, "withdrawing a bid failed"),
    }
    Ok(())
}
