#include "odata.hpp"

#include <regex>

namespace pw::sim {

Json ODataSelect(const Json& j, const std::string& select) {
    if (select.empty()) return j;
    Json out = Json::object();
    std::size_t i = 0;
    while (i <= select.size()) {
        std::size_t comma = select.find(',', i);
        if (comma == std::string::npos) comma = select.size();
        std::string key = select.substr(i, comma - i);
        key.erase(0, key.find_first_not_of(' '));
        key.erase(key.find_last_not_of(' ') + 1);
        if (j.contains(key)) out[key] = j[key];
        i = comma + 1;
    }
    if (j.contains("odata.metadata")) out["odata.metadata"] = j["odata.metadata"];
    return out;
}

std::optional<bool> ODataFilter(const Json& j, const std::string& filter) {
    if (filter.empty()) return true;
    static const std::regex kAnd(R"(\s+and\s+)", std::regex::icase);
    static const std::regex kEq(R"(^\s*(\w+)\s+(eq|ne)\s+'((?:[^']|'')*)'\s*$)", std::regex::icase);
    static const std::regex kStarts(R"(^\s*startswith\(\s*(\w+)\s*,\s*'((?:[^']|'')*)'\s*\)\s*$)",
                                    std::regex::icase);
    std::sregex_token_iterator it(filter.begin(), filter.end(), kAnd, -1);
    bool ok = true;
    for (; it != std::sregex_token_iterator(); ++it) {
        const std::string clause = *it;
        std::smatch m;
        auto value_of = [&](const std::string& prop) {
            return j.contains(prop) && j[prop].is_string() ? j[prop].get<std::string>()
                                                           : std::string();
        };
        if (std::regex_match(clause, m, kEq)) {
            const bool eq = ToLower(value_of(m[1].str())) ==
                            ToLower(std::regex_replace(m[3].str(), std::regex("''"), "'"));
            ok = ok && (ToLower(m[2].str()) == "eq" ? eq : !eq);
        } else if (std::regex_match(clause, m, kStarts)) {
            const std::string v = value_of(m[1].str());
            const std::string pre = std::regex_replace(m[2].str(), std::regex("''"), "'");
            ok = ok && v.rfind(pre, 0) == 0;
        } else {
            return std::nullopt;
        }
    }
    return ok;
}

}  // namespace pw::sim
