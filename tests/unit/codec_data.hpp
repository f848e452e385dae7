#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace pw::codec::testing {

/// The text of `tests/data/codec/<name>` (recorded and spec example bodies).
inline std::string ReadData(const std::string& name) {
    std::ifstream in(std::string(PW_SOURCE_DIR) + "/tests/data/codec/" + name);
    EXPECT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace pw::codec::testing
