//! Resources (one per service pod) and instrumentation scopes (one per kind of instrumentation
//! and language) that generated spans, logs and metrics are grouped under.

use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
use opentelemetry_proto::tonic::resource::v1::Resource;
use rand::Rng;

use super::values::{kv_int, kv_str, push_hex, uuid_string};
use crate::topology::{Language, Service};

/// The instrumentation that produced a span, log or metric; selects the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScopeKind {
    /// HTTP server instrumentation.
    HttpServer = 0,
    /// HTTP client instrumentation.
    HttpClient = 1,
    /// gRPC client and server instrumentation.
    Grpc = 2,
    /// SQL driver instrumentation.
    Db = 3,
    /// Redis client instrumentation.
    Cache = 4,
    /// Kafka client instrumentation.
    Messaging = 5,
    /// The application's own tracer.
    Internal = 6,
    /// Runtime / process metrics instrumentation.
    Runtime = 7,
    /// The logging bridge.
    Log = 8,
}

/// Number of [`ScopeKind`] variants.
pub(crate) const SCOPE_KINDS: usize = 9;

/// All scope kinds, indexed by their discriminant.
pub(crate) const ALL_SCOPE_KINDS: [ScopeKind; SCOPE_KINDS] = [
    ScopeKind::HttpServer,
    ScopeKind::HttpClient,
    ScopeKind::Grpc,
    ScopeKind::Db,
    ScopeKind::Cache,
    ScopeKind::Messaging,
    ScopeKind::Internal,
    ScopeKind::Runtime,
    ScopeKind::Log,
];

/// The well-known instrumentation library name and version, or `None` for the service's own.
fn library(language: Language, kind: ScopeKind) -> Option<(&'static str, &'static str)> {
    use Language::*;
    use ScopeKind::*;
    Some(match (language, kind) {
        (Go, HttpServer | HttpClient) => (
            "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
            "0.62.0",
        ),
        (Go, Grpc) => (
            "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc",
            "0.62.0",
        ),
        (Go, Db) => ("github.com/XSAM/otelsql", "0.39.0"),
        (Go, Cache) => ("github.com/redis/go-redis/extra/redisotel", "9.11.0"),
        (Go, Messaging) => (
            "go.opentelemetry.io/contrib/instrumentation/github.com/IBM/sarama/otelsarama",
            "0.43.0",
        ),
        (Go, Runtime) => (
            "go.opentelemetry.io/contrib/instrumentation/runtime",
            "0.62.0",
        ),
        (Go, Log) => ("go.opentelemetry.io/contrib/bridges/otelslog", "0.12.0"),
        (NodeJs, HttpServer | HttpClient) => ("@opentelemetry/instrumentation-http", "0.203.0"),
        (NodeJs, Grpc) => ("@opentelemetry/instrumentation-grpc", "0.203.0"),
        (NodeJs, Db) => ("@opentelemetry/instrumentation-pg", "0.55.0"),
        (NodeJs, Cache) => ("@opentelemetry/instrumentation-ioredis", "0.51.0"),
        (NodeJs, Messaging) => ("@opentelemetry/instrumentation-kafkajs", "0.12.0"),
        (NodeJs, Runtime) => ("@opentelemetry/host-metrics", "0.36.0"),
        (NodeJs, Log) => ("@opentelemetry/winston-transport", "0.14.0"),
        (DotNet, HttpServer | Grpc) => ("Microsoft.AspNetCore", ""),
        (DotNet, HttpClient) => ("System.Net.Http", ""),
        (DotNet, Db) => ("Npgsql", "9.0.3"),
        (DotNet, Cache) => (
            "OpenTelemetry.Instrumentation.StackExchangeRedis",
            "1.12.0-beta.2",
        ),
        (DotNet, Runtime) => ("OpenTelemetry.Instrumentation.Runtime", "1.12.0"),
        (Python, HttpServer) => ("opentelemetry.instrumentation.flask", "0.57b0"),
        (Python, HttpClient) => ("opentelemetry.instrumentation.requests", "0.57b0"),
        (Python, Grpc) => ("opentelemetry.instrumentation.grpc", "0.57b0"),
        (Python, Db) => ("opentelemetry.instrumentation.psycopg2", "0.57b0"),
        (Python, Cache) => ("opentelemetry.instrumentation.redis", "0.57b0"),
        (Python, Messaging) => ("opentelemetry.instrumentation.confluent_kafka", "0.57b0"),
        (Python, Runtime) => ("opentelemetry.instrumentation.system_metrics", "0.57b0"),
        (Java, HttpServer) => ("io.opentelemetry.netty-4.1", "2.18.1-alpha"),
        (Java, HttpClient) => ("io.opentelemetry.java-http-client", "2.18.1-alpha"),
        (Java, Grpc) => ("io.opentelemetry.grpc-1.6", "2.18.1-alpha"),
        (Java, Db) => ("io.opentelemetry.jdbc", "2.18.1-alpha"),
        (Java, Cache) => ("io.opentelemetry.lettuce-5.1", "2.18.1-alpha"),
        (Java, Messaging) => ("io.opentelemetry.kafka-clients-0.11", "2.18.1-alpha"),
        (Java, Runtime) => ("io.opentelemetry.runtime-telemetry-java17", "2.18.1-alpha"),
        (Java, Log) => ("oteldemo.AdService", ""),
        (Rust, HttpServer) => ("actix-web-opentelemetry", "0.22.0"),
        (Rust, HttpClient | Db) => ("tracing-opentelemetry", "0.31.0"),
        (Ruby, HttpServer) => ("OpenTelemetry::Instrumentation::Sinatra", "0.26.0"),
        (Ruby, HttpClient) => ("OpenTelemetry::Instrumentation::Net::HTTP", "0.24.0"),
        _ => return None,
    })
}

