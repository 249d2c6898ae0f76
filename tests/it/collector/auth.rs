//! Authentication: off on loopback, required elsewhere; header token, Bearer and Basic; a
//! rejected request stores nothing; the tenant comes from the token, never from telemetry;
//! credentials are never stored.

use base64::Engine as _;

use codetel::collector::auth::Tokens;
use codetel::collector::{self, StartError};

use super::harness::*;

const JSON: &str = "application/json";

fn tokens() -> Tokens {
    Tokens::parse("acme:tok-acme-0001\nglobex:pk-globex:sk-globex-0002\n", "test tokens", Some("X-ScoreFlow-Token".to_owned()))
        .expect("tokens")
}

#[tokio::test]
async fn a_non_loopback_address_without_tokens_refuses_to_start() {
    let dir = temp_dir("auth_required");
    for address in ["0.0.0.0:0", "[::]:0"] {
        let mut config = config(&dir);
        config.http = Some(address.parse().expect("address"));
        match collector::start(config).await {
            Err(StartError::Config(message)) => {
                assert!(message.contains("requires authentication") && message.contains("--auth-tokens-file"), "{message}")
            }
            Err(other) => panic!("unexpected error {other}"),
            Ok(running) => {
                let _ = running.shutdown().await;
                panic!("started on {address} without authentication");
            }
        }
    }
    let mut config = config(&dir);
    config.grpc = Some("0.0.0.0:0".parse().expect("address"));
    assert!(matches!(collector::start(config).await, Err(StartError::Config(_))), "gRPC too");
}

#[tokio::test]
async fn header_bearer_and_basic_tokens_authenticate_and_anything_else_is_401_storing_nothing() {
    let dir = temp_dir("auth_schemes");
    let mut config = config(&dir);
    config.tokens = Some(tokens());
    let running = serve(config).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-globex:sk-globex-0002"));
    let refused: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("authorization", "Bearer tok-acme-0002")],
        vec![("authorization", "Bearer tok-acme-000")],
        vec![("authorization", "Basic bm90OnJpZ2h0")],
        vec![("x-scoreflow-token", "pk-globex")],
        vec![("x-other-token", "tok-acme-0001")],
    ];
    for headers in &refused {
        let reply = post(&client, &url, JSON, b"{}".to_vec(), headers).await;
        assert_eq!(reply.status, 401, "{headers:?}");
        assert_eq!(reply.json()["code"], 16);
        assert!(reply.header("www-authenticate").is_some());
    }
    // Authentication comes before the media type: an unauthenticated client learns nothing.
    assert_eq!(post(&client, &url, "text/plain", b"x".to_vec(), &[]).await.status, 401);
    assert_eq!(stored_requests(&dir.join("codetel.db")), 0, "a rejected request stores nothing");

    let accepted: [(&str, &str); 3] =
        [("authorization", "Bearer tok-acme-0001"), ("x-scoreflow-token", "tok-acme-0001"), ("authorization", &basic)];
    for (index, header) in accepted.iter().enumerate() {
        let body = format!("{{\"resourceLogs\":[],\"n\":{index}}}");
        let reply = post(&client, &url, JSON, body.into_bytes(), &[*header]).await;
        assert_eq!(reply.status, 200, "{header:?}");
    }
    // The read API needs a token too.
    let reply = send(&client, reqwest::Method::GET, &format!("{}/api/sessions", base(&running)), None, Vec::new(), &[]).await;
    assert_eq!(reply.status, 401);
    stop(running).await;

    let store = codetel::store::Store::open_existing(&dir.join("codetel.db")).expect("db");
    let requests = store.requests(None).expect("requests");
    let tenants: Vec<&str> = requests.iter().map(|it| it.tenant.as_str()).collect();
    assert_eq!(tenants, ["acme", "acme", "globex"]);
    for request in &requests {
        let headers = request.headers_json.to_ascii_lowercase();
        for secret in ["tok-acme-0001", "sk-globex", "authorization", "x-scoreflow-token"] {
            assert!(!headers.contains(secret), "stored headers carry `{secret}`: {headers}");
        }
        assert!(headers.contains("content-type"), "other headers are kept: {headers}");
    }
}

