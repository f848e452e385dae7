// libFuzzer target: the gallery image version id parser; a parsed id must round-trip.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/resource_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string why;
    auto id = pw::model::ParseImageVersionId(text, &why);
    if (id) {
        auto again = pw::model::ParseImageVersionId(id->str());
        if (!again || !(*again == *id)) std::abort();
    } else if (why.empty()) {
        std::abort();
    }
    pw::model::NormalizeRegion(text);
    return 0;
}
