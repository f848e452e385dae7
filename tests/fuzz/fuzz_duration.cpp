// libFuzzer target: the duration parser and its ISO-8601 formatter must agree.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto d = pw::model::ParseDuration(text);
    if (d) {
        if (d->count() < 0) std::abort();
        auto again = pw::model::ParseDuration(pw::model::FormatIsoDuration(*d));
        if (!again || *again != *d) std::abort();
    }
    return 0;
}
