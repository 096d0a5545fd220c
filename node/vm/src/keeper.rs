//! The module's operations, as wasmd's keeper does them: store code, instantiate (classic and
//! predictable addresses), execute, migrate, sudo, reply, and admin changes. Each returns the
//! events it emitted and the data it produced; callers decide on state layers.

use std::io::Read;

use cosmwasm_std::{Addr, Coin, ContractResult, Event, MessageInfo, MigrateInfo, Reply, Response};

use crate::address::{self, classic_address, predictable_address};
use crate::address_gen::AddressGen;
use crate::bank::normalize_coins;
use crate::dispatched::Dispatched;
use crate::error::WasmError;
use crate::events::{attr, host_event, without_message_events, CONTRACT_ADDRESS_KEY};
use crate::exec::{check_json, parse_result, ContractRef, Entry, Exec};
use crate::keys;
use crate::records;
use tessera_store::StateWrite;

use crate::types::{
    lock_state, AbsoluteTxPosition, AccessConfig, CodeInfo, ContractInfo, StoreCodeResponse,
};

/// wasmd `MaxLabelSize` and `MaxSaltSize`.
const MAX_LABEL_LEN: usize = 128;
const MAX_SALT_LEN: usize = 64;
/// Most addresses in an `AnyOfAddresses` permission (wasmd `MaxAddressCount`).
const MAX_PERMISSION_ADDRESSES: usize = 50;
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

impl Exec {
    fn position(&self) -> AbsoluteTxPosition {
        AbsoluteTxPosition {
            block_height: self.block.height,
            tx_index: self.tx.as_ref().map_or(0, |t| u64::from(t.index)),
        }
    }

    /// Moves coins through the app's bank, with KV gas charged.
    pub(crate) fn transfer(
        &self,
        from: &str,
        to: &str,
        coins: &[Coin],
    ) -> Result<Vec<Event>, WasmError> {
        let bank = self.host.bank.clone();
        self.kv(|s| bank.send(s, from, to, coins).map_err(WasmError::from))
            .map(without_message_events)
    }

    pub(crate) fn burn(&self, from: &str, coins: &[Coin]) -> Result<Vec<Event>, WasmError> {
        let bank = self.host.bank.clone();
        self.kv(|s| bank.burn(s, from, coins).map_err(WasmError::from))
            .map(without_message_events)
    }

    /// Raw or gzip wasm → raw wasm within the size limit.
    fn unpack_wasm(&self, wasm: &[u8]) -> Result<Vec<u8>, WasmError> {
        let max = self.host.config.max_wasm_size;
        if wasm.is_empty() {
            return Err(WasmError::InvalidRequest(
                "code bytes is required: empty".into(),
            ));
        }
        if wasm.len() > max {
            return Err(WasmError::InvalidRequest(format!(
                "code bytes cannot be longer than {max} bytes: exceeds limit"
            )));
        }
        if !wasm.starts_with(&GZIP_MAGIC) {
            return Ok(wasm.to_vec());
        }
        let cost =
            (wasm.len() as u64).saturating_mul(self.costs().uncompress_cost_per_100_bytes) / 100;
        self.gas.consume(cost, "Uncompress gzip bytecode")?;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(wasm)
            .take(max as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| WasmError::CreateFailed(format!("uncompress wasm archive: {e}")))?;
        if out.len() > max {
            return Err(WasmError::CreateFailed(
                "uncompress wasm archive: max limit exceeded".into(),
            ));
        }
        Ok(out)
    }

