//! Span attributes and events by span type, following the OpenTelemetry semantic conventions
//! (HTTP, RPC, database, messaging, exceptions, feature flags) plus the shop's `app.*` keys.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::Event;
use rand::Rng;
use rand::rngs::StdRng;

use crate::generator::values::{
    FEATURE_FLAGS, PRODUCTS, RequestContext, USER_AGENTS, ipv4_string, kv_bool, kv_f64, kv_int,
    kv_str, kv_str_array, push_u64,
};
use crate::topology::{
    AppAttribute, CacheCall, DbCall, Entry, Failure, KAFKA, Language, Operation, POSTGRES, REDIS,
    Service,
};

/// Status message of a failed database statement.
pub(super) const DB_ERROR: &str = "canceling statement due to statement timeout";

const PARTITIONS: [&str; 12] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
const SEARCH_QUERIES: [&str; 6] = [
    "q=telescope",
    "q=binoculars",
    "q=lens",
    "q=tripod",
    "q=solar+filter",
    "q=star+chart",
];
const FLAG_KEYS: [&str; 5] = [
    "paymentFailure",
    "adHighCpu",
    "recommendationCacheFailure",
    "productCatalogFailure",
    "cartFailure",
];

fn pod_ip(rng: &mut StdRng) -> String {
    ipv4_string(0x0a00_0000 | (rng.random::<u32>() & 0x00ff_ffff))
}

/// Replaces `{id}` in an HTTP route with the request's product id.
fn url_path(route: &str, context: &RequestContext) -> String {
    match route.split_once("{id}") {
        Some((before, after)) => {
            let mut path = String::with_capacity(route.len() + 8);
            path.push_str(before);
            path.push_str(context.product_id());
            path.push_str(after);
            path
        }
        None => route.to_owned(),
    }
}

/// Upper bound of the number of attributes [`server_attributes`] and [`app_attributes`] add.
pub(super) fn server_attribute_count(op: &Operation) -> usize {
    let protocol = match op.entry {
        Entry::Http { .. } => 15,
        Entry::Grpc { .. } => 8,
        Entry::Consumer { .. } => 11,
    };
    let app: usize = op
        .app_attributes
        .iter()
        .map(|a| {
            if *a == AppAttribute::FeatureFlags {
                FEATURE_FLAGS.len()
            } else {
                1
            }
        })
        .sum();
    protocol + app
}