/// The instrumentation scope `service` reports `kind` telemetry under.
pub(crate) fn scope(service: &Service, kind: ScopeKind) -> InstrumentationScope {
    let (name, version) =
        library(service.language, kind).unwrap_or((service.name, service.version));
    InstrumentationScope {
        name: name.to_owned(),
        version: version.to_owned(),
        ..Default::default()
    }
}

/// The distinct scopes of one service and which of them each [`ScopeKind`] reports under
/// (one library can cover several kinds, e.g. HTTP server and client).
#[derive(Clone, Debug)]
pub(crate) struct ServiceScopes {
    /// Distinct scopes, each used for one `ScopeSpans` / `ScopeLogs` / `ScopeMetrics`.
    pub unique: Vec<InstrumentationScope>,
    /// Index into `unique` per [`ScopeKind`].
    pub slot: [usize; SCOPE_KINDS],
}

impl ServiceScopes {
    /// The scope `kind` telemetry is reported under.
    pub(crate) fn scope(&self, kind: ScopeKind) -> &InstrumentationScope {
        &self.unique[self.slot[kind as usize]]
    }
}

/// All scopes of `service`.
pub(crate) fn scopes(service: &Service) -> ServiceScopes {
    let mut unique: Vec<InstrumentationScope> = Vec::new();
    let mut slot = [0; SCOPE_KINDS];
    for kind in ALL_SCOPE_KINDS {
        let scope = scope(service, kind);
        slot[kind as usize] = match unique.iter().position(|s| *s == scope) {
            Some(existing) => existing,
            None => {
                unique.push(scope);
                unique.len() - 1
            }
        };
    }
    ServiceScopes { unique, slot }
}

fn runtime_name(language: Language) -> &'static str {
    match language {
        Language::Go => "go",
        Language::NodeJs => "nodejs",
        Language::DotNet => ".NET",
        Language::Python => "cpython",
        Language::Java => "OpenJDK Runtime Environment",
        Language::Rust => "rustc",
        Language::Cpp => "native",
        Language::Ruby => "ruby",
    }
}

/// Resource of one pod of `service`: service, deployment, Kubernetes, host, cloud, process and
/// SDK attributes. Pods of a service share a deployment but differ in names and ids.
pub(crate) fn pod_resource<R: Rng + ?Sized>(service: &Service, rng: &mut R) -> Resource {
    const ZONES: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
    let node = rng.random_range(0..6u8);
    let mut host = String::from("ip-10-0-");
    super::values::push_u64(&mut host, u64::from(node) * 16 + 3);
    host.push('-');
    super::values::push_u64(&mut host, u64::from(rng.random_range(10..250u8)));
    host.push_str(".eu-west-1.compute.internal");
    let mut pod = String::from(service.name);
    pod.push('-');
    push_hex(&mut pod, &rng.random::<[u8; 5]>()[..]);
    pod.truncate(service.name.len() + 10);
    pod.push('-');
    const POD_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    for _ in 0..5 {
        pod.push(POD_CHARS[rng.random_range(0..POD_CHARS.len())] as char);
    }
    let mut container = String::with_capacity(64);
    push_hex(&mut container, &rng.random::<[u8; 32]>()[..]);
    let language = service.language;
    let attributes = vec![
        kv_str("service.name", service.name),
        kv_str("service.version", service.version),
        kv_str("service.namespace", "shop"),
        kv_str("service.instance.id", uuid_string(rng.random())),
        kv_str("deployment.environment.name", "production"),
        kv_str("host.name", host.clone()),
        kv_str("host.arch", "amd64"),
        kv_str("os.type", "linux"),
        kv_str("k8s.cluster.name", "prod-eu-west-1"),
        kv_str("k8s.namespace.name", "shop"),
        kv_str("k8s.deployment.name", service.name),
        kv_str("k8s.pod.name", pod),
        kv_str("k8s.node.name", host),
        kv_str("container.id", container),
        kv_str("cloud.provider", "aws"),
        kv_str("cloud.region", "eu-west-1"),
        kv_str(
            "cloud.availability_zone",
            ZONES[usize::from(node) % ZONES.len()],
        ),
        kv_int("process.pid", rng.random_range(1..65_536)),
        kv_str("process.runtime.name", runtime_name(language)),
        kv_str("telemetry.sdk.name", "opentelemetry"),
        kv_str("telemetry.sdk.language", language.sdk_language()),
        kv_str("telemetry.sdk.version", language.sdk_version()),
    ];
    Resource {
        attributes,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_service_has_named_scopes_and_a_complete_resource() {
        let topology = Topology::shop();
        let mut rng = StdRng::seed_from_u64(3);
        for service in &topology.services {
            let scopes = scopes(service);
            assert!(scopes.unique.len() <= SCOPE_KINDS);
            assert!(scopes.unique.iter().all(|s| !s.name.is_empty()));
            assert_eq!(scopes.scope(ScopeKind::Internal).name, service.name);
            let resource = pod_resource(service, &mut rng);
            let keys: Vec<_> = resource
                .attributes
                .iter()
                .map(|kv| kv.key.as_str())
                .collect();
            for key in [
                "service.name",
                "host.name",
                "k8s.pod.name",
                "telemetry.sdk.language",
            ] {
                assert!(keys.contains(&key), "{key} missing");
            }
        }
    }
}
