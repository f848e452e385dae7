#pragma once
// Internal to pw_config: what the daemon-file and pool-file loaders share (files.cpp), and
// the entry points load.cpp calls (daemon_file.cpp, pool_file.cpp).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/checker.hpp"
#include "config/load.hpp"
#include "config/yaml_tree.hpp"

namespace pw::config::detail {

inline constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;
inline constexpr std::int64_t kMaxNodes = 1'000'000;
inline constexpr std::int64_t kInt32Max = 2147483647;

std::string LowerCopy(std::string_view s);
bool AllOf(std::string_view s, bool (*pred)(unsigned char));
bool IsGuid(std::string_view s);
bool IsPoolIdChar(unsigned char c);
bool IsLowerAlnum(unsigned char c);
bool IsResourceGroupChar(unsigned char c);
bool IsDomainChar(unsigned char c);
bool IsLoopbackHost(std::string_view host);
/// Checks an endpoint URL: https, or plain http to loopback (and to IMDS when allowed).
void CheckUrl(Checker& c, const YamlNode& node, const std::string& url, bool allow_imds = false);
std::string WithTrailingSlash(std::string url);
std::filesystem::path Resolve(const std::filesystem::path& base_dir, const std::string& value);
std::string DisplayName(const std::filesystem::path& file, const std::string& daemon_file);
/// Reads a config file, refusing anything over 1 MiB before reading it, and binary or
/// non-UTF-8 text.
Result<std::string, ConfigError> ReadConfigFile(const std::filesystem::path& file,
                                                const std::string& display);
/// Orders a file's errors by position and keeps the first kMaxErrors, saying how many were
/// left out.
void CapErrors(std::vector<ConfigError>& errors, const std::string& file);

/// The daemon file's settings from its root map (daemon_file.cpp).
void ParseDaemon(Checker& c, const YamlNode& root, const std::filesystem::path& dir,
                 DaemonConfig& cfg);

/// `leaderElection:` (leader_file.cpp).
void ParseLeaderElection(Checker& c, const YamlNode& node, LeaderElectionConfig& out);

struct IdSeen {
    std::string id;
    std::string key;
    int line = 0;
    int column = 0;
    std::string path;
};

struct PoolFileResult {
    PoolFile file;
    std::vector<IdSeen> ids;
};

/// Loads one pool file, recording its pool ids for the cross-file duplicate check
/// (pool_file.cpp).
void LoadPoolFileInto(const std::filesystem::path& path, const DaemonConfig& daemon,
                      PoolFileResult& out);

}  // namespace pw::config::detail
