//! Reading a scenario: strict parse, `--set` overrides, validation.
//!
//! Every failure is a [`LoadError`] naming the file, line, column, key and what
//! is allowed; callers exit with code 2. Nothing here panics on bad input.

use crate::locate::{Position, key_at, locate, position_of};
use crate::{Distribution, Scenario};
use std::path::Path;

/// A scenario that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}:{line}:{column}: key `{key}`: {message}")]
    Invalid { file: String, line: usize, column: usize, key: String, message: String },
    #[error("--set {assignment}: {message}")]
    Override { assignment: String, message: String },
}

/// Reads, overrides and validates the scenario file at `path`.
pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, LoadError> {
    load_with_design(path, None, overrides)
}

/// As [`load`], with the `[design]` of a preset file (`scenarios/designs/NAME.toml`)
/// laid over the scenario's own before the overrides.
pub fn load_with_design(path: &Path, design: Option<&Path>, overrides: &[String]) -> Result<Scenario, LoadError> {
    let read = |path: &Path| {
        let file = path.display().to_string();
        std::fs::read_to_string(path)
            .map(|text| (file.clone(), text))
            .map_err(|e| LoadError::Unreadable { file, reason: e.to_string().to_lowercase() })
    };
    let base = read(path)?;
    let preset = design.map(read).transpose()?;
    load_layers((&base.0, &base.1), preset.as_ref().map(|(f, t)| (f.as_str(), t.as_str())), overrides)
}

/// As [`load`], from text already read; `file` is only used in messages.
pub fn load_text(file: &str, text: &str, overrides: &[String]) -> Result<Scenario, LoadError> {
    load_layers((file, text), None, overrides)
}

/// A design preset file: only a `[design]` table.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetFile {
    #[allow(dead_code)] // read to check it, used through the merged table
    design: crate::Design,
}

fn invalid(file: &str, position: Option<Position>, key: String, message: String) -> LoadError {
    let Position { line, column } = position.unwrap_or(Position { line: 1, column: 1 });
    LoadError::Invalid { file: file.to_string(), line, column, key, message }
}

/// A parse or type error of one file, located in that file.
fn located(file: &str, text: &str, error: &toml::de::Error) -> LoadError {
    let offset = error.span().map_or(0, |span| span.start);
    invalid(file, Some(position_of(text, offset)), key_at(text, offset).unwrap_or_default(), error.message().trim().to_string())
}

