//! JavaScript number semantics: literals, `ToNumber`, `parseInt` / `parseFloat`, `String(…)`, `+` and the
//! comparison and arithmetic operators over known values.

use super::expr::map_value;
use crate::model::value::{Loc, Str, Traced, Value, to_js_string};

pub(super) fn concat(a: &Value, b: &Value) -> Option<Str> {
    let mut out = match a {
        Value::String(s) => s.clone(),
        other => number_piece(other)?,
    };
    match b {
        Value::String(s) => out.push(s),
        other => out.push(&number_piece(other)?),
    }
    Some(out)
}

fn number_piece(value: &Value) -> Option<Str> {
    to_js_string(value).map(Str::plain)
}

pub(super) fn arithmetic(op: &str, a: &Value, b: &Value) -> Option<Value> {
    if op == "+" {
        if matches!(a, Value::String(_)) || matches!(b, Value::String(_)) {
            return concat(a, b).map(Value::String);
        }
        return Some(Value::Number(to_number(a)? + to_number(b)?));
    }
    if let ("===" | "!==" | "==" | "!=", x, y) = (op, a, b) {
        let same = match (x, y) {
            (Value::Number(p), Value::Number(q)) => p == q,
            (Value::String(p), Value::String(q)) => p.text == q.text,
            (Value::Bool(p), Value::Bool(q)) => p == q,
            (Value::Null | Value::Undefined, Value::Null | Value::Undefined) => {
                op.len() == 2 || std::mem::discriminant(x) == std::mem::discriminant(y)
            }
            (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_))
                if op.len() == 2 =>
            {
                to_number(x)? == to_number(y)?
            }
            (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                return None;
            }
            _ => false,
        };
        return Some(Value::Bool(same == op.starts_with('=')));
    }
    let (x, y) = (to_number(a)?, to_number(b)?);
    Some(match op {
        "-" => Value::Number(x - y),
        "*" => Value::Number(x * y),
        "/" => Value::Number(x / y),
        "%" => Value::Number(x % y),
        "<" => Value::Bool(x < y),
        ">" => Value::Bool(x > y),
        "<=" => Value::Bool(x <= y),
        ">=" => Value::Bool(x >= y),
        _ => return None,
    })
}

/// JavaScript's `ToNumber` for the values we know.
pub fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Null => Some(0.0),
        Value::Undefined => Some(f64::NAN),
        Value::String(s) => Some(string_to_number(&s.text)),
        _ => None,
    }
}

/// `Number("…")`: the whole trimmed string must be a numeric literal; empty is 0; anything else NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    let lower = t.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix)
                .map(|n| n as f64)
                .unwrap_or(f64::NAN);
        }
    }
    match t {
        "Infinity" | "+Infinity" => f64::INFINITY,
        "-Infinity" => f64::NEG_INFINITY,
        _ if t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            t.parse::<f64>().unwrap_or(f64::NAN)
        }
        _ => f64::NAN,
    }
}

/// `parseInt("…", radix)`: leading digits after optional space and sign; NaN when there are none.
pub fn parse_int(s: &str, radix: Option<f64>) -> f64 {
    let t = s.trim_start();
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let explicit = radix
        .filter(|r| *r != 0.0 && r.is_finite())
        .map(|r| r as u32);
    let mut radix = explicit.unwrap_or(10);
    let mut t = t;
    if (explicit.is_none() || radix == 16) && (t.starts_with("0x") || t.starts_with("0X")) {
        radix = 16;
        t = &t[2..];
    }
    if !(2..=36).contains(&radix) {
        return f64::NAN;
    }
    let digits: String = t.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut n = 0f64;
    for c in digits.chars() {
        n = n * radix as f64 + c.to_digit(radix).unwrap_or(0) as f64;
    }
    if negative { -n } else { n }
}

pub(super) fn convert(arg: Traced, conversion: &str, radix: Option<f64>, loc: Loc) -> Traced {
    let conversion = conversion.to_string();
    map_value(arg, loc, &move |v| match conversion.as_str() {
        "String" => to_js_string(v).map(|s| Value::String(keep_pieces(v, s))),
        "parseInt" => to_js_string(v).map(|s| Value::Number(parse_int(&s, radix))),
        "parseFloat" => to_js_string(v).map(|s| {
            let t = s.trim_start();
            let end = t
                .char_indices()
                .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
                .last()
                .map(|(i, c)| i + c.len_utf8())
                .unwrap_or(0);
            Value::Number(t[..end].parse::<f64>().unwrap_or(f64::NAN))
        }),
        _ => to_number(v).map(Value::Number),
    })
}

fn keep_pieces(v: &Value, text: String) -> Str {
    match v {
        Value::String(s) => s.clone(),
        _ => Str::plain(text),
    }
}

/// Parses a JavaScript number literal: decimal, hex, octal, binary, numeric separators, legacy octal.
pub fn parse_number_literal(raw: &str) -> Option<f64> {
    let cleaned: String = raw.chars().filter(|c| *c != '_').collect();
    if cleaned.ends_with('n') {
        return None;
    }
    let lower = cleaned.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = lower.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).ok().map(|n| n as f64);
        }
    }
    if lower.len() > 1 && lower.starts_with('0') && lower.chars().all(|c| c.is_ascii_digit()) {
        if lower.chars().all(|c| c < '8') {
            return u64::from_str_radix(&lower[1..], 8).ok().map(|n| n as f64);
        }
        return lower.parse::<f64>().ok();
    }
    lower.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals() {
        assert_eq!(parse_number_literal("6_056"), Some(6056.0));
        assert_eq!(parse_number_literal("0x17A2"), Some(6050.0));
        assert_eq!(parse_number_literal("0o17"), Some(15.0));
        assert_eq!(parse_number_literal("0b101"), Some(5.0));
        assert_eq!(parse_number_literal("017"), Some(15.0));
        assert_eq!(parse_number_literal("019"), Some(19.0));
        assert_eq!(parse_number_literal("1e3"), Some(1000.0));
        assert_eq!(parse_number_literal("10n"), None);
    }

    #[test]
    fn conversions_follow_javascript() {
        assert_eq!(string_to_number(" 6350 "), 6350.0);
        assert!(string_to_number("63a").is_nan());
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(parse_int("6350px", None), 6350.0);
        assert_eq!(parse_int("0x10", None), 16.0);
        assert!(parse_int("px", None).is_nan());
        assert_eq!(parse_int("ff", Some(16.0)), 255.0);
    }
}
