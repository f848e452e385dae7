#include "util.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <cmath>
#include <ctime>

namespace pw::sim {

namespace {
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int B64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}
}  // namespace

std::string Base64Encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    while (i + 2 < data.size()) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16U) |
                       (static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8U) |
                       static_cast<unsigned>(static_cast<unsigned char>(data[i + 2]));
        out += kB64[(n >> 18U) & 63U];
        out += kB64[(n >> 12U) & 63U];
        out += kB64[(n >> 6U) & 63U];
        out += kB64[n & 63U];
        i += 3;
    }
    const std::size_t rest = data.size() - i;
    if (rest == 1) {
        const auto n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16U;
        out += kB64[(n >> 18U) & 63U];
        out += kB64[(n >> 12U) & 63U];
        out += "==";
    } else if (rest == 2) {
        const auto n = (static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16U) |
                       (static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8U);
        out += kB64[(n >> 18U) & 63U];
        out += kB64[(n >> 12U) & 63U];
        out += kB64[(n >> 6U) & 63U];
        out += '=';
    }
    return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        if (c == '\n' || c == '\r') continue;
        const int v = B64Value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6U) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU);
        }
    }
    return out;
}

std::string Base64UrlEncode(std::string_view data) {
    std::string s = Base64Encode(data);
    while (!s.empty() && s.back() == '=') s.pop_back();
    for (char& c : s) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return s;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) { return Base64Decode(text); }

std::string HmacSha256(std::string_view key, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len);
    return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::string PercentDecode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size() &&
            std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string MakeJwt(const Json& payload) {
    const Json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"kid", "poolwarden-sim"}};
    return Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump()) + "." +
           Base64UrlEncode("poolwarden-sim-unsigned");
}

std::optional<Json> JwtPayload(std::string_view token) {
    const auto d1 = token.find('.');
    if (d1 == std::string_view::npos) return std::nullopt;
    const auto d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    auto raw = Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
    if (!raw) return std::nullopt;
    auto j = Json::parse(*raw, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

std::string Uuid(std::mt19937_64& rng) {
    const std::uint64_t a = rng();
    const std::uint64_t b = rng();
    std::array<unsigned char, 16> bytes{};
    for (std::size_t i = 0; i < 8; ++i) {
        bytes[i] = static_cast<unsigned char>(a >> (8U * i));
        bytes[8 + i] = static_cast<unsigned char>(b >> (8U * i));
    }
    bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0FU) | 0x40U);
    bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3FU) | 0x80U);
    static constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += kHex[bytes[i] >> 4U];
        out += kHex[bytes[i] & 15U];
    }
    return out;
}

namespace {
std::tm ToTm(double epoch) {
    const auto secs = static_cast<std::time_t>(std::floor(epoch));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}
}  // namespace

std::string FormatIso(double epoch) {
    const std::tm tm = ToTm(epoch);
    std::array<char, 64> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
    const auto frac = static_cast<long>((epoch - std::floor(epoch)) * 1e7);
    std::array<char, 16> fb{};
    std::snprintf(fb.data(), fb.size(), ".%07ldZ", frac);
    return std::string(buf.data()) + fb.data();
}

std::string FormatRfc1123(double epoch) {
    const std::tm tm = ToTm(epoch);
    std::array<char, 64> buf{};
    std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf.data();
}

std::optional<double> ParseIsoTime(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) return std::nullopt;
    double frac = 0;
    if (*end == '.') {
        frac = std::strtod(end, nullptr);
    }
    return static_cast<double>(timegm(&tm)) + frac;
}

std::optional<double> ParseIsoDuration(std::string_view text) {
    if (text.empty() || text[0] != 'P') return std::nullopt;
    double total = 0;
    bool in_time = false;
    bool any = false;
    std::string num;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == 'T') {
            if (!num.empty()) return std::nullopt;
            in_time = true;
            continue;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
            num += c;
            continue;
        }
        if (num.empty()) return std::nullopt;
        const double v = std::strtod(num.c_str(), nullptr);
        num.clear();
        any = true;
        if (!in_time && c == 'D') {
            total += v * 86400;
        } else if (!in_time && c == 'W') {
            total += v * 7 * 86400;
        } else if (in_time && c == 'H') {
            total += v * 3600;
        } else if (in_time && c == 'M') {
            total += v * 60;
        } else if (in_time && c == 'S') {
            total += v;
        } else {
            return std::nullopt;
        }
    }
    if (!num.empty() || !any) return std::nullopt;
    return total;
}

std::string FormatIsoDuration(double seconds) {
    auto s = static_cast<long long>(std::llround(seconds));
    const long long days = s / 86400;
    s %= 86400;
    const long long h = s / 3600;
    s %= 3600;
    const long long m = s / 60;
    s %= 60;
    std::string out = "P";
    if (days > 0) out += std::to_string(days) + "D";
    if (h > 0 || m > 0 || s > 0 || days == 0) {
        out += "T";
        if (h > 0) out += std::to_string(h) + "H";
        if (m > 0) out += std::to_string(m) + "M";
        if (s > 0 || (h == 0 && m == 0)) out += std::to_string(s) + "S";
    }
    return out;
}

std::string ToLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string NormalizeRegion(std::string_view name) {
    std::string out;
    for (char c : name) {
        if (c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace pw::sim
