// libFuzzer target: the pool-file loader and validator on arbitrary bytes. Every input must
// give pools or located errors, never a crash; a file with errors yields no pools.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/load.hpp"

namespace {

const pw::config::DaemonConfig& Daemon() {
    static const pw::config::DaemonConfig daemon = [] {
        auto loaded = pw::config::LoadDaemonFile(std::filesystem::path(PW_SOURCE_DIR) /
                                                 "config/examples/poolwarden.yaml");
        if (!loaded) std::abort();
        return loaded.value();
    }();
    return daemon;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/pw-fuzz-config-" + std::to_string(::getpid()) + ".yaml";
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    auto file = pw::config::LoadPoolFile(path, Daemon());
    if (!file.errors.empty() && !file.pools.empty()) std::abort();
    for (const auto& e : file.errors)
        if (e.message.empty()) std::abort();
    return 0;
}
