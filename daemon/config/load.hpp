#pragma once

#include <filesystem>
#include <vector>

#include "config/config.hpp"
#include "model/result.hpp"

namespace pw::config {

// Loading rules shared by both file kinds (README.md, "Configuration reference"):
// - Files over 1 MiB are refused before reading; an empty file, a non-map root, several YAML
//   documents, tabs in indentation, syntax errors and duplicate keys are errors.
// - YAML aliases (`*a`) and merge keys (`<<`) are rejected: each value has one location and a
//   file cannot expand exponentially. Anchors alone are harmless and accepted.
// - Errors read `file:line:column: field.path: message` (ConfigError::str()); at most 50 per file.
// - Relative poolsDir, auth.clientSecretFile, auth.federatedTokenFile and tls.caFile resolve
//   against the daemon file's folder. The client secret is never read here; a secret file
//   readable by group/others, or missing, is a warning in DaemonConfig::warnings.
// - Pool files are named relative to the daemon file's folder (absolute when outside it).

/// Loads and validates the daemon file. All errors are reported at once. poolsDir must exist.
Result<DaemonConfig, std::vector<ConfigError>> LoadDaemonFile(const std::filesystem::path& file);

/// Loads and validates one pool file against the daemon config (account names, policy).
/// Never throws; errors land in PoolFile::errors and the file then yields no pools.
PoolFile LoadPoolFile(const std::filesystem::path& file, const DaemonConfig& daemon);

/// Loads the daemon file and every `*.yaml`/`*.yml` in its poolsDir (name order; dot-files and
/// non-regular files skipped), then checks rules that span files (pool ids unique
/// case-insensitively: the later file in name order is rejected).
/// Errors in the daemon file are returned as the error; pool-file errors stay per file.
Result<LoadedConfig, std::vector<ConfigError>> LoadConfig(const std::filesystem::path& daemon_file);

}  // namespace pw::config
