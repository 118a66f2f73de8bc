//! The simulated microservice shop the traffic generator draws from: services, their operations,
//! the downstream calls each operation makes (RPC to other services, database, cache, Kafka,
//! in-process work), and the latency and error models sampled for every call.
//!
//! The topology is plain data; [`crate::generator`] walks it to build spans, logs and metrics.

mod shop;

use rand::Rng;

/// Index of a service in [`Topology::services`].
pub type ServiceId = usize;
/// Index of an operation in [`Topology::operations`].
pub type OperationId = usize;

/// Probability that a sampled latency falls into the long tail.
pub const TAIL_PROBABILITY: f64 = 0.01;
/// Range of the slowdown factor applied to a long-tail sample.
pub const TAIL_FACTOR: (f64, f64) = (10.0, 50.0);

/// The PostgreSQL server every database call goes to.
pub const POSTGRES: Peer = Peer {
    host: "postgres",
    port: 5432,
    namespace: "shop",
};
/// The Redis server every cache call goes to.
pub const REDIS: Peer = Peer {
    host: "redis",
    port: 6379,
    namespace: "0",
};
/// The Kafka broker every produce/consume goes through.
pub const KAFKA: Peer = Peer {
    host: "kafka",
    port: 9092,
    namespace: "",
};

/// A piece of infrastructure that services call but that emits no spans of its own.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// `server.address` seen by clients.
    pub host: &'static str,
    /// `server.port` seen by clients.
    pub port: i64,
    /// `db.namespace` for databases and caches; empty for brokers.
    pub namespace: &'static str,
}

/// The language a service is written in; it decides SDK attributes and instrumentation scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// Go (opentelemetry-go).
    Go,
    /// Node.js (opentelemetry-js).
    NodeJs,
    /// .NET (opentelemetry-dotnet).
    DotNet,
    /// Python (opentelemetry-python).
    Python,
    /// Java (the Java agent).
    Java,
    /// Rust (opentelemetry-rust).
    Rust,
    /// C++ (opentelemetry-cpp).
    Cpp,
    /// Ruby (opentelemetry-ruby).
    Ruby,
}

impl Language {
    /// The `telemetry.sdk.language` value.
    pub fn sdk_language(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::NodeJs => "nodejs",
            Language::DotNet => "dotnet",
            Language::Python => "python",
            Language::Java => "java",
            Language::Rust => "rust",
            Language::Cpp => "cpp",
            Language::Ruby => "ruby",
        }
    }

    /// The `telemetry.sdk.version` value.
    pub fn sdk_version(self) -> &'static str {
        match self {
            Language::Go => "1.37.0",
            Language::NodeJs => "2.0.1",
            Language::DotNet => "1.12.0",
            Language::Python => "1.36.0",
            Language::Java => "1.52.0",
            Language::Rust => "0.30.0",
            Language::Cpp => "1.22.0",
            Language::Ruby => "1.5.0",
        }
    }
}

/// The protocol a service's own server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// HTTP/1.1 JSON APIs.
    Http,
    /// gRPC.
    Grpc,
}

/// One deployed microservice.
#[derive(Clone, Debug)]
pub struct Service {
    /// `service.name`.
    pub name: &'static str,
    /// `service.version`.
    pub version: &'static str,
    /// Implementation language.
    pub language: Language,
    /// Protocol its server speaks.
    pub protocol: Protocol,
    /// Fully qualified gRPC service (`rpc.service`), empty for HTTP services.
    pub rpc_service: &'static str,
    /// Port its server listens on.
    pub port: i64,
    /// Number of pods; each gets its own resource attributes.
    pub replicas: u8,
}

/// A log-normal-ish latency distribution with a long tail.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    /// Median duration in microseconds.
    pub median_us: u32,
    /// Spread (standard deviation of the underlying normal).
    pub sigma: f32,
}

