//! The concrete shop topology, modelled on the OpenTelemetry demo: a Node.js frontend fanning
//! out over gRPC and HTTP to nine backend services written in different languages.

use super::AppAttribute as A;
use super::{Entry, Language, Protocol, Service, Topology, cache, db, internal, lat, produce, rpc};

const FRONTEND: usize = 0;
const CART: usize = 1;
const CHECKOUT: usize = 2;
const PAYMENT: usize = 3;
const SHIPPING: usize = 4;
const CURRENCY: usize = 5;
const PRODUCT_CATALOG: usize = 6;
const RECOMMENDATION: usize = 7;
const EMAIL: usize = 8;
const AD: usize = 9;

const PRODUCT_COLUMNS_BY_ID: &str = "SELECT id, name, description, picture, price_currency_code, \
     price_units, price_nanos, categories FROM products WHERE id = $1";

fn service(
    name: &'static str,
    version: &'static str,
    language: Language,
    rpc_service: &'static str,
    port: i64,
    replicas: u8,
) -> Service {
    let protocol = if rpc_service.is_empty() {
        Protocol::Http
    } else {
        Protocol::Grpc
    };
    Service {
        name,
        version,
        language,
        protocol,
        rpc_service,
        port,
        replicas,
    }
}

fn http(method: &'static str, route: &'static str) -> Entry {
    Entry::Http { method, route }
}

fn grpc(method: &'static str) -> Entry {
    Entry::Grpc { method }
}

fn consumer(topic: &'static str) -> Entry {
    Entry::Consumer { topic }
}

