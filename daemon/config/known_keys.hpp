#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pw::config {

/// The keys the validator accepts at each level of both file kinds, by level name:
/// `daemon`, `daemon.cloud`, `daemon.auth`, `daemon.tls`, `daemon.accounts[]`,
/// `daemon.reconcile`, `daemon.limits`, `daemon.limits.bucket`, `daemon.policy`, `poolFile`,
/// `pool`, `pool.scale`, `pool.scale.autoScale`, `pool.startTask`. The JSON Schemas in config/ must
/// match them (tests/unit/config_schema_test.cpp checks).
///
/// Thread safety: returns a reference to immutable static data.
const std::map<std::string, std::vector<std::string_view>>& KnownKeys();

/// Closed value sets, shared with the schemas: `auth.method`, `cloud`, `nodeDeallocationOption`.
///
/// Thread safety: returns a reference to immutable static data.
const std::map<std::string, std::vector<std::string_view>>& KnownEnums();

}  // namespace pw::config
