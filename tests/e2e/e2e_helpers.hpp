#pragma once

// Helpers shared by the e2e test files (e2e_test.cpp and the feature files beside it).

#include <gtest/gtest.h>

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

/// Waits until `pool` of `account` is steady at `nodes` dedicated nodes and carries
/// poolwarden's ownership marker (an adopted pool).
inline bool WaitAdopted(E2E& e, const std::string& account, const std::string& pool, int nodes) {
    return E2E::WaitFor(
        [&] {
            auto p = e.Pool(account, pool);
            if (!E2E::Steady(p) || p["currentDedicatedNodes"] != nodes) return false;
            for (const auto& m : p["metadata"])
                if (m["name"] == "poolwarden.io/managed-by") return true;
            return false;
        },
        kConverge);
}

/// Whether a Batch `metadata` array (name/value items) carries poolwarden's ownership marker.
inline bool HasOwnerMarker(const Json& metadata) {
    for (const auto& m : metadata)
        if (m["name"] == "poolwarden.io/managed-by" && m["value"] == "poolwarden") return true;
    return false;
}

/// Checks that `version`'s replica PATCH precedes the pool's one create (`method` on a path
/// holding `create_path`) in `writes`; returns the create's index (-1 when missing).
inline int ExpectReplicasBeforeOneCreate(const std::vector<Json>& writes,
                                         const std::string& version, const std::string& method,
                                         const std::string& create_path) {
    const int patch = IndexOf(writes, "PATCH", "/versions/" + version);
    const int create = IndexOf(writes, method, create_path);
    EXPECT_GE(patch, 0);
    EXPECT_GE(create, 0);
    EXPECT_LT(patch, create) << "replicas before the pool";
    EXPECT_EQ(E2E::CountWrites(writes, method, create_path), 1) << "no duplicate creates";
    return create;
}

}  // namespace pw::e2e
