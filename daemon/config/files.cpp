#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/load_detail.hpp"

namespace pw::config::detail {
namespace fs = std::filesystem;

std::string LowerCopy(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool AllOf(std::string_view s, bool (*pred)(unsigned char)) {
    return std::all_of(s.begin(), s.end(),
                       [&](char c) { return pred(static_cast<unsigned char>(c)); });
}

bool IsGuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

bool IsPoolIdChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }
bool IsLowerAlnum(unsigned char c) { return std::islower(c) || std::isdigit(c); }
bool IsResourceGroupChar(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
}
bool IsDomainChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; }

bool IsLoopbackHost(std::string_view host) {
    if (host == "localhost" || host == "[::1]") return true;
    if (host.substr(0, 4) != "127.") return false;
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= host.size()) {
        std::size_t end = host.find('.', pos);
        if (end == std::string_view::npos) end = host.size();
        auto part = host.substr(pos, end - pos);
        if (part.empty() || part.size() > 3 ||
            !AllOf(part, [](unsigned char c) { return std::isdigit(c) != 0; }))
            return false;
        if (std::stoi(std::string(part)) > 255) return false;
        ++parts;
        pos = end + 1;
    }
    return parts == 4;
}

/// Checks an endpoint URL: https, or plain http to loopback (and to IMDS when allowed).
void CheckUrl(Checker& c, const YamlNode& node, const std::string& url, bool allow_imds) {
    auto scheme_end = url.find("://");
    std::string scheme =
        scheme_end == std::string::npos ? "" : LowerCopy(url.substr(0, scheme_end));
    std::string rest = scheme_end == std::string::npos ? "" : url.substr(scheme_end + 3);
    std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string host = authority;
    if (!host.empty() && host[0] == '[') {
        host =
            host.substr(0, host.find(']') == std::string::npos ? host.size() : host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    host = LowerCopy(host);
    if ((scheme != "https" && scheme != "http") || host.empty() ||
        url.find_first_of(" \t") != std::string::npos) {
        c.Error(node, "expected an https:// URL, got '" + url + "'");
        return;
    }
    if (scheme == "http" && !IsLoopbackHost(host) && !(allow_imds && host == "169.254.169.254")) {
        c.Error(node, std::string("plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, "
                                  "localhost") +
                          (allow_imds ? ", and 169.254.169.254 for IMDS" : "") + "); use https");
    }
}

std::string WithTrailingSlash(std::string url) {
    if (url.empty() || url.back() != '/') url.push_back('/');
    return url;
}

fs::path Resolve(const fs::path& base_dir, const std::string& value) {
    fs::path p(value);
    return p.is_absolute() || base_dir.empty() ? p : base_dir / p;
}

std::string DisplayName(const fs::path& file, const std::string& daemon_file) {
    if (daemon_file.empty()) return file.string();
    std::error_code ec;
    fs::path dir = fs::absolute(fs::path(daemon_file), ec).parent_path().lexically_normal();
    fs::path abs = fs::absolute(file, ec).lexically_normal();
    if (ec) return file.string();
    fs::path rel = abs.lexically_relative(dir);
    if (rel.empty() || *rel.begin() == "..") return file.string();
    return rel.string();
}

std::string ByteHex(char c) {
    static const char* kDigits = "0123456789abcdef";
    auto b = static_cast<unsigned char>(c);
    return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

/// Offset of the first byte that makes `text` not UTF-8 text (NUL and other C0 controls but
/// tab, LF and CR included), so that binary junk is refused before YAML guesses an encoding.
std::optional<std::size_t> FindNonText(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80) {
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return i;
            if (b == 0x7f) return i;
            ++i;
            continue;
        }
        std::size_t len = (b & 0xe0) == 0xc0   ? 2
                          : (b & 0xf0) == 0xe0 ? 3
                          : (b & 0xf8) == 0xf0 ? 4
                                               : 0;
        if (len == 0 || b == 0xc0 || b == 0xc1 || b > 0xf4 || i + len > text.size()) return i;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return i;
        i += len;
    }
    return std::nullopt;
}

/// Reads a config file, refusing anything over 1 MiB before reading it.
Result<std::string, ConfigError> ReadConfigFile(const fs::path& file, const std::string& display) {
    std::error_code ec;
    auto status = fs::status(file, ec);
    if (ec || !fs::exists(status)) {
        return Err{ConfigError{display, 0, 0, "",
                               "cannot read the file: " +
                                   (ec ? ec.message() : std::string("No such file or directory"))}};
    }
    if (!fs::is_regular_file(status))
        return Err{ConfigError{display, 0, 0, "", "not a regular file"}};
    auto size = fs::file_size(file, ec);
    if (ec) return Err{ConfigError{display, 0, 0, "", "cannot read the file: " + ec.message()}};
    if (size > kMaxFileBytes) {
        return Err{ConfigError{display, 0, 0, "",
                               "the file is " + std::to_string(size) +
                                   " bytes; config files are limited to 1 MiB (1048576 bytes)"}};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return Err{ConfigError{display, 0, 0, "", "cannot open the file for reading"}};
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return Err{ConfigError{display, 0, 0, "", "error while reading the file"}};
    std::string text = out.str();
    if (auto bad = FindNonText(text)) {
        return Err{ConfigError{display, 0, 0, "",
                               "not a UTF-8 text file (byte " + ByteHex(text[*bad]) +
                                   " at offset " + std::to_string(*bad) + ")"}};
    }
    return text;
}

/// Orders a file's errors by position and keeps the first kMaxErrors, saying how many were
/// left out.
void CapErrors(std::vector<ConfigError>& errors, const std::string& file) {
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    constexpr std::size_t kMaxErrors = 50;
    if (errors.size() <= kMaxErrors) return;
    std::size_t more = errors.size() - kMaxErrors;
    errors.resize(kMaxErrors);
    errors.push_back({file, 0, 0, "", std::to_string(more) + " more errors not shown"});
}

}  // namespace pw::config::detail
