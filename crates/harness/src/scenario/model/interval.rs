//! A run's trigger as the user spells it, read by the model itself: the spec of what the engine
//! must read and what it must refuse. `available-now`, `once`, `processing-time` (0), and
//! `processing-time=<interval>`, the interval in crashpoint's short forms (`5s`, `250ms`, `2m`,
//! `1h`, `1d`, `0`) or as Spark 4.3's `Trigger.ProcessingTime(String)` reads it
//! (`IntervalUtils.stringToInterval`, then `ProcessingTimeTrigger`; measured in
//! `spark/FINDINGS.md` Q3 and Q24a).
//!
//! It must never call the engine's parser: it is what that parser is judged by.

use crate::check::IntervalFault;
use crashpoint_engine::engine::Trigger;

/// The trigger `spelled` names, or why the engine must refuse it: (the interval as written,
/// trimmed, and the fault), or, for a spelling that is no trigger at all (a run step's text is
/// read when the run starts, typos too), the whole spelling as written.
pub fn read_trigger(spelled: &str) -> Result<Trigger, (String, IntervalFault)> {
    match spelled {
        "available-now" => Ok(Trigger::AvailableNow),
        "once" => Ok(Trigger::Once),
        "processing-time" => Ok(Trigger::ProcessingTime { interval_ms: 0 }),
        _ => {
            let Some(text) = spelled.strip_prefix("processing-time=") else {
                return Err((spelled.into(), IntervalFault::NotATrigger));
            };
            let text = text.trim_matches(java_space);
            interval_ms(text).map(|interval_ms| Trigger::ProcessingTime { interval_ms }).map_err(|f| (text.into(), f))
        }
    }
}

/// Java's `Character.isWhitespace` on one byte: what separates Spark's words.
fn java_space(c: char) -> bool {
    c == ' ' || ('\t'..='\r').contains(&c) || ('\x1C'..='\x1F').contains(&c)
}

/// An interval in ms: a short form first, else Spark's grammar.
fn interval_ms(text: &str) -> Result<u64, IntervalFault> {
    short_form(text).unwrap_or_else(|| spark_ms(text))
}

/// crashpoint's own spellings: digits, then nothing (for 0 only) or a short unit, spaces
/// between allowed; `None` if `text` is not one. A number too big for 64 bits is refused
/// whatever follows it.
fn short_form(text: &str) -> Option<Result<u64, IntervalFault>> {
    let number_len = text.bytes().take_while(u8::is_ascii_digit).count();
    let unit = text[number_len..].trim_start_matches(java_space).to_ascii_lowercase();
    if number_len == 0 || !unit.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let Ok(number) = text[..number_len].parse::<u64>() else { return Some(Err(IntervalFault::TooLong)) };
    let ms_per = match unit.as_str() {
        "" if number == 0 => 0,
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    Some(number.checked_mul(ms_per).ok_or(IntervalFault::TooLong))
}

/// Spark's three fields of an interval.
#[derive(Default)]
struct Sum {
    months: i32,
    days: i32,
    micros: i64,
}

/// Spark's reading: `[interval] (<sign>? <number> <unit>)+`, summed; months must cancel out, the
/// total must not be negative by even a microsecond, and is cut to whole ms.
fn spark_ms(text: &str) -> Result<u64, IntervalFault> {
    let lower = text.to_ascii_lowercase();
    let body = match lower.strip_prefix("interval") {
        Some(rest) if rest.starts_with(java_space) || rest.is_empty() => rest,
        Some(_) => return Err(IntervalFault::Prefix),
        None => &lower,
    };
    let words: Vec<&str> = body.split(java_space).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err(IntervalFault::Empty);
    }
    let mut sum = Sum::default();
    let mut at = 0;
    while at < words.len() {
        // A sign may stand alone, a space before its number.
        let (sign, number) = match words[at].as_bytes()[0] {
            b'-' | b'+' if words[at].len() == 1 => (Some(words[at]), words.get(at + 1).copied().unwrap_or("")),
            b'-' | b'+' => (Some(&words[at][..1]), &words[at][1..]),
            _ => (None, words[at]),
        };
        at += if sign.is_some() && words[at].len() == 1 { 2 } else { 1 };
        let (whole, fraction_micros, point) = number_of(number, sign.is_some())?;
        let unit = words.get(at).ok_or(IntervalFault::NoUnit)?;
        at += 1;
        let negate = if sign == Some("-") { -1 } else { 1 };
        add(&mut sum, unit, whole * negate, fraction_micros * negate, point)?;
    }
    if sum.months != 0 {
        return Err(IntervalFault::MonthsOrYears);
    }
    let micros = i64::from(sum.days).checked_mul(86_400_000_000).and_then(|d| d.checked_add(sum.micros));
    let micros = micros.ok_or(IntervalFault::TooLong)?;
    if micros < 0 {
        return Err(IntervalFault::Negative);
    }
    Ok(micros.unsigned_abs() / 1000)
}

