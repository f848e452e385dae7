#pragma once

// The chaos fault rules of the soak tests (PUT /_sim/faults, simulator/simulator.cpp): latency,
// stalls (35 s ones only on GETs), 429 with Retry-After, 500/503 and connection resets on every
// path the daemon calls, token endpoint included.

#include <nlohmann/json.hpp>

namespace pw::soak {

/// The fault rules both soaks turn on (body of PUT /_sim/faults).
inline nlohmann::json ChaosFaultRules() {
    return nlohmann::json::parse(R"({"rules":[
      {"path":".","probability":0.2,"latencyMs":40},
      {"path":".","probability":0.002,"method":"GET","action":"stall","stallMs":35000},
      {"path":".","probability":0.01,"action":"stall","stallMs":1500},
      {"path":".","probability":0.10,"status":429,"retryAfter":1},
      {"path":".","probability":0.03,"status":503},
      {"path":".","probability":0.02,"status":500},
      {"path":".","probability":0.02,"action":"reset"}
    ]})");
}

}  // namespace pw::soak
