//! Log generation: records written "inside" recently generated server spans (carrying their
//! trace and span ids), with bodies rendered from per-service templates, language-specific
//! severity texts, ERROR records for failed spans and WARN records for slow ones.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use rand::Rng;
use rand::rngs::StdRng;

use super::resources::ScopeKind;
use super::traces::SCHEMA_URL;
use super::values::{
    RequestContext, kv_int, kv_str, push_money, push_padded, push_u64, uuid_string,
};
use super::{RecentSpan, TrafficGenerator};
use crate::topology::{Entry, Language, Topology};

/// One piece of a log body template.
#[derive(Clone, Copy)]
enum Piece {
    Text(&'static str),
    User,
    Order,
    Product,
    Currency,
    Items,
    Total,
    Shipping,
    Tracking,
    Email,
    Transaction,
    Count,
    Millis,
    Operation,
    Failure,
}

use Piece::*;

type Template = &'static [Piece];

const FRONTEND: &[Template] = &[
    &[
        Text("request completed: "),
        Operation,
        Text(" in "),
        Millis,
        Text("ms"),
    ],
    &[
        Text("rendered page for user "),
        User,
        Text(" currency="),
        Currency,
    ],
];
const CART: &[Template] = &[
    &[Text("GetCartAsync called with userId="), User],
    &[
        Text("AddItemAsync called with userId="),
        User,
        Text(", productId="),
        Product,
        Text(", quantity="),
        Items,
    ],
    &[
        Text("Fetched cart for userId="),
        User,
        Text(" with "),
        Items,
        Text(" items"),
    ],
];
const CHECKOUT: &[Template] = &[
    &[
        Text("[PlaceOrder] user_id=\""),
        User,
        Text("\" user_currency=\""),
        Currency,
        Text("\""),
    ],
    &[
        Text("payment went through (transaction_id: "),
        Transaction,
        Text(")"),
    ],
    &[
        Text("order placed app.order.id="),
        Order,
        Text(" app.total="),
        Total,
    ],
];
const PAYMENT: &[Template] = &[
    &[
        Text("Charge request received. amount="),
        Total,
        Text(" currency="),
        Currency,
    ],
    &[
        Text("Transaction complete. transactionId="),
        Transaction,
        Text(" cardType=visa"),
    ],
];
const SHIPPING: &[Template] = &[
    &[Text("Received quote request for "), Items, Text(" items")],
    &[Text("Sending Quote: $"), Shipping],
    &[
        Text("Order "),
        Order,
        Text(" shipped, tracking id "),
        Tracking,
    ],
];
const CURRENCY: &[Template] = &[
    &[Text("Conversion request successful to "), Currency],
    &[
        Text("Received request for supported currencies, returning "),
        Count,
    ],
];
const CATALOG: &[Template] = &[
    &[Text("Loaded "), Count, Text(" products")],
    &[Text("Product Found - ID: "), Product],
];
const RECOMMENDATION: &[Template] = &[
    &[
        Text("Receive ListRecommendations for product ids:['"),
        Product,
        Text("']"),
    ],
    &[
        Text("popularity updated for "),
        Product,
        Text(" by user "),
        User,
    ],
];
const EMAIL: &[Template] = &[&[Text("Order confirmation email sent to: "), Email]];
const AD: &[Template] = &[
    &[
        Text("Targeted ad request received for ["),
        Product,
        Text("]"),
    ],
    &[Text(
        "Non-targeted ad request received, preparing random response.",
    )],
    &[
        Text("Consumed record with orderId: "),
        Order,
        Text(", and updated total count to: "),
        Count,
    ],
];
const FAILED: Template = &[Text("failed to handle "), Operation, Text(": "), Failure];
const SLOW: Template = &[
    Text("slow request "),
    Operation,
    Text(" took "),
    Millis,
    Text(" ms"),
];
const DEBUG: Template = &[
    Text("cache lookup for "),
    Product,
    Text(" finished in "),
    Millis,
    Text("ms"),
];
const BACKGROUND: &[Template] = &[
    &[Text("exported "), Count, Text(" metric points")],
    &[Text("GC pause of "), Millis, Text("ms")],
    &[Text("refreshed feature flags from flagd")],
    &[Text("health check passed")],
];

fn templates(service: &str) -> &'static [Template] {
    match service {
        "frontend" => FRONTEND,
        "cart" => CART,
        "checkout" => CHECKOUT,
        "payment" => PAYMENT,
        "shipping" => SHIPPING,
        "currency" => CURRENCY,
        "product-catalog" => CATALOG,
        "recommendation" => RECOMMENDATION,
        "email" => EMAIL,
        _ => AD,
    }
}

