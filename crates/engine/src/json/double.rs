//! Doubles as Java's `Double.toString` writes them, which is how Spark's JSON writer and its
//! console print a DOUBLE: `30.0`, `0.001`, `1234567.0`, `1.0E7`, `1.0E-4`. The digits are the
//! shortest that read back to the same double (Rust's, as Java 19+ and, for all but rare values,
//! Java 17). It only formats; it never rounds a value.

/// `x` as Java's `Double.toString` writes it.
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    let digits = mantissa.replace('.', "");
    if (-3..7).contains(&exponent) {
        // Plain notation: `exponent + 1` digits before the point, at least one after it.
        let point = exponent + 1;
        if point <= 0 {
            return format!("{sign}0.{}{digits}", "0".repeat(point.unsigned_abs() as usize));
        }
        let point = point as usize;
        if point >= digits.len() {
            return format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()));
        }
        return format!("{sign}{}.{}", &digits[..point], &digits[point..]);
    }
    let (first, rest) = digits.split_at(1);
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{sign}{first}.{rest}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::java_double;

    #[test]
    fn doubles_print_as_java_prints_them() {
        // What Spark 4.3 wrote for each (spark/FINDINGS.md Q4, part file and console).
        let cases = [
            (30.0, "30.0"),
            (21.5, "21.5"),
            (0.1, "0.1"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (12345678.0, "1.2345678E7"),
            (1234567.0, "1234567.0"),
            (1e20, "1.0E20"),
            (-0.0, "-0.0"),
            (1.7976931348623157e308, "1.7976931348623157E308"),
            (123456789012345678901234567890.0, "1.2345678901234568E29"),
            (0.30000000000000004, "0.30000000000000004"),
            (-2.5e-7, "-2.5E-7"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, java) in cases {
            assert_eq!(java_double(x), java, "{x:?}");
            if x.is_finite() {
                assert_eq!(java.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{java} reads back");
            }
        }
    }
}