/// Attributes of the server (or consumer) span of `op`.
pub(super) fn server_attributes(
    out: &mut Vec<KeyValue>,
    op: &Operation,
    service: &Service,
    code: i64,
    message: (i64, i64),
    context: &RequestContext,
    rng: &mut StdRng,
) {
    match op.entry {
        Entry::Http { method, route } => {
            let public = service.name == "frontend";
            out.push(kv_str("http.request.method", method));
            out.push(kv_str("http.route", route));
            out.push(kv_str("url.path", url_path(route, context)));
            out.push(kv_str("url.scheme", if public { "https" } else { "http" }));
            out.push(kv_str(
                "server.address",
                if public {
                    "shop.example.com"
                } else {
                    service.name
                },
            ));
            out.push(kv_int(
                "server.port",
                if public { 443 } else { service.port },
            ));
            out.push(kv_str(
                "network.protocol.version",
                if public { "2" } else { "1.1" },
            ));
            if public {
                out.push(kv_str("client.address", ipv4_string(context.client_ip)));
                out.push(kv_str(
                    "user_agent.original",
                    USER_AGENTS[usize::from(context.user_agent)],
                ));
            } else {
                out.push(kv_str("client.address", pod_ip(rng)));
            }
            if route == "/api/products" {
                out.push(kv_str(
                    "url.query",
                    SEARCH_QUERIES[rng.random_range(0..SEARCH_QUERIES.len())],
                ));
            }
            if method == "POST" {
                out.push(kv_int(
                    "http.request.body.size",
                    rng.random_range(40..2_400),
                ));
            }
            out.push(kv_int(
                "http.response.body.size",
                rng.random_range(200..48_000),
            ));
            out.push(kv_int("http.response.status_code", code));
        }
        Entry::Grpc { method } => {
            out.push(kv_str("rpc.system", "grpc"));
            out.push(kv_str("rpc.service", service.rpc_service));
            out.push(kv_str("rpc.method", method));
            out.push(kv_str("server.address", service.name));
            out.push(kv_int("server.port", service.port));
            out.push(kv_str("network.peer.address", pod_ip(rng)));
            out.push(kv_int(
                "network.peer.port",
                rng.random_range(32_768..61_000),
            ));
            out.push(kv_int("rpc.grpc.status_code", code));
        }
        Entry::Consumer { topic } => {
            out.push(kv_str("messaging.system", "kafka"));
            out.push(kv_str("messaging.operation.type", "process"));
            out.push(kv_str("messaging.operation.name", "process"));
            out.push(kv_str("messaging.destination.name", topic));
            out.push(kv_str("messaging.consumer.group.name", service.name));
            out.push(kv_str(
                "messaging.destination.partition.id",
                PARTITIONS[message.0 as usize],
            ));
            out.push(kv_int("messaging.kafka.offset", message.1));
            out.push(kv_str("messaging.kafka.message.key", context.user_id()));
            out.push(kv_int(
                "messaging.message.body.size",
                rng.random_range(120..1_800),
            ));
            out.push(kv_str("server.address", KAFKA.host));
            out.push(kv_int("server.port", KAFKA.port));
        }
    }
}

/// The `app.*` attributes `wanted` from the request context.
pub(super) fn app_attributes(
    out: &mut Vec<KeyValue>,
    wanted: &[AppAttribute],
    context: &RequestContext,
    rng: &mut StdRng,
) {
    for attribute in wanted {
        match attribute {
            AppAttribute::UserId => out.push(kv_str("app.user.id", context.user_id())),
            AppAttribute::SessionId => out.push(kv_str("app.session.id", context.session_id())),
            AppAttribute::Currency => out.push(kv_str("app.currency", context.currency_code())),
            AppAttribute::ProductId => out.push(kv_str("app.product.id", context.product_id())),
            AppAttribute::CartItems => {
                out.push(kv_int("app.cart.items", i64::from(context.cart_items)))
            }
            AppAttribute::OrderId => out.push(kv_str("app.order.id", context.order_id())),
            AppAttribute::Total => out.push(kv_f64("app.total", context.total())),
            AppAttribute::ShippingCost => out.push(kv_f64(
                "app.shipping.cost",
                context.shipping_cents as f64 / 100.0,
            )),
            AppAttribute::TrackingId => {
                out.push(kv_str("app.shipping.tracking.id", context.tracking_id()))
            }
            AppAttribute::ProductsCount => {
                out.push(kv_int("app.products.count", rng.random_range(5..=20)))
            }
            AppAttribute::RecommendedProducts => {
                let first = rng.random_range(0..PRODUCTS.len());
                let ids = (0..5).map(|i| PRODUCTS[(first + i * 3) % PRODUCTS.len()]);
                out.push(kv_str_array("app.recommendation.product_ids", ids));
            }
            AppAttribute::FeatureFlags => {
                for (bit, key) in FEATURE_FLAGS.iter().enumerate() {
                    out.push(kv_bool(key, context.flags & (1 << bit) != 0));
                }
            }
        }
    }
}

