#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/desired.hpp"
#include "model/result.hpp"
#include "reconcile/status.hpp"

namespace pw::app {

/// The configuration in force, with last-good semantics across reloads: each pool file is
/// validated alone; a broken file keeps its last valid version in force (its errors shown);
/// a broken daemon file at reload is rejected and the running configuration stays.
///
/// Thread safety: not thread-safe; use from the daemon's strand.
class ConfigState {
  public:
    /// Loads at start-up. Daemon-file errors are returned (the caller exits non-zero); broken
    /// pool files contribute no pools and keep their errors.
    static Result<ConfigState, std::vector<config::ConfigError>> Load(
        const std::filesystem::path& daemon_file);

    /// Reloads everything. On daemon-file errors nothing changes and the errors are returned.
    /// Same as read() then commit().
    Result<Unit, std::vector<config::ConfigError>> reload();
    /// A reload in two steps, so that the caller can check what else the new configuration
    /// needs (clients, a listener) before anything changes: read() loads the files and
    /// changes nothing; commit() puts what read() returned in force.
    Result<config::LoadedConfig, std::vector<config::ConfigError>> read() const;
    void commit(config::LoadedConfig loaded);

    /// Accounts, policy and the pools in force (fresh valid files, then last-good versions of
    /// broken files whose pool ids no valid file now declares). Built once per load or commit
    /// and shared: a pass keeps the state it started with while a reload installs a new one.
    std::shared_ptr<const model::DesiredState> desired() const { return desired_; }
    const config::DaemonConfig& daemon() const { return daemon_; }
    /// Per pool file: valid, or broken (using its last good version or not) with its errors.
    std::vector<reconcile::ConfigFileStatus> files() const;
    /// True when some pool file currently has errors.
    bool has_file_errors() const;

  private:
    struct FileState {
        /// The last good pools; for a valid file they are moved into the desired state
        /// (`desired_->pools[first, first + count)`) rather than kept twice.
        std::vector<model::PoolSpec> good;
        bool has_good = false;
        bool good_in_desired = false;
        std::size_t first = 0;
        std::size_t count = 0;
        std::vector<config::ConfigError> errors;
    };
    void absorb(config::LoadedConfig loaded);
    /// Moves the valid files' pools into the new desired state.
    std::shared_ptr<const model::DesiredState> build_desired();
    /// A file's last good pools, wherever they are kept.
    std::vector<model::PoolSpec> good_pools(const FileState& st) const;

    std::filesystem::path path_;
    config::DaemonConfig daemon_;
    std::map<std::string, FileState> files_;
    std::shared_ptr<const model::DesiredState> desired_ =
        std::make_shared<const model::DesiredState>();
};

}  // namespace pw::app