impl Latency {
    /// Samples a duration in nanoseconds: `median * exp(sigma * z)`, and in
    /// [`TAIL_PROBABILITY`] of the cases slowed down by a factor drawn from [`TAIL_FACTOR`].
    pub fn sample_ns<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        // Irwin-Hall approximation of a standard normal: cheap and bounded.
        let sum: f64 = rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>();
        let z = (sum - 1.5) * 2.0;
        let mut nanos = f64::from(self.median_us) * 1_000.0 * (f64::from(self.sigma) * z).exp();
        if rng.random_bool(TAIL_PROBABILITY) {
            nanos *= rng.random_range(TAIL_FACTOR.0..TAIL_FACTOR.1);
        }
        nanos.max(1_000.0) as u64
    }
}

/// A way an operation can fail on its own.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Probability per call.
    pub probability: f64,
    /// `exception.type`.
    pub exception_type: &'static str,
    /// `exception.message` and the span status message.
    pub message: &'static str,
    /// `http.response.status_code` for HTTP servers, `rpc.grpc.status_code` for gRPC servers.
    pub code: i64,
}

/// How an operation is entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An HTTP server route.
    Http {
        /// `http.request.method`.
        method: &'static str,
        /// `http.route`.
        route: &'static str,
    },
    /// A gRPC method of the service's `rpc_service`.
    Grpc {
        /// `rpc.method`.
        method: &'static str,
    },
    /// A Kafka consumer processing a message from a topic.
    Consumer {
        /// `messaging.destination.name`.
        topic: &'static str,
    },
}

/// Application attributes (`app.*`) an operation sets from the request context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppAttribute {
    /// `app.user.id` (string).
    UserId,
    /// `app.session.id` (string).
    SessionId,
    /// `app.currency` (string).
    Currency,
    /// `app.product.id` (string).
    ProductId,
    /// `app.cart.items` (int).
    CartItems,
    /// `app.order.id` (string).
    OrderId,
    /// `app.total` (double).
    Total,
    /// `app.shipping.cost` (double).
    ShippingCost,
    /// `app.shipping.tracking.id` (string).
    TrackingId,
    /// `app.products.count` (int).
    ProductsCount,
    /// `app.recommendation.product_ids` (array of strings).
    RecommendedProducts,
    /// `app.feature.*` booleans.
    FeatureFlags,
}

/// How many times a call repeats when it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Exactly once.
    Once,
    /// Uniformly between the two bounds, inclusive.
    Range(u8, u8),
    /// Once per item in the request's cart.
    PerCartItem,
}

/// A database statement.
#[derive(Clone, Debug)]
pub struct DbCall {
    /// `db.operation.name`, e.g. `SELECT`.
    pub operation: &'static str,
    /// `db.collection.name`, e.g. `products`.
    pub collection: &'static str,
    /// `db.query.text` (parameterised).
    pub query: &'static str,
    /// Duration distribution.
    pub latency: Latency,
    /// Probability of a database error (timeout, deadlock).
    pub error_probability: f64,
}

/// A Redis command.
#[derive(Clone, Debug)]
pub struct CacheCall {
    /// `db.operation.name`, e.g. `HGET`.
    pub command: &'static str,
    /// Key prefix; the generator appends a request-specific id.
    pub key_prefix: &'static str,
    /// Duration distribution.
    pub latency: Latency,
}

/// What a downstream call reaches.
#[derive(Clone, Debug)]
pub enum CallTarget {
    /// Another service's operation: a client span here, a server span there.
    Operation(OperationId),
    /// A PostgreSQL statement: one client span.
    Database(DbCall),
    /// A Redis command: one client span.
    Cache(CacheCall),
    /// A Kafka message: a producer span here, a consumer span in `consumer`'s service.
    Produce {
        /// `messaging.destination.name`.
        topic: &'static str,
        /// The consuming operation (entered with [`Entry::Consumer`]).
        consumer: OperationId,
    },
    /// In-process work: one internal span.
    Internal {
        /// Span name.
        name: &'static str,
        /// Duration distribution.
        latency: Latency,
    },
}

/// One downstream call of an operation.
#[derive(Clone, Debug)]
pub struct Call {
    /// Probability that the call happens at all.
    pub probability: f64,
    /// How often it repeats when it happens.
    pub repeat: Repeat,
    /// What it reaches.
    pub target: CallTarget,
}

