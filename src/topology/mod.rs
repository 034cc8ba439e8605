//! The topology file format, loading with line/column errors, and validation of
//! AWS's rules (DESIGN.md §4). Produces a [`crate::model::Network`].
