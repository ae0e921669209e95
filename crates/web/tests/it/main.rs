//! The integration tests of the web crate, in one test binary: each module is one area
//! (a former test file of its own), and they share `common` (the in-process router on a
//! real database per test, with every API answer held against the OpenAPI document) and
//! the demo template `dualtrack_testkit` builds once per process.

mod common;

mod access;
mod api_tokens;
mod audit;
mod audit_archive;
mod audit_chain;
mod auth;
mod briefing_word;
mod campaign_pages;
mod channels;
mod checkpoints;
mod command;
mod contract;
mod dashboard_charts;
mod demo_day;
mod demo_evening;
mod demo_lists;
mod demo_work;
mod encryption;
mod faults;
mod filings;
mod first_minutes;
mod handovers;
mod hardening;
mod home;
mod https;
mod idempotency;
mod import;
mod input_checks;
mod jobs;
mod layout;
mod mobilisation;
mod mobilisation_pages;
mod monitoring;
mod offline;
mod openapi;
mod outbox_kinds;
mod page_layering;
mod pages;
mod password_hashes;
mod password_rules;
mod places;
mod prevention;
mod projects;
mod reach;
mod report_plausibility;
mod resumption;
mod resumption_exports;
mod resumption_import;
mod resumption_rollup;
mod scope;
mod second_factor;
mod stored_values;
mod supplies;
mod tree;
mod uploads;
mod users;
mod whistle;
mod workgroups;