/// Scenario file, then a design preset's `[design]`, then `--set` overrides.
fn load_layers(base: (&str, &str), preset: Option<(&str, &str)>, overrides: &[String]) -> Result<Scenario, LoadError> {
    let (file, text) = base;
    let mut table: toml::Table = toml::from_str(text).map_err(|e| located(file, text, &e))?;
    // The file alone must be a scenario, so that its errors point into the file.
    toml::from_str::<Scenario>(text).map_err(|e| located(file, text, &e))?;
    if let Some((preset_file, preset_text)) = preset {
        toml::from_str::<PresetFile>(preset_text).map_err(|e| located(preset_file, preset_text, &e))?;
        let preset_table: toml::Table = toml::from_str(preset_text).map_err(|e| located(preset_file, preset_text, &e))?;
        if let Some(toml::Value::Table(design)) = preset_table.get("design") {
            let entry = table.entry("design".to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let Some(target) = entry.as_table_mut() {
                target.extend(design.clone());
            }
        }
    }
    let mut overridden = Vec::new();
    for assignment in overrides {
        let (path, value) = parse_assignment(assignment)?;
        set_path(&mut table, &path, value).map_err(|message| LoadError::Override { assignment: assignment.clone(), message })?;
        // Deserialise after each one, so that an error names its own flag.
        let check: Result<Scenario, _> = table.clone().try_into();
        if let Err(e) = check {
            return Err(LoadError::Override { assignment: assignment.clone(), message: e.message().trim().to_string() });
        }
        overridden.push((path, assignment.clone()));
    }
    let scenario: Scenario = table.try_into().map_err(|e: toml::de::Error| invalid(file, None, String::new(), e.message().trim().to_string()))?;
    if let Some((key, message)) = problems(&scenario).into_iter().chain(incompatibilities(&scenario)).chain(fault_problems(&scenario)).next() {
        let covers = |path: &str| key == path || key.starts_with(&format!("{path}."));
        if let Some((_, assignment)) = overridden.iter().rev().find(|(path, _)| covers(path)) {
            return Err(LoadError::Override { assignment: assignment.clone(), message: format!("key `{key}`: {message}") });
        }
        if let Some((preset_file, preset_text)) = preset
            && let Some(position) = locate(preset_text, &key)
        {
            return Err(invalid(preset_file, Some(position), key, message));
        }
        return Err(invalid(file, locate(text, &key), key, message));
    }
    Ok(scenario)
}

/// Splits `a.b.c=value`; the value is TOML (`3`, `true`, `"x"`, `{ kind = "constant", ms = 1 }`)
/// or, failing that, a bare string.
fn parse_assignment(assignment: &str) -> Result<(String, toml::Value), LoadError> {
    let err = |message: &str| LoadError::Override { assignment: assignment.to_string(), message: message.to_string() };
    let (path, raw) = assignment.split_once('=').ok_or_else(|| err("expected key=value, e.g. chain.stores=3"))?;
    let path = path.trim();
    if path.is_empty() || path.split('.').any(|part| part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
        return Err(err("the key must be a dotted path of names, e.g. chain.stores"));
    }
    let raw = raw.trim();
    let value = match toml::from_str::<toml::Table>(&format!("value = {raw}")) {
        Ok(mut parsed) => parsed.remove("value").unwrap_or(toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    Ok((path.to_string(), value))
}

fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap_or_default();
    let mut current = table;
    for part in parts {
        let entry = current.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| format!("`{part}` is a value, not a table"))?;
    }
    current.insert(last.to_string(), value);
    Ok(())
}

/// Every impossible value, as (dotted key, what is wrong and what is allowed).
pub fn problems(s: &Scenario) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut range = |key: &str, value: f64, min: f64, max: f64| {
        if !(value.is_finite() && value >= min && value <= max) {
            found.push((key.to_string(), format!("{value} is out of range: allowed is {min} to {max}")));
        }
    };
    let c = &s.chain;
    range("chain.stores", c.stores.into(), 1.0, 100_000.0);
    range("chain.skus_per_store", c.skus_per_store.into(), 1.0, 1_000_000.0);
    range("chain.initial_on_hand_max", c.initial_on_hand_max.into(), c.initial_on_hand_min.into(), 1_000_000.0);
    range("chain.till_transactions_per_store_per_hour", c.till_transactions_per_store_per_hour, 0.0, 1_000_000.0);
    range("chain.lines_per_transaction", c.lines_per_transaction.into(), 1.0, 100.0);
    range("chain.zipf_exponent", c.zipf_exponent, 0.0, 10.0);
    range("chain.random_restocks_per_store_per_hour", c.random_restocks_per_store_per_hour, 0.0, 1_000_000.0);
    range("chain.restock_quantity_min", c.restock_quantity_min.into(), 1.0, 1_000_000.0);
    range("chain.restock_quantity_max", c.restock_quantity_max.into(), c.restock_quantity_min.into(), 1_000_000.0);
    range("chain.delivery_duration_s", c.delivery_duration_s as f64, 1.0, 86_400.0);
    range("chain.delivery_order_up_to", c.delivery_order_up_to.into(), c.delivery_reorder_point.into(), 1_000_000.0);
    let o = &s.online;
    range("online.reads_per_second", o.reads_per_second, 0.0, 1_000_000.0);
    range("online.orders_per_second", o.orders_per_second, 0.0, 100_000.0);
    range("online.order_units_max", o.order_units_max.into(), 1.0, 10_000.0);
    range("online.stores_tried_max", o.stores_tried_max.into(), 1.0, 100_000.0);
    range("online.promotion_skus", o.promotion_skus.into(), 0.0, c.skus_per_store.into());
    range("online.promotion_share", o.promotion_share, 0.0, 1.0);
    range("online.pick_delay_s", o.pick_delay_s as f64, 0.0, 86_400.0);
    let w = &s.workers;
    for (key, value) in [
        ("workers.store", w.store),
        ("workers.relay", w.relay),
        ("workers.broker", w.broker),
        ("workers.consumer", w.consumer),
        ("workers.central", w.central),
        ("workers.customers", w.customers),
    ] {
        range(key, value.into(), 1.0, 1024.0);
    }
    let d = &s.design;
    range("design.partitions", d.partitions.into(), 1.0, 10_000.0);
    range("design.consumers", d.consumers.into(), 1.0, 1_000.0);
    range("design.auto_commit_interval_ms", d.auto_commit_interval_ms as f64, 1.0, 3_600_000.0);
    range("design.batch_interval_s", d.batch_interval_s as f64, 1.0, 86_400.0);
    range("design.reconciliation_interval_s", d.reconciliation_interval_s as f64, 1.0, 86_400.0);
    range("design.mirror_offset_commit_interval_s", d.mirror_offset_commit_interval_s as f64, 1.0, 86_400.0);
    range("design.suspect_timeout_ms", d.suspect_timeout_ms as f64, 1.0, 3_600_000.0);
    range("design.safety_stock_fraction", d.safety_stock_fraction, 0.0, 0.99);
    range("design.reservation_ttl_s", d.reservation_ttl_s as f64, 1.0, 86_400.0);
    range("design.command_retry_ms", d.command_retry_ms as f64, 1.0, 3_600_000.0);
    range("relay.offset_flush_interval_s", s.relay.offset_flush_interval_s as f64, 1.0, 86_400.0);
    range("relay.batch_max_rows", s.relay.batch_max_rows.into(), 1.0, 1_000_000.0);
    range("relay.produce_timeout_s", s.relay.produce_timeout_s as f64, 1.0, 86_400.0);
    let k = &s.consumer;
    range("consumer.fetch_max_records", k.fetch_max_records.into(), 1.0, 1_000_000.0);
    range("consumer.fetch_max_wait_ms", k.fetch_max_wait_ms as f64, 1.0, 3_600_000.0);
    range("consumer.heartbeat_interval_ms", k.heartbeat_interval_ms as f64, 1.0, 3_600_000.0);
    range("consumer.session_timeout_ms", k.session_timeout_ms as f64, (k.heartbeat_interval_ms + 1) as f64, 3_600_000.0);
    range("run.duration_s", s.run.duration_s as f64, 1.0, 30.0 * 86_400.0);
    range("run.drain_bound_s", s.run.drain_bound_s as f64, 1.0, 30.0 * 86_400.0);
    range("run.sample_interval_s", s.run.sample_interval_s as f64, 1.0, 86_400.0);
    range("checks.staleness_bound_s", s.checks.staleness_bound_s as f64, 1.0, 86_400.0);
    range("checks.clock_skew_allowance_ms", s.checks.clock_skew_allowance_ms as f64, 0.0, 3_600_000.0);
    range("design.heartbeat_interval_s", d.heartbeat_interval_s as f64, 1.0, 86_400.0);
    range("design.stale_after_s", d.stale_after_s as f64, 1.0, 86_400.0);
    range("network.connection_timeout_s", s.network.connection_timeout_s as f64, 1.0, 86_400.0);
    range("network.reconnect_backoff_ms", s.network.reconnect_backoff_ms as f64, 1.0, 3_600_000.0);
    range("broker.replication_lag_ms", s.broker.replication_lag_ms as f64, 0.0, 3_600_000.0);
    range("broker.store_broker_unflushed_ms", s.broker.store_broker_unflushed_ms as f64, 0.0, 3_600_000.0);
    if u64::from(c.stores) * u64::from(c.skus_per_store) > 100_000_000 {
        found.push(("chain.skus_per_store".into(), "stores x skus_per_store is above 100,000,000: allowed is at most that".into()));
    }
    for (key, name) in [("name", &s.name), ("design.name", &d.name)] {
        let ok =
            !name.is_empty() && name.len() <= 64 && name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '-');
        if !ok {
            found.push((key.into(), format!("{name:?}: allowed is 1 to 64 of a-z, 0-9, '_' and '-'")));
        }
    }
    let distributions: [(&str, &Distribution); 10] = [
        ("network.wan", &s.network.wan),
        ("network.central_lan", &s.network.central_lan),
        ("network.store_local", &s.network.store_local),
        ("service.store_commit", &s.service.store_commit),
        ("service.relay_read", &s.service.relay_read),
        ("service.broker_append", &s.service.broker_append),
        ("service.broker_fetch", &s.service.broker_fetch),
        ("service.consumer_decode", &s.service.consumer_decode),
        ("service.central_apply", &s.service.central_apply),
        ("service.central_read", &s.service.central_read),
    ];
    for (key, distribution) in distributions {
        if let Some(problem) = distribution.problem() {
            found.push((key.into(), problem));
        }
    }
    found
}