fn severity_text(language: Language, severity: SeverityNumber) -> &'static str {
    let index = match severity {
        SeverityNumber::Debug => 0,
        SeverityNumber::Info => 1,
        SeverityNumber::Warn => 2,
        _ => 3,
    };
    let texts = match language {
        Language::DotNet => ["Debug", "Information", "Warning", "Error"],
        Language::NodeJs => ["debug", "info", "warn", "error"],
        Language::Python => ["DEBUG", "INFO", "WARNING", "ERROR"],
        _ => ["DEBUG", "INFO", "WARN", "ERROR"],
    };
    texts[index]
}

/// Where a log record is written from: a recent span, or nowhere (background work).
struct Origin<'a> {
    span: Option<&'a RecentSpan>,
    operation: &'a str,
    context: RequestContext,
}

impl TrafficGenerator {
    /// Generates at least `min_records` log records, mostly correlated with recently generated
    /// server spans (generating a trace internally when none is left), one `ResourceLogs` per
    /// service.
    pub fn logs(&mut self, min_records: usize, now_unix_nano: u64) -> ExportLogsServiceRequest {
        let services = self.topology.services.len();
        let mut records: Vec<Vec<LogRecord>> = (0..services)
            .map(|_| Vec::with_capacity(min_records * 2 / services))
            .collect();
        let mut discarded = Vec::new();
        let mut count = 0;
        while count < min_records {
            let mut writer = LogWriter {
                rng: &mut self.rng,
                topology: &self.topology,
            };
            if writer.rng.random_bool(0.04) {
                let service = writer.rng.random_range(0..records.len());
                let context = RequestContext::random(writer.rng);
                let origin = Origin {
                    span: None,
                    operation: "",
                    context,
                };
                let template = BACKGROUND[writer.rng.random_range(0..BACKGROUND.len())];
                let time = now_unix_nano - writer.rng.random_range(0..1_000_000_000);
                let record = writer.record(service, &origin, SeverityNumber::Info, template, time);
                records[service].push(record);
                count += 1;
                continue;
            }
            let Some(span) = self.recent.pop_front() else {
                if discarded.is_empty() {
                    discarded = (0..services).map(|_| Default::default()).collect();
                }
                self.generate_trace(now_unix_nano, &mut discarded);
                discarded.iter_mut().flatten().for_each(Vec::clear);
                continue;
            };
            let mut writer = LogWriter {
                rng: &mut self.rng,
                topology: &self.topology,
            };
            count += writer.logs_for_span(&span, &mut records[span.service]);
        }
        let resource_logs = records
            .into_iter()
            .enumerate()
            .filter(|(_, records)| !records.is_empty())
            .map(|(service, log_records)| ResourceLogs {
                resource: Some(self.pod(service)),
                scope_logs: vec![ScopeLogs {
                    scope: Some(self.scopes[service].scope(ScopeKind::Log).clone()),
                    log_records,
                    schema_url: String::new(),
                }],
                schema_url: SCHEMA_URL.to_owned(),
            })
            .collect();
        ExportLogsServiceRequest { resource_logs }
    }
}

/// Renders log records; borrows the generator's random source and topology.
struct LogWriter<'a> {
    rng: &'a mut StdRng,
    topology: &'a Topology,
}

