#include "model/resource_id.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

namespace pw::model {
namespace {

bool ValidName(std::string_view s) {
    if (s.empty() || s.size() > 260) return false;
    return std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
    });
}

bool ValidVersionName(std::string_view v) {
    // <Major>.<Minor>.<Patch>, each a non-negative int32.
    int parts = 0;
    std::size_t pos = 0;
    while (true) {
        std::size_t start = pos;
        std::int64_t n = 0;
        while (pos < v.size() && std::isdigit(static_cast<unsigned char>(v[pos]))) {
            n = n * 10 + (v[pos] - '0');
            if (n > 2147483647) return false;
            ++pos;
        }
        if (pos == start) return false;
        ++parts;
        if (pos == v.size()) break;
        if (v[pos] != '.') return false;
        ++pos;
    }
    return parts == 3;
}

}  // namespace

bool IEquals(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string ShortImageVersion(std::string_view id) {
    auto parsed = ParseImageVersionId(id);
    if (!parsed) return std::string(id);
    return parsed->gallery + "/" + parsed->image + "/" + parsed->version;
}

std::string ImageVersionId::image_definition_id() const {
    return "/subscriptions/" + subscription_id + "/resourceGroups/" + resource_group +
           "/providers/Microsoft.Compute/galleries/" + gallery + "/images/" + image;
}

std::string ImageVersionId::str() const { return image_definition_id() + "/versions/" + version; }

std::string ImageVersionId::key() const { return Lower(str()); }

std::optional<ImageVersionId> ParseImageVersionId(std::string_view text, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<ImageVersionId> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    const char* expected =
        "expected /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/"
        "galleries/{gallery}/images/{image}/versions/{major.minor.patch}";
    if (text.empty() || text[0] != '/') return fail(std::string("not a resource id; ") + expected);
    std::vector<std::string_view> seg;
    std::size_t pos = 1;
    while (pos <= text.size()) {
        auto next = text.find('/', pos);
        if (next == std::string_view::npos) next = text.size();
        seg.push_back(text.substr(pos, next - pos));
        pos = next + 1;
    }
    if (seg.size() != 12) return fail(std::string("wrong number of segments; ") + expected);
    if (!IEquals(seg[0], "subscriptions") || !IEquals(seg[2], "resourceGroups") ||
        !IEquals(seg[4], "providers") || !IEquals(seg[5], "Microsoft.Compute") ||
        !IEquals(seg[6], "galleries") || !IEquals(seg[8], "images") ||
        !IEquals(seg[10], "versions")) {
        return fail(std::string("not a gallery image version id; ") + expected);
    }
    for (int i : {1, 3, 7, 9}) {
        if (!ValidName(seg[static_cast<std::size_t>(i)]))
            return fail("invalid name '" + std::string(seg[static_cast<std::size_t>(i)]) + "'");
    }
    if (!ValidVersionName(seg[11]))
        return fail("version '" + std::string(seg[11]) +
                    "' is not <major>.<minor>.<patch> with int32 parts");
    return ImageVersionId{std::string(seg[1]), std::string(seg[3]), std::string(seg[7]),
                          std::string(seg[9]), std::string(seg[11])};
}

std::optional<ImageVersionId> ParseImageDefinitionId(std::string_view text, std::string* why) {
    // A definition id is a version id without its last two segments: parse it with a
    // placeholder version so that both forms share one set of rules.
    if (!text.empty() && text.back() == '/') text.remove_suffix(1);
    std::string probe = std::string(text) + "/versions/0.0.0";
    auto parsed = ParseImageVersionId(probe, why);
    if (!parsed) return std::nullopt;
    parsed->version.clear();
    return parsed;
}

int CompareVersionNames(std::string_view a, std::string_view b) {
    auto parts = [](std::string_view v) -> std::optional<std::array<std::int64_t, 3>> {
        if (!ValidVersionName(v)) return std::nullopt;
        std::array<std::int64_t, 3> out{};
        std::size_t i = 0;
        for (char c : v) {
            if (c == '.')
                ++i;
            else
                out[i] = out[i] * 10 + (c - '0');
        }
        return out;
    };
    auto pa = parts(a), pb = parts(b);
    if (!pa || !pb) return pa ? 1 : pb ? -1 : 0;
    return *pa < *pb ? -1 : *pa > *pb ? 1 : 0;
}

// Without a library call per character: keys of 10 000 pools are lowered several times a cycle.
std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string ResourceKey(std::string_view id) { return Lower(id); }

std::string NormalizeRegion(std::string_view region) {
    std::string out;
    for (unsigned char c : region)
        if (!std::isspace(c)) out.push_back(static_cast<char>(std::tolower(c)));
    return out;
}

}  // namespace pw::model
