//! `codetel replay`: the replay engine against scripted endpoints (wiremock: 429 then 200,
//! `Retry-After` in both forms, 503, 400, 415, partial success, slow answers, connection
//! resets) and against the real reference collector in-process (every capture in every
//! encoding stores the same records; `--rebase-time`, `--fresh-ids`, `--verify`), all on
//! 127.0.0.1; plus the collector's `GET /api/records` that `--verify` reads.

mod cli_e2e;
mod collector_e2e;
mod harness;
mod records_api;
mod wiremock_rules;