/// Knob values that cannot work together, as (dotted key, why and what is allowed).
pub fn incompatibilities(s: &Scenario) -> Vec<(String, String)> {
    use crate::{EventSemantics, Freshness, Idempotency, Outbox, Pipeline, Topology};
    let d = &s.design;
    let mut found = Vec::new();
    let mut refuse = |key: &str, why: &str| found.push((key.to_string(), why.to_string()));
    if d.idempotency == Idempotency::Version && d.event_semantics != EventSemantics::AbsoluteVersioned {
        refuse(
            "design.idempotency",
            "\"version\" needs design.event_semantics = \"absolute_versioned\": events without a version have no high-water mark; allowed here is \"none\" or \"inbox\"",
        );
    }
    if d.outbox == Outbox::DualWrite && d.freshness == Freshness::RelayHeartbeatTopic {
        refuse(
            "design.freshness",
            "\"relay_heartbeat_topic\" needs a relay, and design.outbox = \"dual_write\" has none: allowed here is \"none\", \"app_health_check\" or \"outbox_heartbeat\" (the app publishes its own heartbeat)",
        );
    }
    if s.online.orders_per_second > 0.0 {
        if d.pipeline == Pipeline::SyncMultimaster {
            refuse(
                "online.orders_per_second",
                "orders are not modelled with design.pipeline = \"sync_multimaster\" (a pick would have to be certified like a till sale); allowed here is 0, or pipeline \"cdc\" or \"legacy_batch\"",
            );
        }
        let settle_s = d.reservation_ttl_s + s.online.pick_delay_s;
        if s.run.drain_bound_s < settle_s {
            refuse(
                "run.drain_bound_s",
                &format!(
                    "{} s is too short for orders: the last order may wait design.reservation_ttl_s + online.pick_delay_s = {settle_s} s before it ends; allowed is {settle_s} or more",
                    s.run.drain_bound_s
                ),
            );
        }
    }
    if d.pipeline != Pipeline::Cdc {
        let name = if d.pipeline == Pipeline::LegacyBatch { "legacy_batch" } else { "sync_multimaster" };
        if matches!(d.freshness, Freshness::OutboxHeartbeat | Freshness::RelayHeartbeatTopic) {
            refuse(
                "design.freshness",
                &format!("pipeline \"{name}\" has no outbox stream or relay to carry a heartbeat: allowed here is \"none\" or \"app_health_check\""),
            );
        }
        if d.outbox != Outbox::Transactional || d.topology != Topology::SharedBroker {
            refuse(
                "design.pipeline",
                &format!(
                    "\"{name}\" has no broker: design.outbox and design.topology must keep their defaults (\"transactional\", \"shared_broker\")"
                ),
            );
        }
    }
    found
}

