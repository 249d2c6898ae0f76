//! The one integration-test binary; a module per topic.

mod corpus;
mod schema;
mod support;