/// Builds the shop. Operations are added leaves first so that callers can refer to callees.
pub(super) fn build() -> Topology {
    let services = vec![
        service("frontend", "2.1.3", Language::NodeJs, "", 8080, 3),
        service(
            "cart",
            "1.14.2",
            Language::DotNet,
            "oteldemo.CartService",
            7070,
            2,
        ),
        service(
            "checkout",
            "3.0.1",
            Language::Go,
            "oteldemo.CheckoutService",
            5050,
            2,
        ),
        service(
            "payment",
            "1.8.0",
            Language::NodeJs,
            "oteldemo.PaymentService",
            50051,
            2,
        ),
        service("shipping", "0.9.4", Language::Rust, "", 50050, 2),
        service(
            "currency",
            "1.2.0",
            Language::Cpp,
            "oteldemo.CurrencyService",
            7001,
            2,
        ),
        service(
            "product-catalog",
            "2.4.0",
            Language::Go,
            "oteldemo.ProductCatalogService",
            3550,
            3,
        ),
        service(
            "recommendation",
            "1.5.2",
            Language::Python,
            "oteldemo.RecommendationService",
            9001,
            2,
        ),
        service("email", "1.1.0", Language::Ruby, "", 6060, 1),
        service("ad", "2.0.7", Language::Java, "oteldemo.AdService", 9555, 2),
    ];
    let mut t = Topology {
        services,
        operations: Vec::new(),
        entry_points: Vec::new(),
    };

    // currency
    let supported_currencies = t
        .add(CURRENCY, grpc("GetSupportedCurrencies"), lat(120, 0.3))
        .id();
    let convert = t
        .add(CURRENCY, grpc("Convert"), lat(180, 0.35))
        .attrs(&[A::Currency])
        .fails(
            0.001,
            "std::invalid_argument",
            "unsupported currency code",
            3,
        )
        .id();

    // product-catalog
    let list_products = t
        .add(PRODUCT_CATALOG, grpc("ListProducts"), lat(350, 0.4))
        .attrs(&[A::ProductsCount])
        .call(db(
            "SELECT",
            "products",
            "SELECT id, name, description, picture, price_currency_code, price_units, price_nanos, \
             categories FROM products ORDER BY id LIMIT $1",
            lat(1_400, 0.5),
        ))
        .id();
    let get_product = t
        .add(PRODUCT_CATALOG, grpc("GetProduct"), lat(220, 0.35))
        .attrs(&[A::ProductId])
        .fails(
            0.004,
            "*status.Error",
            "Error: Product Catalog Fail Feature Flag Enabled",
            13,
        )
        .call(cache("GET", "product:", lat(280, 0.3)))
        .call(db("SELECT", "products", PRODUCT_COLUMNS_BY_ID, lat(900, 0.45)).prob(0.2))
        .id();
    let search_products = t
        .add(PRODUCT_CATALOG, grpc("SearchProducts"), lat(500, 0.4))
        .attrs(&[A::ProductsCount])
        .call(db(
            "SELECT",
            "products",
            "SELECT id, name, price_units FROM products WHERE name ILIKE $1 OR description ILIKE $1",
            lat(4_000, 0.7),
        ))
        .id();

    // cart
    let get_cart = t
        .add(CART, grpc("GetCart"), lat(160, 0.3))
        .attrs(&[A::UserId, A::CartItems])
        .call(cache("HGETALL", "cart:", lat(320, 0.3)))
        .id();
    let add_item = t
        .add(CART, grpc("AddItem"), lat(200, 0.3))
        .attrs(&[A::UserId, A::ProductId, A::CartItems])
        .fails(
            0.002,
            "StackExchange.Redis.RedisConnectionException",
            "No connection is active/available to service this operation: HSET cart",
            14,
        )
        .call(cache("HSET", "cart:", lat(300, 0.3)))
        .call(cache("EXPIRE", "cart:", lat(200, 0.3)))
        .id();
    let empty_cart = t
        .add(CART, grpc("EmptyCart"), lat(140, 0.3))
        .attrs(&[A::UserId])
        .fails(
            0.004,
            "System.ApplicationException",
            "Can't access cart storage.",
            9,
        )
        .call(cache("DEL", "cart:", lat(250, 0.3)))
        .id();

    // payment
    let charge = t
        .add(PAYMENT, grpc("Charge"), lat(700, 0.5))
        .attrs(&[A::Total, A::Currency])
        .fails(
            0.012,
            "Error",
            "Payment request failed. Invalid token. app.loyalty.level=gold",
            2,
        )
        .fails(0.004, "CreditCardError", "Credit card info is invalid", 3)
        .call(internal("validateCard", lat(90, 0.3)))
        .call(internal("chargeCard", lat(1_800, 0.6)))
        .id();

    // shipping
    let get_quote = t
        .add(SHIPPING, http("POST", "/get-quote"), lat(250, 0.35))
        .attrs(&[A::CartItems, A::ShippingCost])
        .call(cache("GET", "quote:", lat(260, 0.3)))
        .call(internal("calculate_quote", lat(80, 0.3)))
        .id();
    let ship_order = t
        .add(SHIPPING, http("POST", "/ship-order"), lat(300, 0.4))
        .attrs(&[A::OrderId, A::TrackingId])
        .fails(0.003, "reqwest::Error", "error sending request for url (http://carrier-api/v1/labels)", 503)
        .call(db(
            "INSERT",
            "shipments",
            "INSERT INTO shipments (order_id, tracking_id, address, created_at) VALUES ($1, $2, $3, now())",
            lat(1_200, 0.45),
        ))
        .id();

    // email
    let send_confirmation = t
        .add(
            EMAIL,
            http("POST", "/send_order_confirmation"),
            lat(400, 0.4),
        )
        .attrs(&[A::OrderId])
        .fails(
            0.005,
            "Net::SMTPServerBusy",
            "454 4.7.0 Temporary authentication failure",
            503,
        )
        .call(internal("render_template", lat(1_500, 0.4)))
        .call(internal("deliver_mail", lat(3_000, 0.6)))
        .id();

    // ad: serves ads and consumes orders to track conversions
    let get_ads = t
        .add(AD, grpc("GetAds"), lat(450, 0.4))
        .fails(
            0.003,
            "java.lang.IllegalStateException",
            "Ad service failed: adServiceFailure feature flag is enabled",
            13,
        )
        .call(cache("GET", "ads:", lat(250, 0.3)))
        .call(
            db(
                "SELECT",
                "ads",
                "SELECT id, text, redirect_url FROM ads WHERE category = ANY($1) LIMIT 2",
                lat(1_000, 0.5),
            )
            .prob(0.3),
        )
        .id();
    let process_orders = t
        .add(AD, consumer("orders"), lat(300, 0.4))
        .attrs(&[A::OrderId, A::Total])
        .call(db(
            "UPDATE",
            "ad_conversions",
            "UPDATE ad_conversions SET orders = orders + 1, revenue = revenue + $2 WHERE ad_id = $1",
            lat(1_100, 0.5),
        ))
        .id();

    // recommendation: serves recommendations and consumes product views
    let list_recommendations = t
        .add(RECOMMENDATION, grpc("ListRecommendations"), lat(600, 0.45))
        .attrs(&[A::ProductId, A::RecommendedProducts])
        .call(cache("GET", "recommendations:", lat(300, 0.3)))
        .call(rpc(list_products).prob(0.6))
        .id();
    let process_user_events = t
        .add(RECOMMENDATION, consumer("user-events"), lat(250, 0.4))
        .attrs(&[A::UserId, A::ProductId])
        .call(cache("ZINCRBY", "popularity:", lat(220, 0.3)))
        .id();

    // checkout
    let place_order = t
        .add(CHECKOUT, grpc("PlaceOrder"), lat(500, 0.4))
        .attrs(&[
            A::UserId,
            A::Currency,
            A::OrderId,
            A::CartItems,
            A::Total,
            A::ShippingCost,
            A::TrackingId,
        ])
        .fails(
            0.002,
            "*errors.errorString",
            "failed to prepare order: rpc error: code = Unavailable desc = connection refused",
            14,
        )
        .call(internal(
            "prepareOrderItemsAndShippingQuoteFromCart",
            lat(60, 0.3),
        ))
        .call(rpc(get_cart))
        .call(rpc(get_product).per_cart_item())
        .call(rpc(convert).per_cart_item())
        .call(rpc(get_quote))
        .call(rpc(convert))
        .call(rpc(charge))
        .call(rpc(ship_order))
        .call(rpc(empty_cart))
        .call(db(
            "INSERT",
            "orders",
            "INSERT INTO orders (id, user_id, total_units, total_nanos, currency_code, created_at) \
             VALUES ($1, $2, $3, $4, $5, now())",
            lat(1_300, 0.45),
        ))
        .call(produce("orders", process_orders))
        .call(rpc(send_confirmation))
        .id();

    // frontend
    let home = t
        .add(FRONTEND, http("GET", "/"), lat(900, 0.45))
        .attrs(&[A::UserId, A::SessionId, A::Currency, A::FeatureFlags])
        .fails(0.002, "Error", "ECONNRESET: socket hang up", 503)
        .parallel()
        .call(rpc(supported_currencies))
        .call(rpc(list_products))
        .call(rpc(get_cart))
        .call(rpc(list_recommendations))
        .call(rpc(get_ads).prob(0.8))
        .id();
    let product_page = t
        .add(FRONTEND, http("GET", "/product/{id}"), lat(800, 0.45))
        .attrs(&[A::UserId, A::SessionId, A::ProductId, A::FeatureFlags])
        .fails(0.002, "Error", "ECONNRESET: socket hang up", 503)
        .parallel()
        .call(rpc(get_product))
        .call(rpc(supported_currencies))
        .call(rpc(convert))
        .call(rpc(get_cart))
        .call(rpc(list_recommendations))
        .call(rpc(get_ads).prob(0.8))
        .call(produce("user-events", process_user_events).prob(0.9))
        .id();
    let add_to_cart = t
        .add(FRONTEND, http("POST", "/api/cart"), lat(500, 0.4))
        .attrs(&[A::UserId, A::SessionId, A::ProductId, A::CartItems])
        .call(rpc(get_product))
        .call(rpc(add_item))
        .id();
    let view_cart = t
        .add(FRONTEND, http("GET", "/api/cart"), lat(600, 0.4))
        .attrs(&[A::UserId, A::SessionId, A::CartItems, A::Currency])
        .call(rpc(get_cart))
        .call(rpc(convert).per_cart_item())
        .call(rpc(get_quote).prob(0.7))
        .call(rpc(list_recommendations).prob(0.5))
        .id();
    let checkout = t
        .add(FRONTEND, http("POST", "/api/checkout"), lat(700, 0.4))
        .attrs(&[
            A::UserId,
            A::SessionId,
            A::Currency,
            A::CartItems,
            A::FeatureFlags,
        ])
        .fails(0.002, "Error", "ECONNRESET: socket hang up", 503)
        .call(rpc(place_order))
        .id();
    let search = t
        .add(FRONTEND, http("GET", "/api/products"), lat(450, 0.4))
        .attrs(&[A::UserId, A::SessionId])
        .call(rpc(search_products))
        .call(rpc(supported_currencies).prob(0.5))
        .id();
    let ads_api = t
        .add(FRONTEND, http("GET", "/api/data"), lat(300, 0.4))
        .attrs(&[A::SessionId])
        .call(rpc(get_ads))
        .id();

    t.entry_points = vec![
        (home, 25),
        (product_page, 35),
        (add_to_cart, 10),
        (view_cart, 12),
        (checkout, 5),
        (search, 8),
        (ads_api, 5),
    ];
    t
}
