#pragma once

// Helpers shared by the e2e test files (e2e_test.cpp and the feature files beside it).

#include <filesystem>
#include <fstream>
#include <regex>

#include "e2e_fixture.hpp"

namespace pw::e2e {

inline constexpr double kFast = 600;  // simulated seconds per real second
inline constexpr auto kConverge = 90s;

inline int ReplicaCount(const Json& version, const std::string& region_norm) {
    for (const auto& r : version["properties"]["publishingProfile"]["targetRegions"]) {
        std::string name = r["name"];
        std::string norm;
        for (char c : name)
            if (c != ' ') norm += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (norm == region_norm) return r.value("regionalReplicaCount", 0);
    }
    return 0;
}

inline Json Body(const Json& request) {
    return Json::parse(request.value("body", std::string("{}")));
}

inline int IndexOf(const std::vector<Json>& writes, const std::string& method,
                   const std::string& part) {
    for (std::size_t i = 0; i < writes.size(); ++i) {
        std::string path = writes[i]["path"];
        if (writes[i]["method"] == method && path.find(part) != std::string::npos)
            return static_cast<int>(i);
    }
    return -1;
}

/// After convergence: several cycles pass without a single write.
inline void ExpectZeroWritesAtSteadyState(E2E& e) {
    auto before = e.Writes().size();
    auto reads_before = e.Requests().size();
    std::this_thread::sleep_for(3500ms);  // >= 3 cycles at interval 1s
    EXPECT_EQ(e.Writes().size(), before) << "steady state must not write";
    EXPECT_GT(e.Requests().size(), reads_before) << "the daemon keeps observing";
}

/// GET on the daemon's endpoints: the status, or 0 when nothing answers on `port`.
inline int TryGet(std::uint16_t port, const std::string& path) {
    try {
        return Send(port, "GET", path).status;
    } catch (const std::exception&) {
        return 0;
    }
}

/// A loopback listener holding a port (free for others once destroyed).
struct HeldPort {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
};

/// The port of the latest "endpoints listening" line of the daemon's log.
inline std::uint16_t LastListeningPort(const DaemonProcess& d) {
    static const std::regex re(R"(endpoints listening.*address\W+127\.0\.0\.1:(\d+))");
    const std::string log = d.Log();
    std::uint16_t port = 0;
    for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
        port = static_cast<std::uint16_t>(std::stoi((*it)[1]));
    return port;
}

/// Token requests the simulator answered, by kind (`client-credentials`, `imds`).
inline int TokenRequests(E2E& e, const std::string& kind) {
    int n = 0;
    const Json all = Send(e.port(), "GET", "/_sim/requests").json();
    for (const auto& r : all["requests"])
        if (r.value("auth", std::string()) == kind && r.value("status", 0) == 200) ++n;
    return n;
}

inline std::string ReadFile(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace pw::e2e
