//! Following the chain: every block from the last one processed (persisted), its market events
//! screened at once (a new deployment's orders are bid on in the next block), and a full
//! reconciliation of open orders, bids and leases on a timer and after every reconnect, since
//! events alone lose things. New blocks are pushed over CometBFT's WebSocket; when it is down,
//! polling takes over until it reconnects.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use std::sync::Arc;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::query::EventType;
use tendermint_rpc::{SubscriptionClient, WebSocketClient};
use tessera_api::DeploymentId;
use tessera_client::events::{BlockEvents, BlockFollower};
use tokio::sync::Notify;

use crate::daemon::Shared;
use crate::{bidder, leases};

/// Polling interval while the WebSocket is down (and the longest a pushed block can be missed).
const POLL: Duration = Duration::from_secs(2);

pub async fn run(daemon: Shared) -> Result<()> {
    let new_block = Arc::new(Notify::new());
    tokio::spawn(subscribe(daemon.clone(), new_block.clone()));

    let from = daemon.store.last_height()?.map(|h| h + 1);
    let mut follower = BlockFollower::new(daemon.chain.node.clone(), from).await?;
    reconcile(&daemon).await;
    let mut last_reconcile = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = new_block.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
        // Every committed block not processed yet, in order.
        loop {
            let latest = match daemon.chain.node.status().await {
                Ok(s) => s.height,
                Err(e) => {
                    tracing::warn!(error = %e, "node unreachable; retrying");
                    break;
                }
            };
            if follower.next_height() > latest {
                break;
            }
            let block = match follower.next().await {
                Ok(block) => block,
                Err(e) => {
                    tracing::warn!(error = %e, "reading a block failed; retrying");
                    break;
                }
            };
            process(&daemon, &block).await;
            daemon.store.set_last_height(block.height)?;
            daemon.metrics.last_height.set(block.height as f64);
        }
        if last_reconcile.elapsed() >= daemon.config.reconcile_every() {
            reconcile(&daemon).await;
            last_reconcile = tokio::time::Instant::now();
        }
    }
}

/// One block: its new deployments' orders are screened and bid on; this provider's bids and
/// leases are brought up to date when the market did anything.
async fn process(daemon: &Shared, block: &BlockEvents) {
    daemon.block_time.fetch_max(block.time, Ordering::Relaxed);
    let market = daemon.chain.contracts.market.as_str();
    let mut market_touched = false;
    for event in block.all() {
        if event.attribute("_contract_address") != Some(market) {
            continue;
        }
        market_touched = true;
        if event.attribute("action") != Some("create_deployment") {
            continue;
        }
        let (Some(owner), Some(dseq)) = (
            event.attribute("owner"),
            event.attribute("dseq").and_then(|d| d.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if let Err(e) = screen_deployment(daemon, &DeploymentId::new(owner, dseq)).await {
            tracing::warn!(owner, dseq, error = %e, "screening a new deployment failed");
        }
    }
    if market_touched || !daemon.store.leases().map(|l| l.is_empty()).unwrap_or(true) {
        if let Err(e) = bidder::follow_bids(daemon).await {
            tracing::warn!(error = %e, "following bids failed");
        }
        if let Err(e) = leases::reconcile(daemon).await {
            tracing::warn!(error = %e, "lease reconciliation failed");
        }
    }
}

async fn screen_deployment(daemon: &Shared, id: &DeploymentId) -> Result<()> {
    let deployment = daemon.chain.deployment(id).await?;
    for order in daemon.chain.deployment_orders(&deployment).await? {
        bidder::consider(daemon, &order).await?;
    }
    Ok(())
}

/// Everything from chain state: the registration and params, every open order, the bids,
/// the leases.
async fn reconcile(daemon: &Shared) {
    if let Err(e) = daemon.refresh_chain_facts().await {
        tracing::warn!(error = %e, "refreshing the registration failed");
    }
    match bidder::scan_open_orders(daemon).await {
        Ok(n) => tracing::debug!(orders = n, "open orders scanned"),
        Err(e) => tracing::warn!(error = %e, "scanning open orders failed"),
    }
    if let Err(e) = bidder::follow_bids(daemon).await {
        tracing::warn!(error = %e, "following bids failed");
    }
    if let Err(e) = leases::reconcile(daemon).await {
        tracing::warn!(error = %e, "lease reconciliation failed");
    }
}

/// Wakes the block loop on every new block pushed over the WebSocket; reconnects with backoff.
async fn subscribe(daemon: Shared, new_block: Arc<Notify>) {
    let url = websocket_url(&daemon.config.chain.rpc);
    let mut backoff = Duration::from_secs(1);
    loop {
        match listen(&url, &new_block).await {
            Ok(()) => tracing::info!(%url, "WebSocket closed; reconnecting"),
            Err(e) => tracing::debug!(%url, error = %e, "WebSocket unavailable; polling meanwhile"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
        // A reconnect means pushed blocks may have been missed: the loop catches up by height.
        new_block.notify_one();
    }
}

async fn listen(url: &str, new_block: &Notify) -> Result<()> {
    let (client, driver) = WebSocketClient::builder(url.parse()?)
        .compat_mode(CompatMode::V0_38)
        .build()
        .await?;
    let driver = tokio::spawn(driver.run());
    let mut blocks = client.subscribe(EventType::NewBlock.into()).await?;
    tracing::info!(%url, "subscribed to new blocks");
    while let Some(event) = blocks.next().await {
        event?;
        new_block.notify_one();
    }
    client.close()?;
    let _ = driver.await;
    Ok(())
}

/// `http://host:port` → `ws://host:port/websocket`.
fn websocket_url(rpc: &str) -> String {
    let base = rpc.trim_end_matches('/');
    let base = base
        .strip_prefix("https://")
        .map(|rest| format!("wss://{rest}"))
        .or_else(|| {
            base.strip_prefix("http://")
                .map(|rest| format!("ws://{rest}"))
        })
        .unwrap_or_else(|| base.to_string());
    format!("{base}/websocket")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_websocket_is_beside_the_rpc() {
        assert_eq!(
            super::websocket_url("http://127.0.0.1:26657/"),
            "ws://127.0.0.1:26657/websocket"
        );
        assert_eq!(
            super::websocket_url("https://rpc.example.com"),
            "wss://rpc.example.com/websocket"
        );
    }
}
