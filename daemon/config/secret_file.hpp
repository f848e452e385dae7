#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "model/pool_fields.hpp"
#include "model/result.hpp"

namespace pw::config {

/// Reads a secret that a pool file names with a `...File` key (passwordFile, accountKeyFile,
/// sasKeyFile, sshPrivateKeyFile, protectedSettingsFile), when a write needs it. Resolved like
/// auth.clientSecretFile: a relative path is looked up in systemd's credentials directory
/// (`$CREDENTIALS_DIRECTORY/<path>`, LoadCredential=) when that variable is set, else
/// relative to the daemon file's folder (PropValue::resolved). One trailing newline is
/// dropped; files over 64 KiB, empty files and unreadable files are errors that name the file
/// as written, never its contents.
///
/// Thread safety: reentrant (reads the environment through `env`).
Result<std::string, std::string> ReadSecretFile(
    const model::PropValue& secret_file,
    const std::function<std::string(const char*)>& env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v ? v : "");
    });

/// The file ReadSecretFile reads for `secret_file` (the same resolution).
std::filesystem::path SecretFilePath(
    const model::PropValue& secret_file,
    const std::function<std::string(const char*)>& env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v ? v : "");
    });

}  // namespace pw::config
