//! Cheap building blocks for generated telemetry: `KeyValue` constructors, allocation-light
//! string rendering of ids and numbers, and the per-request context (user, cart, order) that
//! keeps the attributes of one trace and its logs consistent with each other.

use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value::Value};
use rand::Rng;

/// Product ids of the shop's catalog.
pub(crate) const PRODUCTS: [&str; 20] = [
    "OLJCESPC7Z",
    "66VCHSJNUP",
    "1YMWWN1N4O",
    "L9ECAV7KIM",
    "2ZYFJ3GM2N",
    "0PUK6V6EV0",
    "LS4PSXUNUM",
    "9SIQT8TOJO",
    "6E92ZMYYFZ",
    "HQTGWGPNH4",
    "1D7B8F2K0L",
    "3X9QZ7M2PA",
    "7TR5WQ1ZCB",
    "A0BC2D4E6F",
    "K8J7H6G5F4",
    "M1N2B3V4C5",
    "P9O8I7U6Y5",
    "Q2W3E4R5T6",
    "Z1X2C3V4B5",
    "T7Y8U9I0O1",
];

/// ISO 4217 codes users pick from.
pub(crate) const CURRENCIES: [&str; 8] = ["USD", "EUR", "CAD", "JPY", "GBP", "CHF", "INR", "BRL"];

/// Browser user agents, most common first.
pub(crate) const USER_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36",
    "python-requests/2.32.4",
];

/// Names of the boolean `app.feature.*` flags, one bit each in [`RequestContext::flags`].
pub(crate) const FEATURE_FLAGS: [&str; 3] = [
    "app.feature.new_checkout",
    "app.feature.recommendation_cache",
    "app.feature.free_shipping_banner",
];

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A string attribute.
#[inline]
pub(crate) fn kv_str(key: &'static str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

/// An int attribute.
#[inline]
pub(crate) fn kv_int(key: &'static str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

/// A double attribute.
#[inline]
pub(crate) fn kv_f64(key: &'static str, value: f64) -> KeyValue {
    kv(key, Value::DoubleValue(value))
}

/// A bool attribute.
#[inline]
pub(crate) fn kv_bool(key: &'static str, value: bool) -> KeyValue {
    kv(key, Value::BoolValue(value))
}

/// An array-of-strings attribute.
pub(crate) fn kv_str_array<'a>(
    key: &'static str,
    values: impl Iterator<Item = &'a str>,
) -> KeyValue {
    let values = values
        .map(|v| AnyValue {
            value: Some(Value::StringValue(v.to_owned())),
        })
        .collect();
    kv(key, Value::ArrayValue(ArrayValue { values }))
}

#[inline]
fn kv(key: &'static str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// Appends the decimal digits of `value`.
pub(crate) fn push_u64(out: &mut String, mut value: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| b as char));
}

/// Appends `value` zero-padded to `width` digits.
pub(crate) fn push_padded(out: &mut String, value: u64, width: usize) {
    let digits = value.checked_ilog10().unwrap_or(0) as usize + 1;
    for _ in digits..width {
        out.push('0');
    }
    push_u64(out, value);
}

/// Appends `bytes` as lowercase hex.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

/// Renders a UUID-shaped string (8-4-4-4-12 hex digits) from 128 random bits.
pub(crate) fn uuid_string(bits: u128) -> String {
    let bytes = bits.to_be_bytes();
    let mut out = String::with_capacity(36);
    for (i, range) in [0..4, 4..6, 6..8, 8..10, 10..16].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_hex(&mut out, &bytes[range]);
    }
    out
}

/// Renders `cents` as a decimal amount with two fractional digits.
pub(crate) fn push_money(out: &mut String, cents: u64) {
    push_u64(out, cents / 100);
    out.push('.');
    push_padded(out, cents % 100, 2);
}

/// Renders an IPv4 address.
pub(crate) fn ipv4_string(address: u32) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in address.to_be_bytes().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_u64(&mut out, u64::from(octet));
    }
    out
}

/// A random non-zero span id.
#[inline]
pub(crate) fn random_span_id<R: Rng + ?Sized>(rng: &mut R) -> [u8; 8] {
    rng.random::<u64>().max(1).to_be_bytes()
}

/// A random non-zero trace id.
#[inline]
pub(crate) fn random_trace_id<R: Rng + ?Sized>(rng: &mut R) -> [u8; 16] {
    rng.random::<u128>().max(1).to_be_bytes()
}

