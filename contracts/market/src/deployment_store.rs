//! Deployments as stored: loading one by its id, saving it, and what follows when its last order
//! closes (the deployment closes and its leftover escrow returns to its owner).

use cosmwasm_std::{Addr, Storage};
use tessera_api::market::DeploymentState;
use tessera_api::DeploymentId;

use crate::effects::Effects;
use crate::error::ContractError;
use crate::state::{Deployment, DEPLOYMENTS};

pub fn load_deployment(
    storage: &dyn Storage,
    owner: &Addr,
    dseq: u64,
) -> Result<Deployment, ContractError> {
    DEPLOYMENTS
        .may_load(storage, (owner, dseq))?
        .ok_or_else(|| ContractError::DeploymentNotFound {
            id: DeploymentId::new(owner.as_str(), dseq).to_string(),
        })
}

pub fn save_deployment(
    storage: &mut dyn Storage,
    deployment: &Deployment,
) -> Result<(), ContractError> {
    DEPLOYMENTS.save(storage, (&deployment.owner, deployment.dseq), deployment)?;
    Ok(())
}

/// One more of the deployment's orders has closed; the last one closes the deployment, so
/// that leftover escrow returns to its owner without anyone having to ask.
pub fn finish_order(deployment: &mut Deployment, now: u64, fx: &mut Effects) {
    deployment.live_orders = deployment.live_orders.saturating_sub(1);
    if deployment.live_orders == 0 && deployment.state == DeploymentState::Active {
        refund_escrow(deployment, now, fx);
    }
}

/// Closes the deployment and sends what is left in its escrow back to its owner.
pub(crate) fn refund_escrow(deployment: &mut Deployment, now: u64, fx: &mut Effects) {
    let balance = std::mem::take(&mut deployment.escrow.balance);
    deployment.escrow.refunded += balance;
    fx.transfers
        .send(&deployment.owner, balance, &deployment.denom);
    deployment.state = DeploymentState::Closed;
    deployment.closed_at = Some(now);
}