impl Call {
    /// Makes the call happen with probability `p`.
    pub fn prob(mut self, p: f64) -> Self {
        self.probability = p;
        self
    }

    /// Repeats the call between `min` and `max` times.
    pub fn repeat(mut self, min: u8, max: u8) -> Self {
        self.repeat = Repeat::Range(min, max);
        self
    }

    /// Repeats the call once per cart item.
    pub fn per_cart_item(mut self) -> Self {
        self.repeat = Repeat::PerCartItem;
        self
    }
}

/// A unit of work a service serves: one server (or consumer) span plus its downstream calls.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The service that serves it.
    pub service: ServiceId,
    /// Span name of the server span (`GET /api/cart`, `oteldemo.CartService/GetCart`, ...).
    pub name: String,
    /// How it is entered.
    pub entry: Entry,
    /// Time spent in the operation itself, excluding downstream calls.
    pub self_latency: Latency,
    /// Whether downstream calls run concurrently (fan-out) instead of one after another.
    pub parallel: bool,
    /// Ways it fails on its own.
    pub failures: Vec<Failure>,
    /// Downstream calls, in order.
    pub calls: Vec<Call>,
    /// `app.*` attributes set on its server span.
    pub app_attributes: &'static [AppAttribute],
}

/// Services, operations and the entry points (root operations) traffic starts from.
#[derive(Clone, Debug)]
pub struct Topology {
    /// All services, indexed by [`ServiceId`].
    pub services: Vec<Service>,
    /// All operations, indexed by [`OperationId`].
    pub operations: Vec<Operation>,
    /// Root operations with their relative request weights.
    pub entry_points: Vec<(OperationId, u32)>,
}

impl Topology {
    /// The online shop: ten services around PostgreSQL, Redis and Kafka.
    pub fn shop() -> Self {
        shop::build()
    }

    /// Looks an operation up by service name and span name.
    pub fn find_operation(&self, service: &str, name: &str) -> Option<OperationId> {
        self.operations
            .iter()
            .position(|op| op.name == name && self.services[op.service].name == service)
    }

    /// Draws a root operation according to the entry-point weights.
    pub fn pick_entry_point<R: Rng + ?Sized>(&self, rng: &mut R) -> OperationId {
        let total: u32 = self.entry_points.iter().map(|(_, w)| w).sum();
        let mut ticket = rng.random_range(0..total);
        for &(op, weight) in &self.entry_points {
            if ticket < weight {
                return op;
            }
            ticket -= weight;
        }
        self.entry_points[0].0
    }

    /// Whether any operation of `service` talks to PostgreSQL.
    pub fn uses_database(&self, service: ServiceId) -> bool {
        self.operations.iter().any(|op| {
            op.service == service
                && op
                    .calls
                    .iter()
                    .any(|c| matches!(c.target, CallTarget::Database(_)))
        })
    }
}

/// Builds an operation in place; returned by the `Topology` builder helpers in `shop`.
pub(crate) struct OperationBuilder<'a> {
    topology: &'a mut Topology,
    id: OperationId,
}

impl OperationBuilder<'_> {
    fn op(&mut self) -> &mut Operation {
        &mut self.topology.operations[self.id]
    }

    /// Sets the `app.*` attributes.
    pub(crate) fn attrs(mut self, attributes: &'static [AppAttribute]) -> Self {
        self.op().app_attributes = attributes;
        self
    }

    /// Adds a failure mode.
    pub(crate) fn fails(
        mut self,
        p: f64,
        ty: &'static str,
        message: &'static str,
        code: i64,
    ) -> Self {
        self.op().failures.push(Failure {
            probability: p,
            exception_type: ty,
            message,
            code,
        });
        self
    }

    /// Runs downstream calls concurrently.
    pub(crate) fn parallel(mut self) -> Self {
        self.op().parallel = true;
        self
    }

    /// Appends a downstream call.
    pub(crate) fn call(mut self, call: Call) -> Self {
        self.op().calls.push(call);
        self
    }

    /// Finishes the operation.
    pub(crate) fn id(self) -> OperationId {
        self.id
    }
}

