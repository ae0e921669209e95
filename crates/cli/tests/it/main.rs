//! The integration tests of the command-line program, in one test binary: each module is
//! one area, and they share `common`.

mod common;

mod bench_data;
mod bench_pg;
mod cli;
mod compliance;
mod uploads;
