//! The one integration-test binary; a module per topic.

mod decode;
