//! The provider's one way to the chain: every message it sends goes through this queue, which
//! owns the account's sequence (one tx in flight at a time), puts the messages waiting together
//! into one tx, and never loses one: a batch the chain refuses is split and each message sent
//! alone, so one bad message (a bid on an order that just closed) fails only itself. Sequence
//! mismatches are re-signed and resent by [`Signer::send`].

use cosmrs::Any;
use tessera_client::node::TxOutcome;
use tessera_client::tx::{Signer, TxOptions};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;

struct Item {
    msg: Any,
    what: String,
    done: oneshot::Sender<Result<TxOutcome, String>>,
}

#[derive(Clone)]
pub struct TxQueue {
    tx: mpsc::Sender<Item>,
}

impl TxQueue {
    /// Starts the sender task.
    pub fn start(signer: Signer, options: TxOptions, max_batch: usize, metrics: Metrics) -> Self {
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(run(signer, options, max_batch.max(1), rx, metrics));
        Self { tx }
    }

    /// Sends `msg` (alone or with others) and waits until its tx commits or fails.
    pub async fn send(&self, msg: Any, what: impl Into<String>) -> Result<TxOutcome, String> {
        let (done, result) = oneshot::channel();
        let item = Item {
            msg,
            what: what.into(),
            done,
        };
        self.tx
            .send(item)
            .await
            .map_err(|_| "the tx queue has stopped".to_string())?;
        result
            .await
            .map_err(|_| "the tx queue dropped the message".to_string())?
    }
}

async fn run(
    signer: Signer,
    options: TxOptions,
    max_batch: usize,
    mut rx: mpsc::Receiver<Item>,
    metrics: Metrics,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let msgs: Vec<Any> = batch.iter().map(|i| i.msg.clone()).collect();
        let labels: Vec<&str> = batch.iter().map(|i| i.what.as_str()).collect();
        tracing::debug!(messages = batch.len(), what = ?labels, "sending tx");
        match signer.send(msgs, &options).await {
            Ok(outcome) => {
                metrics.txs_sent.inc();
                for item in batch {
                    let _ = item.done.send(Ok(outcome.clone()));
                }
            }
            Err(e) if batch.len() == 1 => {
                metrics.txs_failed.inc();
                let item = batch.pop().expect("one item");
                tracing::warn!(what = %item.what, error = %e, "tx failed");
                let _ = item.done.send(Err(e.to_string()));
            }
            Err(e) => {
                tracing::info!(messages = batch.len(), error = %e, "batch refused; sending its messages one by one");
                for item in batch {
                    let result = signer
                        .send(vec![item.msg.clone()], &options)
                        .await
                        .map_err(|e| e.to_string());
                    match &result {
                        Ok(_) => metrics.txs_sent.inc(),
                        Err(e) => {
                            metrics.txs_failed.inc();
                            tracing::warn!(what = %item.what, error = %e, "tx failed");
                        }
                    }
                    let _ = item.done.send(result);
                }
            }
        }
    }
}
