// libFuzzer target: every Azure JSON decoder on arbitrary bytes (must return an error, never
// crash or throw), and the streaming pool-list decoder against the document decoder (same
// pools, same next link, same error: any difference aborts).
#include <cstdint>
#include <string_view>

#include "codec/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    using namespace pw::codec;
    (void)DecodePool(body);
    auto stream = DecodePoolList(body);
    auto document = detail::DecodePoolListDocument(body);
    if (stream.ok() != document.ok()) __builtin_trap();
    if (stream.ok() &&
        (stream->pools != document->pools || stream->next_link != document->next_link))
        __builtin_trap();
    if (!stream.ok() && stream.error() != document.error()) __builtin_trap();
    (void)DecodeImageVersion(body);
    (void)DecodeImage(body);
    (void)DecodeBatchAccount(body);
    (void)DecodeBatchError(body);
    (void)DecodeArmError(body);
    (void)DecodeAadError(body);
    (void)DecodeSnapshot(body);
    return 0;
}