impl Topology {
    /// Adds an operation of `service` and returns a builder for it.
    pub(crate) fn add(
        &mut self,
        service: ServiceId,
        entry: Entry,
        latency: Latency,
    ) -> OperationBuilder<'_> {
        let name = match entry {
            Entry::Http { method, route } => format!("{method} {route}"),
            Entry::Grpc { method } => format!("{}/{method}", self.services[service].rpc_service),
            Entry::Consumer { topic } => format!("process {topic}"),
        };
        self.operations.push(Operation {
            service,
            name,
            entry,
            self_latency: latency,
            parallel: false,
            failures: Vec::new(),
            calls: Vec::new(),
            app_attributes: &[],
        });
        let id = self.operations.len() - 1;
        OperationBuilder { topology: self, id }
    }
}

/// A latency with the given median (µs) and spread.
pub const fn lat(median_us: u32, sigma: f32) -> Latency {
    Latency { median_us, sigma }
}

fn call(target: CallTarget) -> Call {
    Call {
        probability: 1.0,
        repeat: Repeat::Once,
        target,
    }
}

/// A call to another service's operation.
pub fn rpc(operation: OperationId) -> Call {
    call(CallTarget::Operation(operation))
}

/// A PostgreSQL statement with a 0.2% error rate.
pub fn db(
    operation: &'static str,
    collection: &'static str,
    query: &'static str,
    latency: Latency,
) -> Call {
    call(CallTarget::Database(DbCall {
        operation,
        collection,
        query,
        latency,
        error_probability: 0.002,
    }))
}

/// A Redis command on a key starting with `key_prefix`.
pub fn cache(command: &'static str, key_prefix: &'static str, latency: Latency) -> Call {
    call(CallTarget::Cache(CacheCall {
        command,
        key_prefix,
        latency,
    }))
}

/// A Kafka message to `topic`, consumed by `consumer`.
pub fn produce(topic: &'static str, consumer: OperationId) -> Call {
    call(CallTarget::Produce { topic, consumer })
}

/// In-process work recorded as an internal span.
pub fn internal(name: &'static str, latency: Latency) -> Call {
    call(CallTarget::Internal { name, latency })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn shop_has_the_expected_services_and_resolvable_calls() {
        let topology = Topology::shop();
        let names: Vec<_> = topology.services.iter().map(|s| s.name).collect();
        for expected in [
            "frontend", "cart", "checkout", "payment", "shipping", "currency",
        ] {
            assert!(names.contains(&expected), "missing {expected}");
        }
        assert_eq!(topology.services.len(), 10);
        for op in &topology.operations {
            for call in &op.calls {
                match call.target {
                    CallTarget::Operation(target) => {
                        assert_ne!(topology.operations[target].service, op.service)
                    }
                    CallTarget::Produce { consumer, .. } => {
                        assert!(matches!(
                            topology.operations[consumer].entry,
                            Entry::Consumer { .. }
                        ));
                    }
                    _ => {}
                }
            }
        }
        for &(op, _) in &topology.entry_points {
            assert_eq!(
                topology.services[topology.operations[op].service].name,
                "frontend"
            );
        }
        assert!(
            topology
                .find_operation("cart", "oteldemo.CartService/GetCart")
                .is_some()
        );
        assert!(
            topology.uses_database(
                topology.operations[topology
                    .find_operation("checkout", "oteldemo.CheckoutService/PlaceOrder")
                    .unwrap()]
                .service
            )
        );
    }

    #[test]
    fn latency_has_a_median_near_the_configured_one_and_a_long_tail() {
        let mut rng = StdRng::seed_from_u64(7);
        let latency = lat(1_000, 0.4);
        let mut samples: Vec<u64> = (0..20_000).map(|_| latency.sample_ns(&mut rng)).collect();
        samples.sort_unstable();
        let median = samples[samples.len() / 2];
        assert!((800_000..1_250_000).contains(&median), "median {median}");
        let max = *samples.last().unwrap();
        assert!(max > 10 * median, "no tail: max {max}");
    }
}
