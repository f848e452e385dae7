// libFuzzer target: every Azure JSON decoder on arbitrary bytes (must return an error, never
// crash or throw).
#include <cstdint>
#include <string_view>

#include "codec/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    using namespace pw::codec;
    (void)DecodePool(body);
    (void)DecodePoolList(body);
    (void)DecodeImageVersion(body);
    (void)DecodeImage(body);
    (void)DecodeBatchAccount(body);
    (void)DecodeBatchError(body);
    (void)DecodeArmError(body);
    (void)DecodeAadError(body);
    (void)DecodeSnapshot(body);
    return 0;
}