#[tokio::test]
async fn the_tenant_comes_from_the_token_never_from_telemetry() {
    let dir = temp_dir("auth_tenant");
    let mut config = config(&dir);
    config.tokens = Some(tokens());
    let running = serve(config).await;
    let client = client();
    let capture = capture_dir("bash_tool_call");
    // Telemetry that claims another tenant in every place an attribute can.
    let claims = |body: &[u8]| {
        let text = String::from_utf8_lossy(body).replace(
            r#"{"key":"service.name""#,
            r#"{"key":"tenant","value":{"stringValue":"globex"}},{"key":"tenant.id","value":{"stringValue":"globex"}},{"key":"service.name""#,
        );
        text.into_bytes()
    };
    // The same bytes from both tenants: each tenant's own data (duplicates are per tenant).
    for (name, token) in [("authorization", "Bearer tok-acme-0001"), ("x-scoreflow-token", "pk-globex:sk-globex-0002")] {
        for request in recorded(&capture) {
            let url = format!("{}{}", base(&running), request.path);
            let reply = post(&client, &url, &request.content_type, claims(&request.body), &[(name, token)]).await;
            assert_eq!(reply.status, 200);
        }
    }

    let get = |token: &'static str| {
        let client = client.clone();
        let url = format!("{}/api/sessions", base(&running));
        async move { send(&client, reqwest::Method::GET, &url, None, Vec::new(), &[("authorization", token)]).await.json() }
    };
    let acme = get("Bearer tok-acme-0001").await;
    let globex = get("Bearer pk-globex:sk-globex-0002").await;
    stop(running).await;

    for (view, tenant) in [(&acme, "acme"), (&globex, "globex")] {
        let rows = view.as_array().expect("rows");
        assert_eq!(rows.len(), 1, "each tenant sees only its own session: {view}");
        assert_eq!(rows[0]["tenant"], tenant);
        assert_eq!(rows[0]["session_id"], BASH_SESSION);
    }
    let store = codetel::store::Store::open_existing(&dir.join("codetel.db")).expect("db");
    let requests = store.requests(None).expect("requests");
    assert_eq!(requests.len(), 4);
    assert_eq!(requests.iter().filter(|it| it.tenant == "acme").count(), 2, "attributes named globex; the token said acme");
    let records = store.records(Some("acme")).expect("records");
    assert!(!records.is_empty());
    assert!(records.iter().all(|it| it.tenant == "acme"));
}

#[tokio::test]
async fn the_binary_takes_tokens_from_a_file_or_the_environment_and_never_prints_them() {
    let dir = temp_dir("auth_binary");
    let db = dir.join("codetel.db");
    let tokens_file = dir.join("tokens.txt");
    std::fs::write(&tokens_file, "acme:file-token-0001\n").expect("write tokens");
    let mut collector = super::process::start(
        &db,
        &["--auth-tokens-file", tokens_file.to_str().unwrap_or_default(), "--auth-tokens-env", "CODETEL_TEST_TOKENS"],
        &[("CODETEL_TEST_TOKENS", "globex:env-token-0002")],
    );
    let client = client();
    let url = format!("{}/v1/logs", collector.base);
    for (token, status) in [("file-token-0001", 200), ("env-token-0002", 200), ("file-token-0002", 401)] {
        let body = format!("{{\"resourceLogs\":[],\"token\":\"{status}{token}\"}}");
        let reply = post(&client, &url, JSON, body.into_bytes(), &[("authorization", &format!("Bearer {token}"))]).await;
        assert_eq!(reply.status, status, "{token}");
    }
    collector.signal("TERM");
    assert!(collector.wait().success());
    let stderr = collector.stderr().join("\n");
    assert!(stderr.contains("authentication on"), "{stderr}");
    for token in ["file-token-0001", "env-token-0002", "file-token-0002"] {
        assert!(!stderr.contains(token), "a token was printed: {stderr}");
    }
    let store = codetel::store::Store::open_existing(&db).expect("db");
    let tenants: Vec<String> = store.requests(None).expect("requests").into_iter().map(|it| it.tenant).collect();
    assert_eq!(tenants, ["acme", "globex"]);

    // Off loopback without tokens, the binary refuses to start and says why.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_codetel"))
        .args(["collect", "--http", "0.0.0.0:0", "--db"])
        .arg(dir.join("other.db"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("requires authentication"), "{stderr}");
    // There is no option that takes a token itself.
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_codetel")).args(["collect", "--help"]).output().expect("run");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--auth-tokens-file") && !help.contains("--auth-token "), "{help}");
}
