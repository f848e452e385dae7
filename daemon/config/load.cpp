#include "config/load.hpp"

namespace pw::config {

std::string ConfigError::str() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
}

}  // namespace pw::config
