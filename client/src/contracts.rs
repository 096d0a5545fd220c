//! Tessera's contracts as typed calls: where they are on a chain, their queries decoded into
//! `tessera-api` responses, and their execute messages as signed txs.

use cosmrs::Any;
use cosmwasm_std::Coin;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tessera_api::{governance, market, referee, registry};

use crate::error::{Error, Result};
use crate::node::{Node, TxOutcome};
use crate::tx::{execute_contract, Signer, TxOptions};

/// Labels the genesis instantiates the contracts with (chain-config/genesis.template.json).
pub const MARKET_LABEL: &str = "tessera-market";
pub const REGISTRY_LABEL: &str = "tessera-registry";
pub const GOVERNANCE_LABEL: &str = "tessera-governance";

/// Code ids are probed up to this one while looking for the contracts.
const MAX_PROBED_CODE_ID: u64 = 32;

/// Addresses of the three contracts.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Contracts {
    pub market: String,
    pub registry: String,
    pub governance: String,
}

impl Contracts {
    /// Finds the contracts by their labels, filling in only what `known` leaves empty.
    pub async fn discover(node: &Node, known: Contracts) -> Result<Self> {
        let mut found = known;
        let missing =
            |c: &Contracts| c.market.is_empty() || c.registry.is_empty() || c.governance.is_empty();
        let mut code_id = 1;
        while missing(&found) && code_id <= MAX_PROBED_CODE_ID {
            let contracts = match node.contracts_by_code(code_id).await {
                Ok(contracts) => contracts,
                // Codes are numbered from 1 without gaps: the first unknown one ends the search.
                Err(Error::Query { .. }) => break,
                Err(e) => return Err(e),
            };
            for address in contracts {
                let slot = match node.contract_label(&address).await?.as_str() {
                    MARKET_LABEL => &mut found.market,
                    REGISTRY_LABEL => &mut found.registry,
                    GOVERNANCE_LABEL => &mut found.governance,
                    _ => continue,
                };
                if slot.is_empty() {
                    *slot = address;
                }
            }
            code_id += 1;
        }
        for (name, address) in [
            (MARKET_LABEL, &found.market),
            (REGISTRY_LABEL, &found.registry),
            (GOVERNANCE_LABEL, &found.governance),
        ] {
            if address.is_empty() {
                return Err(Error::invalid(
                    "chain",
                    format!(
                        "no contract labelled {name} on {}; pass its address (--{})",
                        node.url(),
                        name.trim_start_matches("tessera-")
                    ),
                ));
            }
        }
        Ok(found)
    }
}

/// A node plus the contracts on its chain: every query of `tessera-api`, typed.
#[derive(Clone, Debug)]
pub struct Tessera {
    pub node: Node,
    pub contracts: Contracts,
}

impl Tessera {
    pub async fn connect(node: Node, known: Contracts) -> Result<Self> {
        let contracts = Contracts::discover(&node, known).await?;
        Ok(Self { node, contracts })
    }

    pub async fn query_market<R: DeserializeOwned>(&self, query: &market::QueryMsg) -> Result<R> {
        self.node.smart_query(&self.contracts.market, query).await
    }

    pub async fn query_registry<R: DeserializeOwned>(
        &self,
        query: &registry::QueryMsg,
    ) -> Result<R> {
        self.node.smart_query(&self.contracts.registry, query).await
    }

    pub async fn query_governance<R: DeserializeOwned>(
        &self,
        query: &governance::QueryMsg,
    ) -> Result<R> {
        self.node
            .smart_query(&self.contracts.governance, query)
            .await
    }

    pub async fn market_params(&self) -> Result<market::MarketParams> {
        self.query_market(&market::QueryMsg::Params {}).await
    }

    /// The referee that decides disputes on this chain (the market's `dispute.referee`).
    pub async fn referee(&self) -> Result<String> {
        self.market_params().await?.dispute.referee.ok_or_else(|| {
            Error::invalid(
                "chain",
                "the market names no referee: disputes are off on this chain",
            )
        })
    }

    pub async fn deployment(
        &self,
        id: &tessera_api::DeploymentId,
    ) -> Result<market::DeploymentResponse> {
        self.query_market(&market::QueryMsg::Deployment {
            owner: id.owner.clone(),
            dseq: id.dseq,
        })
        .await
    }

    pub async fn order(&self, id: &tessera_api::OrderId) -> Result<market::OrderResponse> {
        self.query_market(&market::QueryMsg::Order { id: id.clone() })
            .await
    }