/// Everything one end-user request carries through the services: it keeps the `app.*`
/// attributes of a trace's spans (and of the logs written for them) consistent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RequestContext {
    /// Numeric user id; a few users are much more active than the rest.
    pub user: u32,
    /// Session id bits.
    pub session: u64,
    /// Order id bits.
    pub order: u128,
    /// Index into [`PRODUCTS`].
    pub product: u8,
    /// Index into [`CURRENCIES`].
    pub currency: u8,
    /// Items in the cart (1..=6).
    pub cart_items: u8,
    /// Order total in cents.
    pub total_cents: u64,
    /// Shipping cost in cents.
    pub shipping_cents: u64,
    /// Shipment tracking id bits.
    pub tracking: u64,
    /// Feature-flag bits, see [`FEATURE_FLAGS`].
    pub flags: u8,
    /// Client IPv4 address.
    pub client_ip: u32,
    /// Index into [`USER_AGENTS`].
    pub user_agent: u8,
}

impl RequestContext {
    /// Draws a new request.
    pub(crate) fn random<R: Rng + ?Sized>(rng: &mut R) -> Self {
        // Squaring a uniform skews towards small ids: heavy users appear often.
        let u: f64 = rng.random();
        let user = (u * u * 250_000.0) as u32 + 1;
        let cart_items = rng.random_range(1..=6u8);
        let total_cents = u64::from(cart_items) * rng.random_range(399..25_000u64);
        let currency = if rng.random_bool(0.6) {
            0
        } else {
            rng.random_range(1..CURRENCIES.len() as u8)
        };
        let agent_pick: f64 = rng.random();
        Self {
            user,
            session: rng.random(),
            order: rng.random(),
            product: rng.random_range(0..PRODUCTS.len() as u8),
            currency,
            cart_items,
            total_cents,
            shipping_cents: rng.random_range(0..3_000),
            tracking: rng.random(),
            flags: rng.random::<u8>() & 0b111,
            client_ip: rng.random(),
            user_agent: ((agent_pick * agent_pick) * USER_AGENTS.len() as f64) as u8,
        }
    }

    /// `app.user.id`, e.g. `usr-004711`.
    pub(crate) fn user_id(&self) -> String {
        let mut out = String::with_capacity(10);
        out.push_str("usr-");
        push_padded(&mut out, u64::from(self.user), 6);
        out
    }

    /// `app.order.id`, a UUID.
    pub(crate) fn order_id(&self) -> String {
        uuid_string(self.order)
    }

    /// `app.session.id`, 16 hex digits.
    pub(crate) fn session_id(&self) -> String {
        let mut out = String::with_capacity(16);
        push_hex(&mut out, &self.session.to_be_bytes());
        out
    }

    /// `app.shipping.tracking.id`, e.g. `1Z` followed by 16 upper-case hex digits.
    pub(crate) fn tracking_id(&self) -> String {
        let mut out = String::with_capacity(18);
        out.push_str("1Z");
        push_hex(&mut out, &self.tracking.to_be_bytes());
        out.make_ascii_uppercase();
        out
    }

    /// `app.product.id`.
    pub(crate) fn product_id(&self) -> &'static str {
        PRODUCTS[usize::from(self.product)]
    }

    /// `app.currency`.
    pub(crate) fn currency_code(&self) -> &'static str {
        CURRENCIES[usize::from(self.currency)]
    }

    /// Order total as a decimal amount.
    pub(crate) fn total(&self) -> f64 {
        self.total_cents as f64 / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn numbers_and_ids_render_like_format() {
        for value in [0u64, 7, 10, 4711, u64::MAX] {
            let mut out = String::new();
            push_u64(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        let mut out = String::new();
        push_padded(&mut out, 42, 6);
        assert_eq!(out, "000042");
        let mut out = String::new();
        push_money(&mut out, 12_305);
        assert_eq!(out, "123.05");
        assert_eq!(ipv4_string(0x0a00_0301), "10.0.3.1");
        let uuid = uuid_string(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        assert_eq!(uuid, "01234567-89ab-cdef-0011-223344556677");
    }

    #[test]
    fn request_context_ids_are_well_formed() {
        let mut rng = StdRng::seed_from_u64(1);
        let ctx = RequestContext::random(&mut rng);
        assert_eq!(ctx.user_id().len(), 10);
        assert_eq!(ctx.order_id().len(), 36);
        assert_eq!(ctx.tracking_id().len(), 18);
        assert!((1..=6).contains(&ctx.cart_items));
        assert!(ctx.total() > 0.0);
    }
}
