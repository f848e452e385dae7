#pragma once

#include <filesystem>
#include <vector>

#include "config/config.hpp"
#include "model/result.hpp"

namespace pw::config {

/// Loads and validates the daemon file. All errors are reported at once.
Result<DaemonConfig, std::vector<ConfigError>> LoadDaemonFile(const std::filesystem::path& file);

/// Loads and validates one pool file against the daemon config (account names, policy).
/// Never throws; errors land in PoolFile::errors and the file then yields no pools.
PoolFile LoadPoolFile(const std::filesystem::path& file, const DaemonConfig& daemon);

/// Loads the daemon file and every `*.yaml`/`*.yml` in its poolsDir, then checks rules that
/// span files (pool ids unique case-insensitively: the later file in name order is rejected).
/// Errors in the daemon file are returned as the error; pool-file errors stay per file.
Result<LoadedConfig, std::vector<ConfigError>> LoadConfig(const std::filesystem::path& daemon_file);

}  // namespace pw::config
