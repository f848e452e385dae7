#include "app/config_state.hpp"

#include <set>

#include "config/load.hpp"
#include "model/resource_id.hpp"

namespace pw::app {

Result<ConfigState, std::vector<config::ConfigError>> ConfigState::Load(
    const std::filesystem::path& daemon_file) {
    auto loaded = config::LoadConfig(daemon_file);
    if (!loaded) return Err{std::move(loaded.error())};
    ConfigState state;
    state.path_ = daemon_file;
    state.absorb(std::move(*loaded));
    return state;
}

Result<Unit, std::vector<config::ConfigError>> ConfigState::reload() {
    auto loaded = read();
    if (!loaded) return Err{std::move(loaded.error())};
    commit(std::move(*loaded));
    return Unit{};
}

Result<config::LoadedConfig, std::vector<config::ConfigError>> ConfigState::read() const {
    return config::LoadConfig(path_);
}

void ConfigState::commit(config::LoadedConfig loaded) { absorb(std::move(loaded)); }

void ConfigState::absorb(config::LoadedConfig loaded) {
    daemon_ = std::move(loaded.daemon);
    std::map<std::string, FileState> next;
    for (auto& file : loaded.pool_files) {
        auto& st = next[file.file];
        if (file.errors.empty()) {
            st.good = std::move(file.pools);
            st.has_good = true;
        } else {
            st.errors = std::move(file.errors);
            if (auto old = files_.find(file.file); old != files_.end() && old->second.has_good) {
                st.good = good_pools(old->second);
                st.has_good = true;
            }
        }
    }
    files_ = std::move(next);
    desired_ = build_desired();
}

std::vector<model::PoolSpec> ConfigState::good_pools(const FileState& st) const {
    if (!st.good_in_desired) return st.good;
    const auto begin = desired_->pools.begin() + static_cast<std::ptrdiff_t>(st.first);
    return {begin, begin + static_cast<std::ptrdiff_t>(st.count)};
}

std::shared_ptr<const model::DesiredState> ConfigState::build_desired() {
    auto state = std::make_shared<model::DesiredState>();
    auto& d = *state;
    d.accounts = daemon_.accounts;
    d.policy = daemon_.policy;
    d.pool_files_clean = !has_file_errors();
    std::set<std::string> ids;
    std::size_t count = 0;
    for (const auto& [name, st] : files_) count += st.good.size();
    d.pools.reserve(count);  // no copies of every spec on growth (PoolSpec's move may throw)
    // A valid file's pools are moved, not copied: at 10 000 pools a second copy of every spec
    // was several MB for as long as the configuration is in force.
    for (auto& [name, st] : files_) {
        if (!st.errors.empty()) continue;
        st.first = d.pools.size();
        st.count = st.good.size();
        st.good_in_desired = true;
        for (auto& p : st.good) {
            ids.insert(model::ResourceKey(p.id));
            d.pools.push_back(std::move(p));
        }
        st.good.clear();
        st.good.shrink_to_fit();
    }
    for (const auto& [name, st] : files_) {
        if (st.errors.empty() || !st.has_good) continue;
        for (const auto& p : st.good) {
            // A last-good pool yields to a valid file that now declares its id, and needs its
            // account to still exist.
            if (!d.find_account(p.account) || !ids.insert(model::ResourceKey(p.id)).second)
                continue;
            d.pools.push_back(p);
        }
    }
    return state;
}

std::vector<reconcile::ConfigFileStatus> ConfigState::files() const {
    std::vector<reconcile::ConfigFileStatus> out;
    for (const auto& [name, st] : files_) {
        reconcile::ConfigFileStatus fs;
        fs.file = name;
        fs.valid = st.errors.empty();
        fs.using_last_good = !st.errors.empty() && st.has_good;
        for (const auto& e : st.errors) fs.errors.push_back(e.str());
        out.push_back(std::move(fs));
    }
    return out;
}

bool ConfigState::has_file_errors() const {
    for (const auto& [name, st] : files_)
        if (!st.errors.empty()) return true;
    return false;
}

}  // namespace pw::app
