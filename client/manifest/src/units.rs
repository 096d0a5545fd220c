//! CPU and size quantities, read from their text in integer arithmetic: `0.5` cores must become
//! exactly 500 millicores on every machine, which a detour through `f64` would not promise.

use crate::limits::MAX_SAFE_INTEGER;

const CPU_HINT: &str = "use cores (2, 0.5) or millicores (\"500m\")";
const SIZE_HINT: &str = "use e.g. 512Mi, 8Gi, 1Ti";
/// Digits kept after the decimal point of a size; more would add nothing measurable.
const MAX_SIZE_DECIMALS: usize = 9;
const MIB: u128 = 1 << 20;

/// `2`, `0.5`, `1.25` (cores, at most 3 decimals) or `500m` (millicores) → millicores (> 0).
pub(crate) fn cpu_millis(text: &str) -> Result<u64, String> {
    let not_cpu = || format!("{text:?} is not a CPU amount; {CPU_HINT}");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let too_large = || format!("{text:?} is too large");
    let millis = if let Some(m) = text.strip_suffix('m') {
        if !digits(m) {
            return Err(not_cpu());
        }
        m.parse::<u64>().map_err(|_| too_large())?
    } else {
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let int = if int.is_empty() && !frac.is_empty() {
            "0"
        } else {
            int
        };
        if !digits(int) || !(frac.is_empty() || digits(frac)) || text.ends_with('.') {
            return Err(not_cpu());
        }
        if frac.len() > 3 {
            return Err(format!(
                "{text:?} has more than 3 decimals; the smallest CPU unit is a millicore (0.001 or \"1m\")"
            ));
        }
        let cores = int.parse::<u64>().map_err(|_| too_large())?;
        let frac_millis = format!("{frac:0<3}").parse::<u64>().unwrap_or(0);
        cores
            .checked_mul(1000)
            .and_then(|m| m.checked_add(frac_millis))
            .ok_or_else(too_large)?
    };
    if millis == 0 {
        return Err("must be positive".into());
    }
    if millis > MAX_SAFE_INTEGER {
        return Err(too_large());
    }
    Ok(millis)
}

/// `8Gi`, `512Mi`, `1.5Ti`, `20G`, `1048576` (bytes) → MiB, rounded up. Zero is allowed here;
/// fields that need a positive size say so themselves.
pub(crate) fn size_mib(text: &str) -> Result<u64, String> {
    let not_size = || format!("{text:?} is not a size; {SIZE_HINT}");
    let too_large = || format!("{text:?} is too large");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let multiplier: u128 = match suffix {
        "" => 1,
        "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return Err(not_size()),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !(frac.is_empty() || digits(frac)) || number.ends_with('.') {
        return Err(not_size());
    }
    if frac.len() > MAX_SIZE_DECIMALS {
        return Err(format!(
            "{text:?} has more than {MAX_SIZE_DECIMALS} decimals; {SIZE_HINT}"
        ));
    }
    // bytes = (int.frac) × multiplier, exactly: scale the number to an integer first.
    let scale = 10u128.pow(frac.len() as u32);
    let scaled = format!("{int}{frac}")
        .parse::<u128>()
        .map_err(|_| too_large())?;
    let numerator = scaled.checked_mul(multiplier).ok_or_else(too_large)?;
    let denominator = scale * MIB;
    let mib = numerator.div_ceil(denominator);
    u64::try_from(mib)
        .ok()
        .filter(|m| *m <= MAX_SAFE_INTEGER)
        .ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_reads_cores_decimals_and_millicores() {
        assert_eq!(cpu_millis("2"), Ok(2000));
        assert_eq!(cpu_millis("0.5"), Ok(500));
        assert_eq!(cpu_millis(".5"), Ok(500));
        assert_eq!(cpu_millis("1.25"), Ok(1250));
        assert_eq!(cpu_millis("0.001"), Ok(1));
        assert_eq!(cpu_millis("500m"), Ok(500));
        assert_eq!(cpu_millis("16"), Ok(16_000));
    }

    #[test]
    fn cpu_refuses_zero_junk_and_sub_millicore_precision() {
        assert_eq!(cpu_millis("0"), Err("must be positive".into()));
        assert_eq!(cpu_millis("0m"), Err("must be positive".into()));
        for junk in ["", "m", "-1", "1.", "1e3", "two", "0.5m", "1 ", "1,5"] {
            assert_eq!(
                cpu_millis(junk),
                Err(format!("{junk:?} is not a CPU amount; {CPU_HINT}")),
                "{junk}"
            );
        }
        assert!(cpu_millis("0.0005")
            .unwrap_err()
            .contains("more than 3 decimals"));
        assert!(cpu_millis("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
        assert!(cpu_millis("9007199254741")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn sizes_read_binary_and_decimal_units_rounding_up_to_mib() {
        assert_eq!(size_mib("8Gi"), Ok(8192));
        assert_eq!(size_mib("8192Mi"), Ok(8192));
        assert_eq!(size_mib("1Ti"), Ok(1 << 20));
        assert_eq!(size_mib("512Ki"), Ok(1));
        assert_eq!(size_mib("1.5Gi"), Ok(1536));
        assert_eq!(size_mib("0.1Gi"), Ok(103));
        assert_eq!(size_mib("1G"), Ok(954));
        assert_eq!(size_mib("20G"), Ok(19_074));
        assert_eq!(size_mib("1M"), Ok(1));
        assert_eq!(size_mib("1K"), Ok(1));
        assert_eq!(size_mib("2T"), Ok(1_907_349));
        assert_eq!(size_mib("1048576"), Ok(1));
        assert_eq!(size_mib("1048577"), Ok(2));
        assert_eq!(size_mib("0"), Ok(0));
        assert_eq!(size_mib("0Gi"), Ok(0));
    }

    #[test]
    fn sizes_refuse_unknown_units_and_junk() {
        for junk in [
            "8Gx", "8gi", "Gi", "", "-1Gi", "1.Gi", "1..5Gi", "8 Gi", "8GiB", "1e3",
        ] {
            assert_eq!(
                size_mib(junk),
                Err(format!("{junk:?} is not a size; {SIZE_HINT}")),
                "{junk}"
            );
        }
        assert!(size_mib("1.0000000001Gi")
            .unwrap_err()
            .contains("more than 9 decimals"));
        assert!(size_mib("99999999999999999999999999999Ti")
            .unwrap_err()
            .contains("too large"));
        assert!(size_mib("9999999999Ti").unwrap_err().contains("too large"));
    }
}
