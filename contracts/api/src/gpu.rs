//! Compute resources: what a group asks for and what a provider has and offers.

use cosmwasm_schema::cw_serde;

use crate::validation::{check_token, ValidationError};

/// Most GPU models one requirement may accept, or one provider may list.
pub const MAX_GPU_MODELS: usize = 16;

/// A GPU model a group accepts. `vram_mib` and `interface` narrow it when set.
#[cw_serde]
#[derive(Eq)]
pub struct GpuModel {
    pub vendor: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vram_mib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
}

/// GPUs a group needs per instance: `units` GPUs, each of one of `models` (any GPU when empty).
#[cw_serde]
#[derive(Default, Eq)]
pub struct GpuRequirement {
    pub units: u32,
    #[serde(default)]
    pub models: Vec<GpuModel>,
}

/// What a group needs per instance.
#[cw_serde]
#[derive(Default, Eq)]
pub struct Resources {
    /// Thousandths of a CPU core.
    pub cpu_millis: u64,
    pub memory_mib: u64,
    #[serde(default)]
    pub storage_mib: u64,
    #[serde(default)]
    pub gpu: GpuRequirement,
}

/// GPUs a provider has: registered with the registry and reported by its inventory.
#[cw_serde]
#[derive(Eq)]
pub struct GpuSpec {
    pub vendor: String,
    pub model: String,
    pub vram_mib: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    pub count: u32,
}

/// The concrete GPUs a bid promises: a model the provider has, and how many.
pub type GpuOffer = GpuSpec;

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

impl GpuModel {
    /// Whether a concrete GPU (vendor, model, VRAM, interface) is acceptable under this model.
    pub fn accepts(&self, gpu: &GpuSpec) -> bool {
        same(&self.vendor, &gpu.vendor)
            && (self.model == "*" || same(&self.model, &gpu.model))
            && self.vram_mib.is_none_or(|min| gpu.vram_mib >= min)
            && match (&self.interface, &gpu.interface) {
                (None, _) => true,
                (Some(want), Some(have)) => same(want, have),
                (Some(_), None) => false,
            }
    }

    pub fn validate(&self) -> Result<(), ValidationError> {
        check_token("gpu vendor", &self.vendor)?;
        check_token("gpu model", &self.model)?;
        if let Some(interface) = &self.interface {
            check_token("gpu interface", interface)?;
        }
        Ok(())
    }
}

impl GpuSpec {
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_token("gpu vendor", &self.vendor)?;
        check_token("gpu model", &self.model)?;
        if let Some(interface) = &self.interface {
            check_token("gpu interface", interface)?;
        }
        if self.vram_mib == 0 {
            return Err(ValidationError::new("gpu vram_mib", "must be positive"));
        }
        if self.count == 0 {
            return Err(ValidationError::new(
                "gpu count",
                format!("{} {} has count 0", self.vendor, self.model),
            ));
        }
        Ok(())
    }

    /// Same GPU kind (count aside).
    pub fn same_kind(&self, other: &GpuSpec) -> bool {
        same(&self.vendor, &other.vendor)
            && same(&self.model, &other.model)
            && self.vram_mib == other.vram_mib
            && self.interface.as_deref().map(str::to_ascii_lowercase)
                == other.interface.as_deref().map(str::to_ascii_lowercase)
    }
}

/// Checks a provider's GPU list: bounded, each entry valid, no kind listed twice.
pub fn validate_gpu_list(what: &str, gpus: &[GpuSpec]) -> Result<(), ValidationError> {
    if gpus.len() > MAX_GPU_MODELS {
        return Err(ValidationError::new(
            what,
            format!("lists {} GPU kinds, max {MAX_GPU_MODELS}", gpus.len()),
        ));
    }
    for (i, gpu) in gpus.iter().enumerate() {
        gpu.validate()?;
        if gpus[..i].iter().any(|g| g.same_kind(gpu)) {
            return Err(ValidationError::new(
                what,
                format!("lists {} {} twice", gpu.vendor, gpu.model),
            ));
        }
    }
    Ok(())
}

impl GpuRequirement {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.models.len() > MAX_GPU_MODELS {
            return Err(ValidationError::new(
                "gpu models",
                format!("lists {} models, max {MAX_GPU_MODELS}", self.models.len()),
            ));
        }
        if self.units == 0 && !self.models.is_empty() {
            return Err(ValidationError::new(
                "gpu",
                "names GPU models but asks for 0 units",
            ));
        }
        self.models.iter().try_for_each(GpuModel::validate)
    }

    /// Whether `offer` gives `instances × units` GPUs, all of accepted models.
    pub fn check_offer(&self, instances: u32, offer: &[GpuOffer]) -> Result<(), String> {
        let needed = u64::from(self.units) * u64::from(instances);
        let offered: u64 = offer.iter().map(|g| u64::from(g.count)).sum();
        if offered != needed {
            return Err(format!(
                "offer has {offered} GPUs, the order needs {needed}"
            ));
        }
        if !self.models.is_empty() {
            if let Some(gpu) = offer
                .iter()
                .find(|gpu| !self.models.iter().any(|m| m.accepts(gpu)))
            {
                return Err(format!(
                    "offered GPU {} {} ({} MiB) is not among the accepted models",
                    gpu.vendor, gpu.model, gpu.vram_mib
                ));
            }
        }
        Ok(())
    }
}

impl Resources {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.cpu_millis == 0 {
            return Err(ValidationError::new(
                "resources cpu_millis",
                "must be positive",
            ));
        }
        if self.memory_mib == 0 {
            return Err(ValidationError::new(
                "resources memory_mib",
                "must be positive",
            ));
        }
        self.gpu.validate()
    }
}