/// Attributes of a PostgreSQL client span.
pub(super) fn db_attributes(out: &mut Vec<KeyValue>, db: &DbCall, failed: bool, rng: &mut StdRng) {
    out.reserve(10);
    out.push(kv_str("db.system", "postgresql"));
    out.push(kv_str("db.namespace", POSTGRES.namespace));
    out.push(kv_str("db.operation.name", db.operation));
    out.push(kv_str("db.collection.name", db.collection));
    out.push(kv_str("db.query.text", db.query));
    out.push(kv_str("server.address", POSTGRES.host));
    out.push(kv_int("server.port", POSTGRES.port));
    if failed {
        out.push(kv_str("db.response.status_code", "57014"));
        out.push(kv_str("error.type", "57014"));
    } else if db.operation == "SELECT" {
        out.push(kv_int("db.response.returned_rows", rng.random_range(0..40)));
    }
}

/// Attributes of a Redis client span; the key carries a request-specific id.
pub(super) fn cache_attributes(
    out: &mut Vec<KeyValue>,
    cache: &CacheCall,
    context: &RequestContext,
) {
    let mut query = String::with_capacity(48);
    query.push_str(cache.command);
    query.push(' ');
    query.push_str(cache.key_prefix);
    match cache.key_prefix {
        "cart:" => query.push_str(&context.user_id()),
        "quote:" => query.push_str(&context.session_id()),
        _ => query.push_str(context.product_id()),
    }
    out.reserve(6);
    out.push(kv_str("db.system", "redis"));
    out.push(kv_str("db.namespace", REDIS.namespace));
    out.push(kv_str("db.operation.name", cache.command));
    out.push(kv_str("db.query.text", query));
    out.push(kv_str("server.address", REDIS.host));
    out.push(kv_int("server.port", REDIS.port));
}

/// Attributes of a Kafka producer span.
pub(super) fn producer_attributes(
    out: &mut Vec<KeyValue>,
    topic: &'static str,
    message: (i64, i64),
    context: &RequestContext,
    rng: &mut StdRng,
) {
    out.reserve(9);
    out.push(kv_str("messaging.system", "kafka"));
    out.push(kv_str("messaging.operation.type", "send"));
    out.push(kv_str("messaging.operation.name", "send"));
    out.push(kv_str("messaging.destination.name", topic));
    out.push(kv_str(
        "messaging.destination.partition.id",
        PARTITIONS[message.0 as usize],
    ));
    out.push(kv_str("messaging.kafka.message.key", context.user_id()));
    out.push(kv_int(
        "messaging.message.body.size",
        rng.random_range(120..1_800),
    ));
    out.push(kv_str("server.address", KAFKA.host));
    out.push(kv_int("server.port", KAFKA.port));
}

/// Attributes of a client span calling `callee_op` of `callee`.
pub(super) fn client_attributes(
    out: &mut Vec<KeyValue>,
    callee_op: &Operation,
    callee: &Service,
    code: i64,
    context: &RequestContext,
) {
    out.reserve(7);
    match callee_op.entry {
        Entry::Http { method, route } => {
            let mut url = String::with_capacity(48);
            url.push_str("http://");
            url.push_str(callee.name);
            url.push(':');
            push_u64(&mut url, callee.port as u64);
            url.push_str(&url_path(route, context));
            out.push(kv_str("http.request.method", method));
            out.push(kv_str("url.full", url));
            out.push(kv_str("server.address", callee.name));
            out.push(kv_int("server.port", callee.port));
            out.push(kv_str("network.protocol.version", "1.1"));
            out.push(kv_int("http.response.status_code", code));
            if code >= 500 {
                out.push(kv_str(
                    "error.type",
                    if code == 503 { "503" } else { "500" },
                ));
            }
        }
        _ => {
            let method = callee_op.name.rsplit('/').next().unwrap_or_default();
            out.push(kv_str("rpc.system", "grpc"));
            out.push(kv_str("rpc.service", callee.rpc_service));
            out.push(kv_str("rpc.method", method.to_owned()));
            out.push(kv_str("server.address", callee.name));
            out.push(kv_int("server.port", callee.port));
            out.push(kv_int("rpc.grpc.status_code", code));
        }
    }
}