/// Every `[[fault]]` problem, as (dotted key like `fault[2].node`, why and what is allowed).
pub fn fault_problems(s: &Scenario) -> Vec<(String, String)> {
    use crate::names::NodeName;
    use crate::{FaultKind as K, Span};
    let mut found = Vec::new();
    let (stores, consumers) = (s.chain.stores, s.design.consumers);
    let mirrors = s.design.topology == crate::Topology::PerStoreBrokerMirror;
    let workload_us = (s.run.duration_s * 1_000_000) as i64;
    let intensity = s.faults.intensity;
    if !(intensity.is_finite() && (0.0..=1.0).contains(&intensity)) {
        found.push(("faults.intensity".into(), format!("{intensity} is out of range: allowed is 0 to 1")));
    }
    for (i, f) in s.fault.iter().enumerate() {
        let key = |field: &str| format!("fault[{i}].{field}");
        let kind = f.kind.as_str();
        // Which optional fields each kind uses.
        let (uses, needs): (&[&str], &[&str]) = match f.kind {
            K::Partition => (&["for", "between", "one_way"], &["for", "between"]),
            K::Crash => (&["node", "restart_after"], &["node"]),
            K::Restore => (&["node", "restart_after", "backup_age"], &["node", "backup_age"]),
            K::Pause => (&["for", "node"], &["for", "node"]),
            K::LatencySpike => (&["for", "between", "factor"], &["for", "between", "factor"]),
            K::Duplicate => (&["for", "between", "probability"], &["for", "between", "probability"]),
            K::Reorder => (&["for", "between", "jitter"], &["for", "between", "jitter"]),
            K::ClockSkew => (&["for", "node", "offset", "drift_ppm"], &["node"]),
        };
        let present = [
            ("for", f.duration.is_some()),
            ("between", !f.between.is_empty()),
            ("one_way", f.one_way),
            ("node", f.node.is_some()),
            ("restart_after", f.restart_after.is_some()),
            ("backup_age", f.backup_age.is_some()),
            ("factor", f.factor.is_some()),
            ("probability", f.probability.is_some()),
            ("jitter", f.jitter.is_some()),
            ("offset", f.offset.is_some()),
            ("drift_ppm", f.drift_ppm.is_some()),
        ];
        for (field, is_present) in present {
            if is_present && !uses.contains(&field) {
                found.push((key(field), format!("not used by kind \"{kind}\": allowed are at, kind, {}", uses.join(", "))));
            } else if !is_present && needs.contains(&field) {
                found.push((key("kind"), format!("kind \"{kind}\" needs `{field}`: it takes at, kind, {}", uses.join(", "))));
            }
        }
        if f.at.0 < 0 || f.at.0 >= workload_us {
            found.push((key("at"), format!("{} is outside the workload phase: allowed is 0s up to run.duration_s ({}s)", f.at, s.run.duration_s)));
        }
        let positive = |span: Option<Span>, field: &str, found: &mut Vec<(String, String)>| {
            if let Some(span) = span.filter(|span| span.0 <= 0) {
                found.push((key(field), format!("{span} is not positive: allowed is a duration above 0")));
            }
        };
        positive(f.duration, "for", &mut found);
        positive(f.restart_after, "restart_after", &mut found);
        positive(f.backup_age, "backup_age", &mut found);
        positive(f.jitter, "jitter", &mut found);
        if !f.between.is_empty() && f.between.len() != 2 {
            found.push((key("between"), format!("{} names: allowed is exactly two, e.g. [\"store-3\", \"central-side\"]", f.between.len())));
        }
        for name in &f.between {
            if let Err(message) = NodeName::resolve(name, stores, consumers, mirrors) {
                found.push((key("between"), message));
            }
        }
        if let Some(node) = &f.node {
            match NodeName::resolve(node, stores, consumers, mirrors) {
                Err(message) => found.push((key("node"), message)),
                Ok(NodeName::Store(_)) => {}
                Ok(_) if f.kind == K::Restore => found.push((key("node"), format!("{node:?}: a restore needs a store DB: allowed is store-N"))),
                Ok(_) => {}
            }
        }
        if let Some(factor) = f.factor.filter(|v| !(v.is_finite() && (1.0..=10_000.0).contains(v))) {
            found.push((key("factor"), format!("{factor} is out of range: allowed is 1 to 10000")));
        }
        if let Some(p) = f.probability.filter(|v| !(v.is_finite() && *v > 0.0 && *v <= 1.0)) {
            found.push((key("probability"), format!("{p} is out of range: allowed is above 0 up to 1")));
        }
        if let Some(ppm) = f.drift_ppm.filter(|v| !(v.is_finite() && v.abs() <= 100_000.0)) {
            found.push((key("drift_ppm"), format!("{ppm} is out of range: allowed is -100000 to 100000")));
        }
        if f.offset.is_some_and(|o| o.0.abs() > 86_400_000_000) {
            found.push((key("offset"), "is out of range: allowed is at most a day either way".into()));
        }
    }
    found
}
