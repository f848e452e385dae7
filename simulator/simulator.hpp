#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "http/server.hpp"
#include "world.hpp"

/// poolwarden-sim: a local Entra ID, IMDS, ARM (Batch accounts, Compute Gallery) and Batch data
/// plane speaking Azure's wire contract, with simulated time, fault injection and an admin API.
namespace pw::sim {

/// Start-up options of the simulator.
struct SimOptions {
    double time_scale = 1.0;       ///< simulated seconds per real second
    std::uint64_t seed = 1;        ///< seeds fault injection and generated ids
    double token_lifetime = 3599;  ///< seconds (real time) a token stays valid
    bool tls = false;              ///< base URLs use https
    int lro_retry_after = 1;       ///< Retry-After (seconds) on LRO responses
    std::size_t request_log_limit = 10000;
    std::size_t token_log_limit = 10000;  ///< issued access tokens kept for GET /_sim/tokens
};

/// One fault-injection rule; see README "Fault injection".
struct FaultRule {
    std::string method = "*";  ///< HTTP method or "*"
    std::regex path;           ///< ECMAScript regex searched in the path (no query)
    std::string path_text;
    double probability = 1.0;
    int status = 0;         ///< 429/500/503...: answer with this status and an error body
    int retry_after = 0;    ///< seconds, for 429/503
    int latency_ms = 0;     ///< extra delay before handling
    std::string action;     ///< "reset" (drop the connection) or "stall" (never answer)
    int stall_ms = 120000;  ///< how long a stall lasts before the connection is dropped
    /// Corrupts the real answer: "truncated" (half the body), "html" (an HTML page, same
    /// status), "wrongTypes" (numbers become strings, strings numbers), "missingFields" (every
    /// `id`, `value` and `properties` removed), "errorBodyWith200" (status 200, an error body).
    std::string malformed_body;
};

/// The request handler of poolwarden-sim over a World.
///
/// Thread safety: not thread-safe; call Handle() from one strand (pw::http::Server does).
class Simulator {
  public:
    Simulator(World world, SimOptions options);

    /// Serves one request (all surfaces, one port).
    boost::asio::awaitable<http::Reply> Handle(const http::Request& req);

    /// The world advanced to the current simulated time, as a world-file JSON.
    Json DumpWorld();
    /// Replaces the fault rules; throws std::runtime_error on a malformed document.
    void SetFaults(const Json& doc);
    /// Fallback "host:port" for absolute URLs when a request has no Host header.
    void SetDefaultHost(std::string host) { default_host_ = std::move(host); }
    /// The current simulated time (seconds since the Unix epoch).
    double Now() const;

    struct Ctx;

  private:
    http::Reply Dispatch(Ctx& c);
    http::Reply Admin(Ctx& c);
    http::Reply Aad(Ctx& c, const std::string& tenant);
    http::Reply Imds(Ctx& c);
    http::Reply Arm(Ctx& c);
    http::Reply ArmVersion(Ctx& c, Gallery& g, ImageDefinition& d, const std::string& name);
    http::Reply ArmOperation(Ctx& c, const std::string& op_id);
    http::Reply Batch(Ctx& c, Account& a, const std::string& sub_path, const std::string& base);
    http::Reply BatchPools(Ctx& c, Account& a, const std::string& base);
    http::Reply BatchPool(Ctx& c, Account& a, const std::string& id, const std::string& action,
                          const std::string& base);
    /// GET /pools/{poolId}/nodes (nodes.cpp).
    http::Reply BatchNodes(Ctx& c, Account& a, const std::string& pool_id, const std::string& base);
    http::Reply AddPool(Ctx& c, Account& a, const Json& body, const std::string& base);
    /// ARM pool endpoints under an account (arm_pools.cpp): `seg` is the whole path split.
    http::Reply ArmPools(Ctx& c, Account& a, const std::string& account_id,
                         const std::vector<std::string>& seg);
    /// Runs the data-plane operation an ARM pool request stands for.
    http::Reply ArmPoolInner(Ctx& c, Account& a, const std::string& id, const std::string& action,
                             const std::string& method, const Json& body);
    /// A pool as ARM returns it (BatchManagement.json 2025-06-01 #/definitions/Pool).
    Json ArmPoolJson(const Account& a, const Pool& p, const std::string& account_id) const;
    std::optional<http::Reply> CheckArmAuth(Ctx& c);
    std::optional<http::Reply> CheckBatchAuth(Ctx& c, const Account& a);
    /// A version as ARM returns it at `api_version` (only the members that version defines).
    Json RenderVersion(const Gallery& g, const ImageDefinition& d, const ImageVersion& v,
                       bool expand, const std::string& api_version) const;
    std::string NewToken(const std::string& tenant, const std::string& oid,
                         const std::string& appid, const std::string& aud);

    struct Operation {
        std::string id;
        std::string version_key;  ///< gallery key + image + version, lower-case
        std::string resource_url;
        double start = 0;
        double done_at = 0;
    };
    struct LogEntry {
        Json json;
    };
    /// For a Batch pool write: the pool's image version and its replication in the account's
    /// region at this moment (recorded in the request log as `imageReplicas`).
    Json PoolWriteImageState(const Ctx& c, const http::Request& req);

    World world_;
    SimOptions options_;
    std::mt19937_64 rng_;
    std::mt19937_64 fault_rng_;
    std::chrono::steady_clock::time_point real_start_;
    double sim_start_ = 0;
    double offset_ = 0;
    /// Replaced whole by PUT/DELETE /_sim/faults, never changed in place: a request waiting
    /// in a rule's latency or stall keeps the rule set it started with alive.
    std::shared_ptr<const std::vector<FaultRule>> faults_ =
        std::make_shared<const std::vector<FaultRule>>();
    Json faults_doc_ = Json::object();
    std::map<std::string, Operation> operations_;
    std::deque<Json> log_;
    std::deque<std::string> issued_tokens_;
    std::uint64_t seq_ = 0;
    /// ARM's subscription token buckets, as its x-ms-ratelimit-remaining-subscription-* headers
    /// report them (reads: 250, 25/s; writes: 200, 10/s; "Understand how Azure Resource Manager
    /// throttles requests"), on real time. Reported only: the simulator never throttles for it.
    struct ArmBucket {
        double size;
        double rate;
        double tokens;
        std::chrono::steady_clock::time_point last{};
        long long Take(std::chrono::steady_clock::time_point now);
    };
    ArmBucket arm_reads_{250, 25, 250};
    ArmBucket arm_writes_{200, 10, 200};
    std::string default_host_ = "127.0.0.1";
};

/// Parses a faults document `{"rules":[{...}]}`; throws std::runtime_error.
std::vector<FaultRule> ParseFaults(const Json& doc);

}  // namespace pw::sim