/// A number: its whole part (64 bits), its fraction cut to microseconds, and whether it has a
/// point. Digits, then a point and at most 9 digits; a point with no digit at all is read only
/// after a sign (`-.` is 0: Spark reads `.` alone as the start of a fraction). A number of
/// other characters is refused before one too big is.
fn number_of(number: &str, signed: bool) -> Result<(i64, i64, bool), IntervalFault> {
    let point = number.find('.');
    let (whole, fraction) = match point {
        Some(at) => (&number[..at], &number[at + 1..]),
        None => (number, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let no_digit = whole.is_empty() && fraction.is_empty();
    if !all_digits(whole) || !all_digits(fraction) || fraction.len() > 9 || (no_digit && !(signed && point.is_some())) {
        return Err(IntervalFault::NotANumber);
    }
    let whole = whole.bytes().try_fold(0i64, |n, b| n.checked_mul(10)?.checked_add(i64::from(b - b'0')));
    let micros = format!("{fraction}000000")[..6].parse::<i64>().unwrap_or(0);
    Ok((whole.ok_or(IntervalFault::TooLong)?, micros, point.is_some()))
}

/// Adds `whole` (and, for seconds, `fraction` µs) of `unit` to the sum, with Spark's limits: a
/// 32-bit count of months and of days, 64-bit microseconds.
fn add(sum: &mut Sum, unit: &str, whole: i64, fraction: i64, point: bool) -> Result<(), IntervalFault> {
    let base = unit.strip_suffix('s').unwrap_or(unit);
    const UNITS: [&str; 9] = ["year", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond"];
    if !UNITS.contains(&base) {
        return Err(IntervalFault::NotAUnit);
    }
    if point && base != "second" {
        return Err(IntervalFault::Fraction);
    }
    let int = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok()).ok_or(IntervalFault::TooLong);
    let micros = |per: i64| whole.checked_mul(per).and_then(|m| m.checked_add(fraction));
    match base {
        "year" => sum.months = int(whole.checked_mul(12).and_then(|m| m.checked_add(sum.months.into())))?,
        "month" => sum.months = int(whole.checked_add(sum.months.into()))?,
        "week" => sum.days = int(whole.checked_mul(7).and_then(|d| d.checked_add(sum.days.into())))?,
        "day" => sum.days = int(whole.checked_add(sum.days.into()))?,
        _ => {
            let per = match base {
                "hour" => 3_600_000_000,
                "minute" => 60_000_000,
                "second" => 1_000_000,
                "millisecond" => 1_000,
                _ => 1,
            };
            sum.micros = micros(per).and_then(|m| m.checked_add(sum.micros)).ok_or(IntervalFault::TooLong)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntervalFault::*;

    /// Spark 4.3's readings (its JVM's `ProcessingTimeTrigger.apply`, FINDINGS Q24a) and
    /// crashpoint's short forms, with the fault the model names for each refusal.
    const READS: &[(&str, Result<u64, IntervalFault>)] = &[
        ("5s", Ok(5_000)),
        ("0", Ok(0)),
        ("2 M", Ok(120_000)),
        ("5", Err(NoUnit)),
        ("1 minute 30 seconds", Ok(90_000)),
        ("interval 1 minute 30 seconds", Ok(90_000)),
        ("INTERVAL 2 seconds", Ok(2_000)),
        ("1.5 seconds", Ok(1_500)),
        ("1.123456789 seconds", Ok(1_123)),
        ("1.1234567891 seconds", Err(NotANumber)),
        ("-. seconds", Ok(0)),
        ("- . seconds", Ok(0)),
        (". seconds", Err(NotANumber)),
        (".", Err(NotANumber)),
        ("- seconds", Err(NotANumber)),
        ("-.5 seconds 1 second", Ok(500)),
        ("5. seconds", Ok(5_000)),
        ("5. minutes", Err(Fraction)),
        ("1.5 minutes", Err(Fraction)),
        ("1 month", Err(MonthsOrYears)),
        ("2 years", Err(MonthsOrYears)),
        ("1 month -1 month", Ok(0)),
        ("1 year -12 months", Ok(0)),
        ("1 fortnight", Err(NotAUnit)),
        ("5 secs", Err(NotAUnit)),
        ("5 secondss", Err(NotAUnit)),
        ("5seconds", Err(NotANumber)),
        ("5 seconds 5", Err(NoUnit)),
        ("-5 seconds", Err(Negative)),
        ("1 second -1001 milliseconds", Err(Negative)),
        ("1 second -1000 milliseconds", Ok(0)),
        ("-999 microseconds", Err(Negative)),
        ("1.0000005 seconds", Ok(1_000)),
        ("9223372036854775807 microseconds", Ok(9_223_372_036_854_775)),
        ("9223372036854775808 microseconds", Err(TooLong)),
        ("999999999999999999 seconds", Err(TooLong)),
        ("2234567890 days", Err(TooLong)),
        ("106751992 days", Err(TooLong)),
        ("2 WEEKS", Ok(1_209_600_000)),
        ("interval", Err(Empty)),
        ("intervalx 5 seconds", Err(Prefix)),
        ("+-5 seconds", Err(NotANumber)),
        ("1e3 seconds", Err(NotANumber)),
    ];

    #[test]
    fn each_spelling_is_read_or_refused_as_the_spec_says() {
        // Goal: the model's reading at each rule's edge. Method: measured spellings, each
        // through the run step's whole spelling.
        for (text, want) in READS {
            let read = read_trigger(&format!("processing-time={text}"));
            let read = read.map(|t| match t {
                Trigger::ProcessingTime { interval_ms } => interval_ms,
                other => panic!("{text}: {other:?}"),
            });
            assert_eq!(read.map_err(|(_, fault)| fault), *want, "{text:?}");
        }
        assert_eq!(read_trigger("processing-time"), Ok(Trigger::ProcessingTime { interval_ms: 0 }));
        assert_eq!(read_trigger("once"), Ok(Trigger::Once));
        assert_eq!(read_trigger("processing-time=  5 secs "), Err(("5 secs".into(), NotAUnit)), "trimmed");
        // No trigger at all: the whole spelling, untrimmed, as a user wrote it.
        for typo in ["avaliable-now", "processing-tim=5s", "processing-time =5s", " once", "Once", ""] {
            assert_eq!(read_trigger(typo), Err((typo.into(), NotATrigger)), "{typo:?}");
        }
    }
}
