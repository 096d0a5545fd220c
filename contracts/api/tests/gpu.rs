//! GPU specs, models and requirements: what matches what, and which lists are valid.

use tessera_api::gpu::*;
use tessera_testing::h100;

#[test]
fn models_match_vendor_model_vram_and_interface() {
    let mut model = GpuModel {
        vendor: "NVIDIA".into(),
        model: "H100".into(),
        vram_mib: Some(80_000),
        interface: None,
    };
    assert!(model.accepts(&h100(1)));
    model.vram_mib = Some(100_000);
    assert!(!model.accepts(&h100(1)));
    model.vram_mib = None;
    model.interface = Some("pcie".into());
    assert!(!model.accepts(&h100(1)));
    model.model = "*".into();
    model.interface = None;
    assert!(model.accepts(&h100(1)));
}

#[test]
fn offers_must_cover_every_instance_with_accepted_gpus() {
    let req = GpuRequirement {
        units: 2,
        models: vec![GpuModel {
            vendor: "nvidia".into(),
            model: "h100".into(),
            vram_mib: None,
            interface: None,
        }],
    };
    assert!(req.check_offer(2, &[h100(4)]).is_ok());
    assert_eq!(
        req.check_offer(2, &[h100(3)]).unwrap_err(),
        "offer has 3 GPUs, the order needs 4"
    );
    let mut other = h100(4);
    other.model = "a100".into();
    assert!(req.check_offer(2, &[other]).unwrap_err().contains("a100"));
}

#[test]
fn gpu_lists_reject_zero_counts_and_duplicates() {
    assert!(validate_gpu_list("gpus", &[h100(1)]).is_ok());
    assert!(validate_gpu_list("gpus", &[h100(0)]).is_err());
    assert!(validate_gpu_list("gpus", &[h100(1), h100(2)]).is_err());
}