impl LogWriter<'_> {
    /// Writes the records of one span into `out` and returns how many.
    fn logs_for_span(&mut self, span: &RecentSpan, out: &mut Vec<LogRecord>) -> usize {
        let topology = self.topology;
        let op = &topology.operations[span.operation];
        let origin = Origin {
            span: Some(span),
            operation: &op.name,
            context: span.context,
        };
        let own = templates(topology.services[span.service].name);
        let before = out.len();
        let pick = |rng: &mut StdRng| own[rng.random_range(0..own.len())];
        let first = pick(self.rng);
        let time = self.time_within(span);
        out.push(self.record(span.service, &origin, SeverityNumber::Info, first, time));
        if self.rng.random_bool(0.3) {
            let (severity, template) = if self.rng.random_bool(0.2) {
                (SeverityNumber::Debug, DEBUG)
            } else {
                (SeverityNumber::Info, pick(self.rng))
            };
            let time = self.time_within(span);
            out.push(self.record(span.service, &origin, severity, template, time));
        }
        let self_median = u64::from(op.self_latency.median_us) * 1_000;
        if span.end - span.start > 40 * self_median && !matches!(op.entry, Entry::Http { .. }) {
            out.push(self.record(span.service, &origin, SeverityNumber::Warn, SLOW, span.end));
        }
        if span.failure.is_some() {
            out.push(self.record(
                span.service,
                &origin,
                SeverityNumber::Error,
                FAILED,
                span.end,
            ));
        }
        out.len() - before
    }

    fn time_within(&mut self, span: &RecentSpan) -> u64 {
        self.rng.random_range(span.start..=span.end)
    }

    fn record(
        &mut self,
        service: usize,
        origin: &Origin<'_>,
        severity: SeverityNumber,
        template: Template,
        time: u64,
    ) -> LogRecord {
        let language = self.topology.services[service].language;
        let body = self.render(template, origin);
        let mut attributes: Vec<KeyValue> = Vec::with_capacity(6);
        let function = origin
            .operation
            .rsplit(['/', ' '])
            .next()
            .unwrap_or_default();
        if !function.is_empty() {
            attributes.push(kv_str("code.function.name", function.to_owned()));
        }
        attributes.push(kv_int("code.line.number", 20 + (time % 400) as i64));
        if matches!(language, Language::Java | Language::DotNet) {
            attributes.push(kv_int("thread.id", self.rng.random_range(1..64)));
        }
        if self.rng.random_bool(0.5) && origin.span.is_some() {
            attributes.push(kv_str("app.user.id", origin.context.user_id()));
        }
        if let (SeverityNumber::Error, Some(span)) = (severity, origin.span) {
            let op = &self.topology.operations[span.operation];
            let exception_type = op.failures.first().map_or("Error", |f| f.exception_type);
            attributes.push(kv_str("exception.type", exception_type));
            attributes.push(kv_str(
                "exception.message",
                span.failure.unwrap_or_default(),
            ));
        }
        let (trace_id, span_id, flags) = match origin.span {
            Some(span) => (span.trace_id.to_vec(), span.span_id.to_vec(), 1),
            None => (Vec::new(), Vec::new(), 0),
        };
        LogRecord {
            time_unix_nano: time,
            observed_time_unix_nano: time + self.rng.random_range(50_000..3_000_000),
            severity_number: severity as i32,
            severity_text: severity_text(language, severity).to_owned(),
            body: Some(AnyValue {
                value: Some(Value::StringValue(body)),
            }),
            attributes,
            dropped_attributes_count: 0,
            flags,
            trace_id,
            span_id,
            event_name: String::new(),
        }
    }

    fn render(&mut self, template: Template, origin: &Origin<'_>) -> String {
        let context = &origin.context;
        let mut out = String::with_capacity(96);
        for piece in template {
            match *piece {
                Text(text) => out.push_str(text),
                User => out.push_str(&context.user_id()),
                Order => out.push_str(&context.order_id()),
                Product => out.push_str(context.product_id()),
                Currency => out.push_str(context.currency_code()),
                Items => push_u64(&mut out, u64::from(context.cart_items)),
                Total => push_money(&mut out, context.total_cents),
                Shipping => push_money(&mut out, context.shipping_cents),
                Tracking => out.push_str(&context.tracking_id()),
                Email => {
                    out.push_str("customer");
                    push_padded(&mut out, u64::from(context.user), 6);
                    out.push_str("@example.com");
                }
                Transaction => out.push_str(&uuid_string(self.rng.random())),
                Count => push_u64(&mut out, self.rng.random_range(3..2_000)),
                Millis => {
                    let nanos = origin
                        .span
                        .map_or(self.rng.random_range(100_000..50_000_000), |s| {
                            s.end - s.start
                        });
                    push_u64(&mut out, nanos / 1_000_000);
                    out.push('.');
                    push_padded(&mut out, nanos / 1_000 % 1_000, 3);
                }
                Operation => out.push_str(origin.operation),
                Failure => out.push_str(
                    origin
                        .span
                        .and_then(|s| s.failure)
                        .unwrap_or("unknown error"),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::generator::log_records_in;

    const NOW: u64 = 1_750_000_000_000_000_000;

    #[test]
    fn logs_reference_generated_traces_and_fall_inside_their_spans() {
        let mut generator = TrafficGenerator::new(21);
        let traces = generator.traces(2_000, NOW);
        let mut spans = std::collections::HashMap::new();
        for span in traces
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
        {
            spans.insert((span.trace_id.clone(), span.span_id.clone()), span);
        }
        let logs = generator.logs(500, NOW);
        assert!(log_records_in(&logs) >= 500);
        let mut correlated = 0;
        let mut severities = HashSet::new();
        let mut bodies = HashSet::new();
        for resource_logs in &logs.resource_logs {
            assert!(resource_logs.resource.is_some());
            assert_eq!(resource_logs.scope_logs.len(), 1);
            for record in &resource_logs.scope_logs[0].log_records {
                severities.insert(record.severity_number);
                assert!(!record.severity_text.is_empty());
                assert!(record.observed_time_unix_nano > record.time_unix_nano);
                if let Some(Value::StringValue(body)) =
                    record.body.as_ref().and_then(|b| b.value.as_ref())
                {
                    bodies.insert(body.clone());
                }
                if record.trace_id.is_empty() {
                    continue;
                }
                correlated += 1;
                assert_eq!(record.trace_id.len(), 16);
                assert_eq!(record.span_id.len(), 8);
                let span = spans
                    .get(&(record.trace_id.clone(), record.span_id.clone()))
                    .expect("log references a span that was not generated");
                assert!(record.time_unix_nano >= span.start_time_unix_nano);
                assert!(record.time_unix_nano <= span.end_time_unix_nano);
            }
        }
        assert!(correlated > 400);
        assert!(severities.contains(&(SeverityNumber::Info as i32)));
        assert!(bodies.len() > 300, "bodies should vary: {}", bodies.len());
    }

    #[test]
    fn logs_without_prior_traces_generate_their_own_and_report_errors() {
        let mut generator = TrafficGenerator::new(22);
        let logs = generator.logs(20_000, NOW);
        let records: Vec<_> = logs
            .resource_logs
            .iter()
            .flat_map(|rl| &rl.scope_logs[0].log_records)
            .collect();
        let traces: HashSet<_> = records
            .iter()
            .filter(|r| !r.trace_id.is_empty())
            .map(|r| &r.trace_id)
            .collect();
        assert!(traces.len() > 100);
        let errors = records
            .iter()
            .filter(|r| r.severity_number == SeverityNumber::Error as i32)
            .count();
        assert!(errors > 0);
        assert!(
            records
                .iter()
                .any(|r| r.attributes.iter().any(|kv| kv.key == "exception.type"))
        );
    }
}