/// A language-flavoured stack trace for an exception thrown by `op`.
fn stacktrace(service: &Service, op: &Operation, failure: &Failure) -> String {
    let function = op.name.rsplit(['/', ' ']).next().unwrap_or("handle");
    let (ty, message, name) = (failure.exception_type, failure.message, service.name);
    match service.language {
        Language::Java => format!(
            "{ty}: {message}\n\tat oteldemo.AdService$AdServiceImpl.{function}(AdService.java:241)\n\tat \
             io.grpc.stub.ServerCalls$UnaryServerCallHandler$UnaryServerCallListener.onHalfClose(ServerCalls.java:182)\n\tat \
             io.grpc.internal.ServerImpl$JumpToApplicationThreadServerStreamListener$1HalfClosed.runInContext(ServerImpl.java:356)\n\tat \
             java.base/java.lang.Thread.run(Thread.java:1583)"
        ),
        Language::Go => format!(
            "goroutine 1423 [running]:\nmain.(*{name}).{function}(0xc0001a2000, {{0x1d3f6a8, 0xc000b2e1e0}})\n\t\
             /usr/src/app/main.go:312 +0x1a4\ngoogle.golang.org/grpc.(*Server).processUnaryRPC(0xc000188000)\n\t\
             /go/pkg/mod/google.golang.org/grpc@v1.73.0/server.go:1405 +0x1036"
        ),
        Language::NodeJs => format!(
            "{ty}: {message}\n    at {function} (/app/{name}/index.js:58:11)\n    at \
             process.processTicksAndRejections (node:internal/process/task_queues:105:5)"
        ),
        Language::DotNet => format!(
            "{ty}: {message}\n   at cart.cartstore.ValkeyCartStore.{function}Async(String userId) in \
             /src/cartstore/ValkeyCartStore.cs:line 218\n   at cart.services.CartService.{function}(ServerCallContext context) \
             in /src/services/CartService.cs:line 61"
        ),
        Language::Python => format!(
            "Traceback (most recent call last):\n  File \"/app/{name}_server.py\", line 88, in {function}\n    \
             result = handler(request)\n{ty}: {message}"
        ),
        Language::Rust => format!(
            "{ty}: {message}\n   0: {name}::handlers::{function}\n             at ./src/handlers.rs:97:14\n   1: \
             tokio::runtime::task::harness::poll_future"
        ),
        Language::Ruby => format!(
            "/app/{name}_server.rb:34:in `{function}': {message} ({ty})\n\tfrom \
             /usr/local/bundle/gems/sinatra-4.1.1/lib/sinatra/base.rb:1797:in `block in compile!'"
        ),
        Language::Cpp => format!("{ty}: {message}"),
    }
}

/// The `exception` event recorded when `op` fails with `failure`.
pub(super) fn exception_event(
    service: &Service,
    op: &Operation,
    failure: &Failure,
    at: u64,
) -> Event {
    Event {
        time_unix_nano: at,
        name: "exception".to_owned(),
        attributes: vec![
            kv_str("exception.type", failure.exception_type),
            kv_str("exception.message", failure.message),
            kv_str("exception.stacktrace", stacktrace(service, op, failure)),
        ],
        dropped_attributes_count: 0,
    }
}

/// A `feature_flag.evaluation` event.
pub(super) fn feature_flag_event(context: &RequestContext, at: u64) -> Event {
    let key = FLAG_KEYS[(context.session % FLAG_KEYS.len() as u64) as usize];
    let on = context.flags & 1 != 0 && key != "paymentFailure";
    Event {
        time_unix_nano: at,
        name: "feature_flag.evaluation".to_owned(),
        attributes: vec![
            kv_str("feature_flag.key", key),
            kv_str("feature_flag.provider.name", "flagd"),
            kv_str("feature_flag.result.variant", if on { "on" } else { "off" }),
        ],
        dropped_attributes_count: 0,
    }
}
