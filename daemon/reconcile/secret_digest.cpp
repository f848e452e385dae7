#include "reconcile/secret_digest.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <array>

#include "config/secret_file.hpp"

namespace pw::reconcile {
namespace {

void CollectSecretFiles(const model::PropValue& v, std::vector<const model::PropValue*>& out) {
    if (v.kind == model::PropValue::Kind::SecretFile) out.push_back(&v);
    for (const auto& item : v.items) CollectSecretFiles(item, out);
    for (const auto& m : v.members) CollectSecretFiles(m.value, out);
}

std::vector<const model::PropValue*> StartTaskSecretFiles(const model::PoolSpec& spec) {
    std::vector<const model::PropValue*> out;
    if (spec.start_task) CollectSecretFiles(spec.start_task->properties, out);
    return out;
}

}  // namespace

bool HasStartTaskSecrets(const model::PoolSpec& spec) {
    return !StartTaskSecretFiles(spec).empty();
}

std::string SecretDigests::digest(const model::PoolSpec& spec) {
    std::string out;
    for (const auto* file : StartTaskSecretFiles(spec)) {
        if (!out.empty()) out += '.';
        out += file_digest(*file);
    }
    return out;
}

bool HasPropertySecrets(const model::PoolSpec& spec) {
    std::vector<const model::PropValue*> files;
    CollectSecretFiles(spec.properties, files);
    return !files.empty();
}

std::string SecretDigests::property_digest(const model::PoolSpec& spec) {
    std::vector<const model::PropValue*> files;
    CollectSecretFiles(spec.properties, files);
    std::string out;
    for (const auto* file : files) {
        if (!out.empty()) out += '.';
        out += file_digest(*file);
    }
    return out;
}

std::string SecretDigests::file_digest(const model::PropValue& file) {
    const std::string path = config::SecretFilePath(file).string();
    struct stat st {};
    std::string fingerprint = "absent";
    if (::stat(path.c_str(), &st) == 0)
        fingerprint =
            fmt::format("{}:{}:{}:{}.{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                        st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
    auto& entry = files_[file.text];
    if (!entry.digest.empty() && entry.stat == fingerprint) return entry.digest;
    entry.stat = fingerprint;
    ++reads_;
    auto bytes = config::ReadSecretFile(file);
    if (!bytes) return entry.digest = "unreadable";
    const std::string salt = "poolwarden.io/secret-digest/v1\n" + file.text;
    std::array<unsigned char, 8> key{};
    PKCS5_PBKDF2_HMAC(bytes->data(), static_cast<int>(bytes->size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), 20000, EVP_sha256(),
                      static_cast<int>(key.size()), key.data());
    std::string hex;
    for (unsigned char b : key) hex += fmt::format("{:02x}", b);
    return entry.digest = hex;
}

}  // namespace pw::reconcile
