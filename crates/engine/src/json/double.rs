//! Doubles as Java's `Double.toString` writes them, which is how Spark's JSON writer and its
//! console print a DOUBLE: `30.0`, `0.001`, `1234567.0`, `1.0E7`, `1.0E-4`. The digits are the
//! shortest that read back to the same double (Rust's, as Java 19+ and, for all but rare values,
//! Java 17). It only formats; it never rounds a value.

/// `x` as Java's `Double.toString` writes it.
pub fn java_double(x: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_java_double(x, &mut out);
    String::from_utf8(out).expect("a double is written in ASCII")
}

/// Appends `x` as Java's `Double.toString` writes it, without allocating for up to 15 digits:
/// the shortest digits that read back to `x` (zmij's, a Schubfach), laid out in Java's notation.
pub fn write_java_double(x: f64, out: &mut Vec<u8>) {
    if x.is_nan() {
        return out.extend_from_slice(b"NaN");
    }
    if x.is_infinite() {
        return out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" });
    }
    if x == 0.0 {
        return out.extend_from_slice(if x.is_sign_negative() { b"-0.0" } else { b"0.0" });
    }
    if x < 0.0 {
        out.push(b'-');
    }
    if write_short_plain(x.abs(), out) {
        return;
    }
    let mut buffer = zmij::Buffer::new();
    let (mut digits, mut exponent) = Digits::of(buffer.format_finite(x.abs()).as_bytes());
    if digits.len > 15 {
        // Up to 15 digits, one decimal at most reads back to `x`, so every shortest formatter
        // agrees. With 16 or 17, two may, and zmij does not always take the closer one, which
        // Rust's formatter (and Java's) does.
        (digits, exponent) = Digits::of(format!("{:e}", x.abs()).as_bytes());
    }
    let digits = &digits.bytes[..digits.len];
    if (-3..7).contains(&exponent) {
        // Plain notation: `exponent + 1` digits before the point, at least one after it.
        let point = exponent + 1;
        if point <= 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
            return out.extend_from_slice(digits);
        }
        let point = point as usize;
        if point >= digits.len() {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', point - digits.len()));
            return out.extend_from_slice(b".0");
        }
        out.extend_from_slice(&digits[..point]);
        out.push(b'.');
        return out.extend_from_slice(&digits[point..]);
    }
    out.push(digits[0]);
    out.push(b'.');
    out.extend_from_slice(if digits.len() > 1 { &digits[1..] } else { b"0" });
    out.push(b'E');
    std::io::Write::write_fmt(out, format_args!("{exponent}")).expect("writing to a Vec cannot fail");
}

/// Powers of ten, exact as doubles and as integers.
const POWERS: [(f64, u64); 16] = {
    let mut powers = [(1.0, 1); 16];
    let mut k = 1;
    while k < 16 {
        powers[k] = (powers[k - 1].0 * 10.0, powers[k - 1].1 * 10);
        k += 1;
    }
    powers
};

/// Writes a positive `x` of Java's plain range (1e-3 to 1e7) whose shortest digits are at most
/// 15, the common case, as `r / 10^d` with the fewest decimals `d` that read back to `x`; false
/// (nothing written) for any other.
///
/// Why it is the shortest: `r` and `10^d` are exact doubles and IEEE division rounds correctly,
/// so `r / 10^d == x` says that the decimal reads back to `x`; the first `d` that does has the
/// fewest digits, and with at most 15 significant digits no other decimal of as few reads back
/// to `x` (two such decimals lie further apart than the doubles that round to `x`), so every
/// shortest formatter writes this one. `x * 10^d + 0.5` is off by under 0.2 for `r` below 10^15,
/// so truncating it finds `r` whenever a decimal with `d` decimals reads back.
fn write_short_plain(x: f64, out: &mut Vec<u8>) -> bool {
    if !(1e-3..1e7).contains(&x) {
        return false;
    }
    for (d, &(scale, scale_int)) in POWERS.iter().enumerate() {
        // Rounded to the nearest integer by truncating after adding a half (no libm call).
        let r = (x * scale + 0.5) as u64;
        if r >= 1_000_000_000_000_000 {
            return false;
        }
        if r as f64 / scale != x {
            continue;
        }
        let mut digits = [0u8; 20];
        out.extend_from_slice(decimal(r / scale_int, &mut digits));
        out.push(b'.');
        if d == 0 {
            out.push(b'0');
            return true;
        }
        let fraction = decimal(r % scale_int, &mut digits);
        out.extend(std::iter::repeat_n(b'0', d - fraction.len()));
        out.extend_from_slice(fraction);
        return true;
    }
    false
}

