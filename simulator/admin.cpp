// The simulator's admin API (/_sim/...): state, requests, tokens, faults, time, node hooks.
#include <chrono>

#include "internal.hpp"
#include "simulator.hpp"

namespace pw::sim {

Reply Simulator::Admin(Ctx& c) {
    const std::string p = c.path.substr(6);
    if (p == "state" && c.method == "GET") return MakeJson(200, world_.ToJson());
    if (p == "time" && c.method == "GET") {
        return MakeJson(200, {{"now", FormatIso(c.now)}, {"epoch", c.now}});
    }
    if (p == "requests" && c.method == "GET") {
        const std::string since_text = c.Q("since");
        const std::uint64_t since =
            since_text.empty() ? 0 : std::strtoull(since_text.c_str(), nullptr, 10);
        Json arr = Json::array();
        for (const auto& e : log_) {
            if (e.value("seq", std::uint64_t{0}) > since) arr.push_back(e);
        }
        return MakeJson(200, {{"requests", arr}});
    }
    if (p == "tokens" && c.method == "GET") {
        Json arr = Json::array();
        for (const auto& t : issued_tokens_) arr.push_back(t);
        return MakeJson(200, {{"tokens", arr}});
    }
    if (p == "requests" && c.method == "DELETE") {
        log_.clear();
        return MakeEmpty(204);
    }
    if (p == "faults" && c.method == "GET") return MakeJson(200, faults_doc_);
    if (p == "faults" && (c.method == "PUT" || c.method == "POST")) {
        auto doc = Json::parse(c.req.body(), nullptr, false);
        if (doc.is_discarded()) return MakeJson(400, {{"error", "faults: body is not JSON"}});
        try {
            SetFaults(doc);
        } catch (const std::exception& e) {
            return MakeJson(400, {{"error", e.what()}});
        }
        return MakeJson(200, faults_doc_);
    }
    if (p == "faults" && c.method == "DELETE") {
        faults_ = std::make_shared<const std::vector<FaultRule>>();
        faults_doc_ = Json::object();
        return MakeEmpty(204);
    }
    if (p == "advance" && c.method == "POST") {
        const std::string s = c.Q("seconds");
        char* end = nullptr;
        const double secs = std::strtod(s.c_str(), &end);
        if (s.empty() || end == s.c_str() || secs < 0) {
            return MakeJson(400, {{"error", "advance: ?seconds=N (N >= 0) required"}});
        }
        offset_ += secs;
        const double now = Now();
        world_.AdvanceTo(now);
        return MakeJson(200, {{"now", FormatIso(now)}, {"epoch", now}});
    }
    if (p == "world" && c.method == "PUT") {
        auto doc = Json::parse(c.req.body(), nullptr, false);
        if (doc.is_discarded()) return MakeJson(400, {{"error", "world: body is not JSON"}});
        try {
            world_ = World::FromJson(doc, Now());
        } catch (const std::exception& e) {
            return MakeJson(400, {{"error", e.what()}});
        }
        operations_.clear();
        return MakeJson(200, world_.ToJson());
    }
    // Node hooks (documented in nodes.cpp): busy nodes and start-task failures.
    if (p.rfind("accounts/", 0) == 0 && c.method == "GET") {
        const auto seg = SplitPath(p);
        auto acc = world_.accounts.find(seg.size() > 1 ? ToLower(seg[1]) : std::string());
        if (seg.size() == 5 && seg[2] == "pools" && seg[4] == "nodes" &&
            acc != world_.accounts.end()) {
            auto pool = acc->second.pools.find(ToLower(seg[3]));
            if (pool == acc->second.pools.end())
                return MakeJson(404, {{"error", "nodes: no pool " + seg[3]}});
            return MakeJson(200, NodeSummaryJson(pool->second));
        }
    }
    if (p.rfind("accounts/", 0) == 0 && c.method == "POST") {
        const auto seg = SplitPath(p);
        if (seg.size() == 5 && seg[2] == "pools" && seg[4] == "busy") {
            auto acc = world_.accounts.find(ToLower(seg[1]));
            if (acc == world_.accounts.end())
                return MakeJson(404, {{"error", "busy: no account " + seg[1]}});
            auto pool = acc->second.pools.find(ToLower(seg[3]));
            if (pool == acc->second.pools.end())
                return MakeJson(404, {{"error", "busy: no pool " + seg[3]}});
            auto doc = Json::parse(c.req.body(), nullptr, false);
            if (doc.is_discarded() || !doc.is_object() || !doc.contains("share") ||
                !doc["share"].is_number() || !doc.contains("seconds") ||
                !doc["seconds"].is_number()) {
                return MakeJson(400, {{"error", "busy: body {\"share\": 0..1, \"seconds\": N}"}});
            }
            const double share = doc["share"].get<double>();
            const double seconds = doc["seconds"].get<double>();
            if (share < 0 || share > 1 || seconds <= 0)
                return MakeJson(400, {{"error", "busy: share in 0..1, seconds > 0"}});
            const int n = World::MarkBusy(pool->second, share, seconds, c.now);
            return MakeJson(200, {{"busy", n}, {"until", FormatIso(c.now + seconds)}});
        }
    }
    if (p == "startTaskFailures") {
        auto render = [&] {
            Json rules = Json::array();
            for (const auto& f : world_.start_task_faults)
                rules.push_back({{"image", f.image}, {"share", f.share}});
            return Json{{"rules", rules}};
        };
        if (c.method == "GET") return MakeJson(200, render());
        if (c.method == "DELETE") {
            world_.start_task_faults.clear();
            return MakeEmpty(204);
        }
        if (c.method == "PUT" || c.method == "POST") {
            auto doc = Json::parse(c.req.body(), nullptr, false);
            std::vector<StartTaskFault> rules;
            bool ok = !doc.is_discarded() && doc.is_object() && doc.contains("rules") &&
                      doc["rules"].is_array();
            for (const auto& r : ok ? doc["rules"] : Json::array()) {
                if (!r.is_object() || !r.contains("image") || !r["image"].is_string() ||
                    !r.contains("share") || !r["share"].is_number() ||
                    r["share"].get<double>() < 0 || r["share"].get<double>() > 1) {
                    ok = false;
                    break;
                }
                rules.push_back({r["image"].get<std::string>(), r["share"].get<double>()});
            }
            if (!ok) {
                return MakeJson(400, {{"error",
                                       "startTaskFailures: body {\"rules\": [{\"image\": "
                                       "ID_OR_VERSION, \"share\": 0..1}]}"}});
            }
            world_.start_task_faults = std::move(rules);
            return MakeJson(200, render());
        }
    }
    return MakeJson(404, {{"error", "unknown admin endpoint " + c.path}});
}

}  // namespace pw::sim