    /// Every bid on `order` (all pages).
    pub async fn bids(&self, order: &tessera_api::OrderId) -> Result<Vec<market::BidResponse>> {
        let mut all = Vec::new();
        let mut start_after = None;
        loop {
            let page: market::BidsResponse = self
                .query_market(&market::QueryMsg::Bids {
                    order: order.clone(),
                    start_after: start_after.clone(),
                    limit: Some(100),
                })
                .await?;
            let done = page.bids.len() < 100;
            start_after = page.bids.last().map(|b| b.id.provider.clone());
            all.extend(page.bids);
            if done {
                return Ok(all);
            }
        }
    }

    pub async fn lease(&self, id: &tessera_api::LeaseId) -> Result<market::LeaseResponse> {
        self.query_market(&market::QueryMsg::Lease { id: id.clone() })
            .await
    }

    /// The orders of one deployment, found through its groups (one order per group).
    pub async fn deployment_orders(
        &self,
        deployment: &market::DeploymentResponse,
    ) -> Result<Vec<market::OrderResponse>> {
        let mut orders = Vec::new();
        for gseq in 1..=u32::try_from(deployment.groups.len()).unwrap_or(u32::MAX) {
            orders.push(self.order(&deployment.id.order(gseq, 1)).await?);
        }
        Ok(orders)
    }

    pub async fn escrow(&self, id: &tessera_api::DeploymentId) -> Result<market::EscrowResponse> {
        self.query_market(&market::QueryMsg::Escrow {
            owner: id.owner.clone(),
            dseq: id.dseq,
        })
        .await
    }

    pub async fn provider(&self, address: &str) -> Result<registry::ProviderResponse> {
        self.query_registry(&registry::QueryMsg::Provider {
            address: address.to_string(),
        })
        .await
    }

    pub async fn proposal(&self, id: u64) -> Result<governance::ProposalResponse> {
        self.query_governance(&governance::QueryMsg::Proposal { id })
            .await
    }
}

/// A signer that speaks to the three contracts.
#[derive(Debug)]
pub struct ContractSigner<'a> {
    pub signer: &'a Signer,
    pub contracts: &'a Contracts,
}

impl ContractSigner<'_> {
    pub fn market_msg(&self, msg: &market::ExecuteMsg, funds: &[Coin]) -> Result<Any> {
        execute_contract(&self.signer.address(), &self.contracts.market, msg, funds)
    }

    pub fn registry_msg(&self, msg: &registry::ExecuteMsg, funds: &[Coin]) -> Result<Any> {
        execute_contract(&self.signer.address(), &self.contracts.registry, msg, funds)
    }

    pub fn governance_msg(&self, msg: &governance::ExecuteMsg, funds: &[Coin]) -> Result<Any> {
        execute_contract(
            &self.signer.address(),
            &self.contracts.governance,
            msg,
            funds,
        )
    }

    /// A message to `referee` (from [`Tessera::referee`]); a dispute attaches the market's
    /// dispute deposit as `funds`.
    pub async fn referee(
        &self,
        referee: &str,
        msg: &referee::ExecuteMsg,
        funds: &[Coin],
        options: &TxOptions,
    ) -> Result<TxOutcome> {
        let msg = execute_contract(&self.signer.address(), referee, msg, funds)?;
        self.signer.send(vec![msg], options).await
    }

    pub async fn market(
        &self,
        msg: &market::ExecuteMsg,
        funds: &[Coin],
        options: &TxOptions,
    ) -> Result<TxOutcome> {
        self.signer
            .send(vec![self.market_msg(msg, funds)?], options)
            .await
    }

    pub async fn registry(
        &self,
        msg: &registry::ExecuteMsg,
        funds: &[Coin],
        options: &TxOptions,
    ) -> Result<TxOutcome> {
        self.signer
            .send(vec![self.registry_msg(msg, funds)?], options)
            .await
    }

    pub async fn governance(
        &self,
        msg: &governance::ExecuteMsg,
        funds: &[Coin],
        options: &TxOptions,
    ) -> Result<TxOutcome> {
        self.signer
            .send(vec![self.governance_msg(msg, funds)?], options)
            .await
    }

    /// Creates a deployment and returns its id (the market picks the dseq when `dseq` is
    /// `None`; it is read back from the tx's events).
    pub async fn create_deployment(
        &self,
        msg: &market::ExecuteMsg,
        deposit: &Coin,
        options: &TxOptions,
    ) -> Result<(tessera_api::DeploymentId, TxOutcome)> {
        let outcome = self
            .market(msg, std::slice::from_ref(deposit), options)
            .await?;
        let dseq = outcome
            .wasm_attribute(&self.contracts.market, "dseq")
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| {
                Error::decode(
                    format!("tx {}", outcome.hash),
                    "create_deployment emitted no dseq",
                )
            })?;
        Ok((
            tessera_api::DeploymentId::new(self.signer.address(), dseq),
            outcome,
        ))
    }
}
