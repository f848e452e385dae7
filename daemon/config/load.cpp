#include "config/load.hpp"

#include <algorithm>
#include <map>
#include <system_error>

#include "config/load_detail.hpp"

namespace pw::config {
namespace fs = std::filesystem;
using detail::PoolFileResult;

Result<LoadedConfig, std::vector<ConfigError>> LoadConfig(const fs::path& daemon_file) {
    auto daemon = LoadDaemonFile(daemon_file);
    if (!daemon) return Err{std::move(daemon.error())};
    LoadedConfig loaded;
    loaded.daemon = std::move(daemon.value());

    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(loaded.daemon.pools_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto& p = it->path();
        std::string name = p.filename().string();
        std::string ext = p.extension().string();
        if (name.empty() || name[0] == '.' || (ext != ".yaml" && ext != ".yml")) continue;
        std::error_code type_ec;
        if (!fs::is_regular_file(p, type_ec)) continue;
        files.push_back(p);
    }
    if (ec) {
        return Err{std::vector<ConfigError>{
            {loaded.daemon.file, 0, 0, "poolsDir",
             "cannot list " + loaded.daemon.pools_dir.string() + ": " + ec.message()}}};
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });

    std::vector<PoolFileResult> results(files.size());
    std::map<std::string, std::string> first_seen;  // lower-case id -> "file:line:column"
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto& r = results[i];
        LoadPoolFileInto(files[i], loaded.daemon, r);
        for (const auto& id : r.ids) {
            auto it = first_seen.find(id.key);
            if (it != first_seen.end()) {
                r.file.errors.push_back({r.file.file, id.line, id.column, id.path,
                                         "pool id '" + id.id + "' is already declared in " +
                                             it->second + " (ids are case-insensitive)"});
            }
        }
        for (const auto& id : r.ids) {
            first_seen.emplace(id.key, r.file.file + ":" + std::to_string(id.line) + ":" +
                                           std::to_string(id.column));
        }
        if (!r.file.errors.empty()) r.file.pools.clear();
        loaded.pool_files.push_back(std::move(r.file));
    }
    return loaded;
}

std::vector<ConfigError> LoadedConfig::all_errors() const {
    std::vector<ConfigError> out;
    for (const auto& f : pool_files) out.insert(out.end(), f.errors.begin(), f.errors.end());
    return out;
}

model::DesiredState LoadedConfig::desired() const {
    model::DesiredState state;
    state.accounts = daemon.accounts;
    state.policy = daemon.policy;
    for (const auto& f : pool_files) {
        if (!f.errors.empty()) state.pool_files_clean = false;
        if (!f.errors.empty()) continue;
        state.pools.insert(state.pools.end(), f.pools.begin(), f.pools.end());
    }
    return state;
}

std::string ConfigError::str() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
}

}  // namespace pw::config