    pub(crate) fn store_code(
        &self,
        sender: &str,
        wasm: &[u8],
        permission: Option<AccessConfig>,
    ) -> Result<StoreCodeResponse, WasmError> {
        self.address(sender, "sender")?;
        let permission = permission.unwrap_or(AccessConfig::Everybody);
        if let AccessConfig::AnyOfAddresses(list) = &permission {
            if list.is_empty() || list.len() > MAX_PERMISSION_ADDRESSES {
                return Err(WasmError::Invalid(format!(
                    "instantiate permission needs 1 to {MAX_PERMISSION_ADDRESSES} addresses"
                )));
            }
            for a in list {
                self.address(a, "permitted")?;
            }
        }
        let wasm = self.unpack_wasm(wasm)?;
        let compile = (wasm.len() as u64).saturating_mul(self.costs().compile_cost_per_byte);
        self.gas.consume(compile, "Compiling wasm bytecode")?;
        let cache = &self.host.cache;
        // A simulation checks and compiles (what the gas pays for) but persists nothing: a free,
        // unsigned request must not fill the node's disk.
        let persist = !self.simulation;
        let checksum = cache
            .store_code(&wasm, true, persist)
            .map_err(|e| WasmError::CreateFailed(e.to_string()))?;
        let required_capabilities = if persist {
            self.host.mark_on_disk(checksum);
            cache
                .analyze(&checksum)
                .map_err(|e| WasmError::CreateFailed(e.to_string()))?
                .required_capabilities
        } else {
            // Analysis reads the stored file; the capabilities were checked above all the same.
            Default::default()
        };
        let info = CodeInfo {
            checksum,
            creator: sender.to_string(),
            instantiate_permission: permission,
        };
        let code_id = self.kv(|s| {
            let id = records::next_id(s, keys::SEQ_CODE_ID)?;
            records::save_code(s, id, &info)?;
            Ok(id)
        })?;
        // Not charged per byte: wasmd keeps the blob outside the KV store, so compiling is the
        // only per-byte cost of an upload.
        lock_state(&self.state).set(&keys::code_bytes(checksum.as_slice()), &wasm);

        let mut ev = Event::new("store_code");
        ev.attributes.push(attr("code_checksum", checksum.to_hex()));
        ev.attributes.push(attr("code_id", code_id.to_string()));
        // wasmd splits the comma-joined list, so no capability still yields one empty value.
        let caps: Vec<String> = required_capabilities.into_iter().collect();
        let caps = if caps.is_empty() {
            vec![String::new()]
        } else {
            caps
        };
        for cap in caps {
            ev.attributes.push(attr("required_capability", cap));
        }
        Ok(StoreCodeResponse {
            code_id,
            checksum,
            events: vec![ev],
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn instantiate(
        &self,
        creator: &str,
        admin: Option<&str>,
        code_id: u64,
        label: &str,
        msg: &[u8],
        funds: &[Coin],
        gen: AddressGen<'_>,
    ) -> Result<(ContractRef, Dispatched), WasmError> {
        let creator_bytes = self.address(creator, "creator")?;
        let admin = match admin {
            Some(a) if !a.is_empty() => {
                self.address(a, "admin")?;
                Some(a.to_string())
            }
            _ => None,
        };
        validate_label(label)?;
        check_json(msg, "payload msg")?;
        let funds = normalize_coins(funds)?;
        let code = self
            .load_code(code_id)?
            .ok_or(WasmError::NoSuchCode(code_id))?;
        self.charge_setup(
            &code,
            code_id,
            msg.len(),
            "Loading CosmWasm module: instantiate",
        )?;
        if !code.instantiate_permission.allows(creator) {
            return Err(WasmError::Unauthorized("can not instantiate".into()));
        }
        let bytes = match gen {
            AddressGen::Classic => {
                let instance_id = self.kv(|s| records::next_id(s, keys::SEQ_INSTANCE_ID))?;
                classic_address(code_id, instance_id).to_vec()
            }
            AddressGen::Predictable { salt, fix_msg } => {
                validate_salt(salt)?;
                let init: &[u8] = if fix_msg { msg } else { &[] };
                predictable_address(code.checksum.as_slice(), &creator_bytes, salt, init).to_vec()
            }
        };
        let human = address::humanize(self.prefix(), &bytes).map_err(WasmError::Internal)?;
        let contract = ContractRef { human, bytes };
        if self.load_contract(&contract)?.is_some() {
            return Err(WasmError::Duplicate(
                "contract address already exists, try a different combination of creator, checksum and salt"
                    .into(),
            ));
        }

        let bank = self.host.bank.clone();
        self.kv(|s| {
            bank.contract_created(s, &contract.human)
                .map_err(WasmError::from)
        })?;
        let mut events = Vec::new();
        if !funds.is_empty() {
            events.extend(self.transfer(creator, &contract.human, &funds)?);
        }
        let info = MessageInfo {
            sender: Addr::unchecked(creator),
            funds,
        };
        let raw = self.call_vm(
            &code.checksum,
            &contract,
            Entry::Instantiate { info: &info, msg },
        )?;
        let response = match parse_result::<ContractResult<Response>>(&raw)? {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => return Err(WasmError::InstantiateFailed(e)),
        };

        // Stored before dispatch so that submessages can call back into the new contract.
        let pos = self.position();
        let record = ContractInfo {
            code_id,
            creator: creator.to_string(),
            admin,
            label: label.to_string(),
            created: pos,
            migrated: None,
        };
        self.kv(|s| {
            records::index_add(s, code_id, pos, &contract.bytes);
            records::bump_code_count(s, code_id)?;
            records::save_contract(s, &contract.bytes, &record)
        })?;
        events.push(host_event(
            "instantiate",
            &contract.human,
            &[("code_id", code_id.to_string())],
        ));
        let d = self
            .handle_response(&contract, response)
            .map_err(|e| e.wrap("dispatch"))?;
        events.extend(d.events);
        Ok((
            contract,
            Dispatched {
                data: d.data,
                events,
            },
        ))
    }

    pub(crate) fn execute(
        &self,
        sender: &str,
        contract: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Dispatched, WasmError> {
        self.address(sender, "sender")?;
        let c = self.contract_ref(contract)?;
        check_json(msg, "payload msg")?;
        let funds = normalize_coins(funds)?;
        let (info, code) = self.contract_instance(&c)?;
        self.charge_setup(
            &code,
            info.code_id,
            msg.len(),
            "Loading CosmWasm module: execute",
        )?;
        let mut events = Vec::new();
        if !funds.is_empty() {
            events.extend(self.transfer(sender, &c.human, &funds)?);
        }
        let info = MessageInfo {
            sender: Addr::unchecked(sender),
            funds,
        };
        let raw = self.call_vm(&code.checksum, &c, Entry::Execute { info: &info, msg })?;
        let response = match parse_result::<ContractResult<Response>>(&raw)? {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => return Err(WasmError::ExecuteFailed(e)),
        };
        events.push(host_event("execute", &c.human, &[]));
        let d = self.handle_response(&c, response)?;
        events.extend(d.events);
        Ok(Dispatched {
            data: d.data,
            events,
        })
    }

    pub(crate) fn migrate(
        &self,
        sender: &str,
        contract: &str,
        new_code_id: u64,
        msg: &[u8],
    ) -> Result<Dispatched, WasmError> {
        self.address(sender, "sender")?;
        let c = self.contract_ref(contract)?;
        check_json(msg, "payload msg")?;
        let mut info = self
            .load_contract(&c)?
            .ok_or_else(|| WasmError::InvalidRequest("unknown contract".into()))?;
        if info.admin.as_deref() != Some(sender) {
            return Err(WasmError::Unauthorized("can not migrate".into()));
        }
        let new_code = self
            .load_code(new_code_id)?
            .ok_or_else(|| WasmError::InvalidRequest("unknown code".into()))?;
        if !new_code.instantiate_permission.allows(sender) {
            return Err(WasmError::Unauthorized("to use new code".into()));
        }
        let old_code = self
            .load_code(info.code_id)?
            .ok_or(WasmError::NoSuchCode(info.code_id))?;
        let new_version = self.host.migrate_version(&self.state, &new_code.checksum)?;
        let old_version = self.host.migrate_version(&self.state, &old_code.checksum)?;

        // As wasmd: the entry point is skipped only when both codes declare the same version.
        let response = match (new_version, old_version) {
            (Some(n), Some(o)) if n == o => None,
            _ => {
                self.charge_setup(
                    &new_code,
                    new_code_id,
                    msg.len(),
                    "Loading CosmWasm module: migrate",
                )?;
                let migrate_info = MigrateInfo {
                    sender: Addr::unchecked(sender),
                    old_migrate_version: old_version,
                };
                let raw = self.call_vm(
                    &new_code.checksum,
                    &c,
                    Entry::Migrate {
                        info: &migrate_info,
                        msg,
                    },
                )?;
                match parse_result::<ContractResult<Response>>(&raw)? {
                    ContractResult::Ok(r) => Some(r),
                    ContractResult::Err(e) => return Err(WasmError::MigrationFailed(e)),
                }
            }
        };

        let old_pos = info.index_position();
        let old_code_id = info.code_id;
        let pos = self.position();
        info.code_id = new_code_id;
        info.migrated = Some(pos);
        self.kv(|s| {
            records::index_remove(s, old_code_id, old_pos, &c.bytes);
            records::index_add(s, new_code_id, pos, &c.bytes);
            records::save_contract(s, &c.bytes, &info)
        })?;
        let mut migrate = Event::new("migrate");
        migrate
            .attributes
            .push(attr("code_id", new_code_id.to_string()));
        migrate
            .attributes
            .push(attr(CONTRACT_ADDRESS_KEY, &c.human));
        let mut events = vec![migrate];
        let mut data = None;
        if let Some(response) = response {
            let d = self
                .handle_response(&c, response)
                .map_err(|e| e.wrap("dispatch"))?;
            events.extend(d.events);
            data = d.data;
        }
        Ok(Dispatched { data, events })
    }

    pub(crate) fn sudo(&self, contract: &str, msg: &[u8]) -> Result<Dispatched, WasmError> {
        let c = self.contract_ref(contract)?;
        let (info, code) = self.contract_instance(&c)?;
        self.charge_setup(
            &code,
            info.code_id,
            msg.len(),
            "Loading CosmWasm module: sudo",
        )?;
        let raw = self.call_vm(&code.checksum, &c, Entry::Sudo { msg })?;
        let response = match parse_result::<ContractResult<Response>>(&raw)? {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => return Err(WasmError::ExecuteFailed(e)),
        };
        let mut events = vec![host_event("sudo", &c.human, &[])];
        let d = self
            .handle_response(&c, response)
            .map_err(|e| e.wrap("dispatch"))?;
        events.extend(d.events);
        Ok(Dispatched {
            data: d.data,
            events,
        })
    }

    pub(crate) fn reply(&self, c: &ContractRef, reply: &Reply) -> Result<Dispatched, WasmError> {
        let (_, code) = self.contract_instance(c)?;
        let (data_len, events): (usize, &[Event]) = match &reply.result {
            cosmwasm_std::SubMsgResult::Ok(r) => (
                #[allow(deprecated)]
                r.data.as_ref().map_or(0, |d| d.len()),
                &r.events,
            ),
            cosmwasm_std::SubMsgResult::Err(e) => (e.len(), &[]),
        };
        let cost = crate::events::reply_costs(self.costs(), data_len, events);
        self.gas.consume(cost, "Loading CosmWasm module: reply")?;
        let raw = self.call_vm(&code.checksum, c, Entry::Reply { reply })?;
        let response = match parse_result::<ContractResult<Response>>(&raw)? {
            ContractResult::Ok(r) => r,
            ContractResult::Err(e) => return Err(WasmError::ExecuteFailed(e)),
        };
        let mut events = vec![host_event("reply", &c.human, &[])];
        let d = self
            .handle_response(c, response)
            .map_err(|e| e.wrap("dispatch"))?;
        events.extend(d.events);
        Ok(Dispatched {
            data: d.data,
            events,
        })
    }

    /// Sets (`Some`) or clears (`None`) a contract's admin; only the current admin may.
    pub(crate) fn set_admin(
        &self,
        sender: &str,
        contract: &str,
        new_admin: Option<&str>,
    ) -> Result<Vec<Event>, WasmError> {
        self.address(sender, "sender")?;
        let c = self.contract_ref(contract)?;
        if let Some(a) = new_admin {
            self.address(a, "new admin")?;
        }
        let mut info = self
            .load_contract(&c)?
            .ok_or_else(|| WasmError::InvalidRequest("unknown contract".into()))?;
        if info.admin.as_deref() != Some(sender) {
            return Err(WasmError::Unauthorized("can not modify contract".into()));
        }
        info.admin = new_admin.map(str::to_string);
        self.kv(|s| records::save_contract(s, &c.bytes, &info))?;
        Ok(vec![host_event(
            "update_contract_admin",
            &c.human,
            &[(
                "new_admin_address",
                new_admin.unwrap_or_default().to_string(),
            )],
        )])
    }
}

/// wasmd `ValidateLabel`.
fn validate_label(label: &str) -> Result<(), WasmError> {
    if label.is_empty() {
        return Err(WasmError::Empty("label is required".into()));
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(WasmError::Limit(format!(
            "label cannot be longer than {MAX_LABEL_LEN} characters"
        )));
    }
    if label.trim() != label {
        return Err(WasmError::Invalid(
            "label must not start/end with whitespaces".into(),
        ));
    }
    if label.chars().any(char::is_control) {
        return Err(WasmError::Invalid(
            "label must have printable characters only".into(),
        ));
    }
    Ok(())
}

/// wasmd `ValidateSalt`.
fn validate_salt(salt: &[u8]) -> Result<(), WasmError> {
    if salt.is_empty() {
        return Err(WasmError::Empty("salt is required".into()));
    }
    if salt.len() > MAX_SALT_LEN {
        return Err(WasmError::Limit(format!(
            "salt cannot be longer than {MAX_SALT_LEN} characters"
        )));
    }
    Ok(())
}
