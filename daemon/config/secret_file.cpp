#include "config/secret_file.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace pw::config {
namespace fs = std::filesystem;

fs::path SecretFilePath(const model::PropValue& secret_file,
                        const std::function<std::string(const char*)>& env) {
    fs::path path =
        secret_file.resolved.empty() ? fs::path(secret_file.text) : fs::path(secret_file.resolved);
    if (fs::path(secret_file.text).is_relative()) {
        if (std::string dir = env("CREDENTIALS_DIRECTORY"); !dir.empty())
            path = fs::path(dir) / secret_file.text;
    }
    return path;
}

Result<std::string, std::string> ReadSecretFile(
    const model::PropValue& secret_file, const std::function<std::string(const char*)>& env) {
    constexpr std::uintmax_t kMaxBytes = 64 * 1024;
    const fs::path path = SecretFilePath(secret_file, env);
    const std::string name = "secret file " + secret_file.text;
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) return pw::Err{name + ": " + ec.message()};
    if (size > kMaxBytes) return pw::Err{name + ": larger than 64 KiB"};
    std::ifstream in(path, std::ios::binary);
    if (!in) return pw::Err{name + ": cannot be opened"};
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
    if (!bytes.empty() && bytes.back() == '\r') bytes.pop_back();
    if (bytes.empty()) return pw::Err{name + ": empty"};
    return bytes;
}

}  // namespace pw::config
