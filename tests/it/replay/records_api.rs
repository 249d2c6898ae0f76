//! `GET /api/records[?session=ID]` of the reference collector: the stored canonical records in
//! arrival order, all or of one session.

use codetel::replay::verify;

use super::harness::*;

#[tokio::test]
async fn records_api_returns_stored_records_all_or_of_one_session() {
    let dir = temp_dir("records_api");
    let running = collector(&dir, false).await;
    let (_, report) = run(load(&claude("bash_tool_call")), http(&base(&running)), fast_options()).await;
    assert_eq!(report.total.failed, 0, "{}", report.table());
    let client = client();
    let all = verify::stored_records(&client, &base(&running), &[], &[]).await.expect("all records");
    assert!(!all.is_empty());
    let sessions = verify::session_ids(&all);
    assert_eq!(sessions.len(), 1, "one session in this capture");
    let one = verify::stored_records(&client, &base(&running), &[], &sessions).await.expect("session records");
    assert_eq!(one, verify::by_sessions(&all, &sessions));
    let none = verify::stored_records(&client, &base(&running), &[], &["no-such-session".to_owned()]).await.expect("empty");
    assert!(none.is_empty());
    stop(running).await;
}