/// `n`'s decimal digits, written into the end of `buffer`.
pub(super) fn decimal(mut n: u64, buffer: &mut [u8; 20]) -> &[u8] {
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buffer[at..];
        }
    }
}

/// The significant digits of a positive double's text (`21.5`, `1e20`, `1.5e-7`, `0.001`),
/// without leading or trailing zeros, on the stack.
struct Digits {
    bytes: [u8; 32],
    len: usize,
}

impl Digits {
    /// The digits of `text`, and the decimal exponent of the first one (`21.5`: `215`, 1).
    fn of(text: &[u8]) -> (Digits, i32) {
        let (mantissa, mut exponent) = match text.iter().position(|b| *b == b'e') {
            Some(at) => (&text[..at], parse_i32(&text[at + 1..])),
            None => (text, 0),
        };
        let mut digits = Digits { bytes: [0; 32], len: 0 };
        // Digits before the point (or all of them), counted as they come.
        let mut before_point = 0i32;
        let mut seen_point = false;
        for &byte in mantissa {
            match byte {
                b'.' => seen_point = true,
                b'0' if digits.len == 0 => {
                    // A leading zero moves the first digit one place down.
                    if seen_point {
                        exponent -= 1;
                    }
                }
                digit => {
                    assert!(digits.len < digits.bytes.len() && digit.is_ascii_digit(), "a double's digits: {text:?}");
                    digits.bytes[digits.len] = digit;
                    digits.len += 1;
                    if !seen_point {
                        before_point += 1;
                    }
                }
            }
        }
        while digits.len > 1 && digits.bytes[digits.len - 1] == b'0' {
            digits.len -= 1;
        }
        assert!(digits.len > 0, "a non-zero double has a digit: {text:?}");
        (digits, exponent + before_point - 1)
    }
}

fn parse_i32(text: &[u8]) -> i32 {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits.iter().fold(0i32, |n, d| n * 10 + i32::from(d - b'0'));
    if negative { -magnitude } else { magnitude }
}

#[cfg(test)]
mod tests {
    use super::java_double;

    /// Java's notation built from `{:e}`'s shortest digits (Rust's Grisu with Dragon4 behind
    /// it): the first implementation, kept as the reference for the fast one.
    fn reference(x: f64) -> String {
        if !x.is_finite() || x == 0.0 {
            return java_double(x);
        }
        let sign = if x < 0.0 { "-" } else { "" };
        let scientific = format!("{:e}", x.abs());
        let (mantissa, exponent) = scientific.split_once('e').unwrap();
        let exponent: i32 = exponent.parse().unwrap();
        let digits = mantissa.replace('.', "");
        if (-3..7).contains(&exponent) {
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

    #[test]
    fn the_fast_writer_writes_what_the_reference_writes() {
        // Random bit patterns (every exponent), decimals of a few digits around Java's two
        // notation edges (1e-3 and 1e7), and integers: a seeded xorshift, 100,000 of each.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..100_000 {
            let bits = f64::from_bits(next());
            let digits = (next() % 100_000) as f64;
            let scale = 10f64.powi((next() % 16) as i32 - 8);
            let integer = (next() >> (next() % 64)) as f64;
            for x in [bits, digits * scale, -digits / scale, integer, 1e7 - digits * 1e-9, 1e-3 + digits * 1e-12] {
                assert_eq!(java_double(x), reference(x), "{x:?} ({:#x})", x.to_bits());
            }
        }
    }

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
