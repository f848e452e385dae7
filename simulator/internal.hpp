#pragma once

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "simulator.hpp"

// Internal helpers shared by the simulator's translation units.
namespace pw::sim {

using http::Reply;
namespace bhttp = boost::beast::http;

struct Simulator::Ctx {
    explicit Ctx(const http::Request& r) : req(r) {}
    const http::Request& req;
    std::string method;
    std::string path;
    std::string raw_query;
    std::vector<std::pair<std::string, std::string>> query;
    std::string host;
    std::string scheme;
    std::string auth_kind = "none";
    std::string request_id;
    double now = 0;

    std::string Q(std::string_view name) const {
        for (const auto& [k, v] : query) {
            if (ToLower(k) == ToLower(name)) return v;
        }
        return {};
    }
    bool Has(std::string_view name) const {
        return std::any_of(query.begin(), query.end(),
                           [&](const auto& kv) { return ToLower(kv.first) == ToLower(name); });
    }
    std::string Header(std::string_view name) const {
        auto it = req.find(name);
        return it == req.end() ? std::string() : std::string(it->value());
    }
    std::string Base() const { return scheme + "://" + host; }
};

/// A Batch data-plane error body (BatchError, contract §1.7) with `values` [{key, value}].
Reply BatchError(const Simulator::Ctx& c, const std::string& base, unsigned status,
                 const std::string& code, const std::string& message, const Json& values = Json());
/// `maxresults` of a Batch list (1..1000) into `max`; the 400 Batch answers for another value.
std::optional<Reply> MaxResults(const Simulator::Ctx& c, const std::string& base, int& max);
/// [{key, value}] for BatchError's `values`.
Json KV(std::initializer_list<std::pair<const char*, std::string>> items);

inline std::string PercentEncode(std::string_view s) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out += static_cast<char>(ch);
        } else {
            out += '%';
            out += kHex[ch >> 4U];
            out += kHex[ch & 15U];
        }
    }
    return out;
}

inline std::vector<std::string> SplitPath(std::string_view path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        std::size_t j = i;
        while (j < path.size() && path[j] != '/') ++j;
        if (j > i) out.push_back(PercentDecode(path.substr(i, j - i), false));
        i = j;
    }
    return out;
}

inline std::map<std::string, std::string> ParseForm(std::string_view body) {
    std::map<std::string, std::string> out;
    std::size_t i = 0;
    while (i <= body.size()) {
        std::size_t amp = body.find('&', i);
        if (amp == std::string_view::npos) amp = body.size();
        const std::string_view kv = body.substr(i, amp - i);
        if (!kv.empty()) {
            const auto eq = kv.find('=');
            if (eq == std::string_view::npos) {
                out[PercentDecode(kv, true)] = "";
            } else {
                out[PercentDecode(kv.substr(0, eq), true)] = PercentDecode(kv.substr(eq + 1), true);
            }
        }
        i = amp + 1;
    }
    return out;
}

inline Reply MakeJson(unsigned status, const Json& body,
                      std::string_view content_type = "application/json; charset=utf-8") {
    Reply r;
    r.response.result(status);
    r.response.set(bhttp::field::content_type, content_type);
    r.response.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
}

inline Reply MakeEmpty(unsigned status) {
    Reply r;
    r.response.result(status);
    return r;
}

inline bool Ieq(std::string_view a, std::string_view b) { return ToLower(a) == ToLower(b); }

inline constexpr const char* kBatchJson = "application/json;odata=minimalmetadata";

inline const std::vector<std::string>& KnownBatchApiVersions() {
    static const std::vector<std::string> v = {
        "2025-06-01",      "2025-06-01.21.0", "2024-07-01.20.0", "2024-02-01.19.0",
        "2023-11-01.18.0", "2023-05-01.17.0", "2022-10-01.16.0", "2022-01-01.15.0"};
    return v;
}

inline std::string StripQuotes(std::string s) {
    if (s.rfind("W/", 0) == 0) s = s.substr(2);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

inline std::string Display(const std::string& region) { return region; }

}  // namespace pw::sim
