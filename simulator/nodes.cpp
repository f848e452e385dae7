#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "internal.hpp"
#include "odata.hpp"
#include "world.hpp"

// Compute nodes of the simulated pools: their life (creating -> starting ->
// [waitingforstarttask] -> idle | starttaskfailed, running -> idle, leavingpool -> gone), the
// shrink by nodeDeallocationOption, and the data-plane node list
// `GET {batchUrl}/pools/{poolId}/nodes` (Nodes_ListNodes, [BS21
// `#/paths/~1pools~1{poolId}~1nodes`],
// /work/shared/azure-specs/batch-data-plane/data-plane/Azure.Batch/stable/2025-06-01.21.0/
// BatchService.json).
//
// Nodes are stored as counts per NodeGroup (state, priority, image, vmSize, timer), never one
// object per node: a pool of 3000 idle nodes on one image is one group. Node ids are generated
// when listing, from the pool id and the node's position in the list: deterministic for a given
// world state, but a node's id may change when the groups before it change (guess: Batch's ids
// are stable per VM; nothing poolwarden does keys on a node id).
//
// Admin hooks for nodes (simulator.cpp, Simulator::Admin):
//   GET  /_sim/accounts/{account}/pools/{poolId}/nodes
//        -> 200 {"counts": {"idle": 3, ...}, "groups": [{"state", "dedicated", "count",
//        "image", "vmSize"}]}: the pool's nodes without paging (for test assertions).
//   POST /_sim/accounts/{account}/pools/{poolId}/busy  {"share": 0.5, "seconds": 3600}
//        -> 200 {"busy": N, "until": ISO}: N = min(idle nodes, round(share x all nodes)) idle
//        nodes become `running` until now + seconds (simulated), then `idle` again.
//   PUT  /_sim/startTaskFailures  {"rules": [{"image": ID_OR_VERSION, "share": 0.2}]}
//        -> 200 the document: nodes created with that image end their start in
//        `starttaskfailed` instead of `idle`, deterministically: the n-th such node of a pool
//        fails when floor(n x share) grows (share 0.2: every 5th node). `image` is a
//        virtualMachineImageId (case-insensitive, with its /versions/X) or a bare version name
//        ("2.0.0": any image id ending in /versions/2.0.0). GET returns it, DELETE clears it;
//        PUT /_sim/world clears it too.
// Model knobs (world file "model"): nodeCreatingSeconds (60), nodeStartingSeconds (60),
// startTaskSeconds (30, only pools whose startTask waits for success), nodeLeavingSeconds (15).
namespace pw::sim {

const char* NodeStateName(NodeState s) {
    switch (s) {
        case NodeState::kCreating:
            return "creating";
        case NodeState::kStarting:
            return "starting";
        case NodeState::kWaitingForStartTask:
            return "waitingforstarttask";
        case NodeState::kIdle:
            return "idle";
        case NodeState::kRunning:
            return "running";
        case NodeState::kStartTaskFailed:
            return "starttaskfailed";
        case NodeState::kUnusable:
            return "unusable";
        case NodeState::kLeavingPool:
            return "leavingpool";
    }
    return "unknown";
}

namespace {

std::string PoolImage(const Pool& p) {
    return p.spec.value("virtualMachineConfiguration", Json::object())
        .value("imageReference", Json::object())
        .value("virtualMachineImageId", "");
}

/// A startTask with waitForSuccess (default true, [BS21 `#/definitions/BatchStartTask`]) keeps
/// nodes in waitingforstarttask until it ends.
bool WaitsForStartTask(const Pool& p) {
    auto it = p.spec.find("startTask");
    return it != p.spec.end() && it->is_object() && it->value("waitForSuccess", true);
}

/// Shrink order: nodes doing no work first (guess: Batch's choice of nodes is undocumented).
int RemovalRank(NodeState s) {
    switch (s) {
        case NodeState::kCreating:
            return 0;
        case NodeState::kStarting:
            return 1;
        case NodeState::kWaitingForStartTask:
            return 2;
        case NodeState::kStartTaskFailed:
            return 3;
        case NodeState::kUnusable:
            return 4;
        case NodeState::kIdle:
            return 5;
        case NodeState::kRunning:
            return 6;
        case NodeState::kLeavingPool:
            return 99;
    }
    return 99;
}

double& CurrentOf(Pool& p, bool dedicated) { return dedicated ? p.cur_dedicated : p.cur_low; }

void RefreshTimer(Pool& p) {
    p.node_timer = 0;
    for (const auto& g : p.nodes)
        if (g.until > 0 && g.count > 0 && (p.node_timer == 0 || g.until < p.node_timer))
            p.node_timer = g.until;
}

/// Drops empty groups, merges settled ones alike, and refreshes the pool's node timer.
void DropEmptyAndMerge(Pool& p) {
    std::vector<NodeGroup> out;
    out.reserve(p.nodes.size());
    for (auto& g : p.nodes) {
        if (g.count <= 0) continue;
        if (g.until == 0) {
            auto same = std::find_if(out.begin(), out.end(), [&](const NodeGroup& o) {
                return o.until == 0 && o.state == g.state && o.dedicated == g.dedicated &&
                       o.image == g.image && o.vm_size == g.vm_size;
            });
            if (same != out.end()) {
                same->count += g.count;
                same->since = std::max(same->since, g.since);
                continue;
            }
        }
        out.push_back(std::move(g));
    }
    p.nodes = std::move(out);
    RefreshTimer(p);
}

/// Removes up to `n` nodes of one priority, by RemovalRank; busy (running) nodes only when
/// `busy` says how: 0 keep, 1 leavingpool until `leave_until`, 2 gone at once. Returns how many.
int RemoveNodes(Pool& p, bool dedicated, int n, int busy, double t, double leave_until) {
    int removed = 0;
    for (int rank = 0; rank <= 6 && removed < n; ++rank) {
        const std::size_t size = p.nodes.size();
        for (std::size_t i = 0; i < size && removed < n; ++i) {
            NodeGroup& g = p.nodes[i];
            if (g.dedicated != dedicated || RemovalRank(g.state) != rank || g.count <= 0) continue;
            if (g.state == NodeState::kRunning && busy == 0) continue;
            const int take = std::min(g.count, n - removed);
            removed += take;
            g.count -= take;
            if (g.state == NodeState::kRunning && busy == 1) {
                NodeGroup leaving = g;
                leaving.count = take;
                leaving.state = NodeState::kLeavingPool;
                leaving.since = t;
                leaving.until = leave_until;
                p.nodes.push_back(std::move(leaving));  // g is not used after this
            }
        }
    }
    return removed;
}

std::uint64_t Fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char ch : s) {
        h ^= ch;
        h *= 1099511628211ULL;
    }
    return h;
}

/// "tvmps_<16 hex>_d" (dedicated) or "_p": Batch's ids have this shape (guess: the hex part is
/// a hash of the pool id and the node's position here).
std::string NodeId(const std::string& pool_id, std::size_t index, bool dedicated) {
    char buf[40];
    std::snprintf(
        buf, sizeof buf, "tvmps_%016llx_%c",
        static_cast<unsigned long long>(Fnv1a(ToLower(pool_id) + "#" + std::to_string(index))),
        dedicated ? 'd' : 'p');
    return buf;
}

/// One BatchNode [BS21 `#/definitions/BatchNode`] of a group.
Json RenderNode(const Pool& p, const NodeGroup& g, std::size_t index, const std::string& base) {
    const std::string id = NodeId(p.id, index, g.dedicated);
    const bool busy = g.state == NodeState::kRunning;
    Json image = {{"virtualMachineImageId", g.image}};
    if (const auto v = g.image.rfind("/versions/"); v != std::string::npos) {
        // exactVersion: the version the node runs (guess: documented for "latest" marketplace
        // images only [BS21 `#/definitions/BatchVmImageReference/properties/exactVersion`]).
        image["exactVersion"] = g.image.substr(v + 10);
    }
    Json j = {{"id", id},
              {"url", base + "/pools/" + p.id + "/nodes/" + id},
              {"state", NodeStateName(g.state)},
              {"schedulingState", "enabled"},
              {"stateTransitionTime", FormatIso(g.since)},
              {"vmSize", g.vm_size},
              {"isDedicated", g.dedicated},
              {"totalTasksRun", busy ? 1 : 0},
              {"runningTasksCount", busy ? 1 : 0},
              {"runningTaskSlotsCount", busy ? 1 : 0},
              {"virtualMachineInfo", {{"imageReference", image}}}};
    if (g.state == NodeState::kStartTaskFailed) {
        // BatchStartTaskInfo / BatchTaskFailureInfo [BS21 `#/definitions/BatchStartTaskInfo`];
        // the failure code and text are a guess.
        j["startTaskInfo"] = {
            {"state", "completed"},
            {"startTime", FormatIso(g.since)},
            {"endTime", FormatIso(g.since)},
            {"exitCode", 1},
            {"retryCount", 0},
            {"result", "failure"},
            {"failureInfo",
             {{"category", "usererror"},
              {"code", "FailureExitCode"},
              {"message", "The task exited with an exit code representing a failure"}}}};
    } else if (g.state == NodeState::kIdle || busy) {
        j["startTaskInfo"] = {{"state", "completed"},
                              {"startTime", FormatIso(g.since)},
                              {"endTime", FormatIso(g.since)},
                              {"exitCode", 0},
                              {"retryCount", 0},
                              {"result", "success"}};
    }
    return j;
}

}  // namespace

int NodeTotal(const Pool& p, bool dedicated) {
    int n = 0;
    for (const auto& g : p.nodes)
        if (g.dedicated == dedicated) n += g.count;
    return n;
}

Json NodeSummaryJson(const Pool& p) {
    Json counts = Json::object();
    Json groups = Json::array();
    for (const auto& g : p.nodes) {
        const char* state = NodeStateName(g.state);
        counts[state] = counts.value(state, 0) + g.count;
        groups.push_back({{"state", state},
                          {"dedicated", g.dedicated},
                          {"count", g.count},
                          {"image", g.image},
                          {"vmSize", g.vm_size}});
    }
    return {{"counts", counts}, {"groups", groups}};
}

void SeedNodes(Pool& p, double now) {
    p.nodes.clear();
    p.node_timer = 0;
    const std::string image = PoolImage(p);
    const std::string size = p.spec.value("vmSize", "");
    for (const bool dedicated : {true, false}) {
        const int n = static_cast<int>(std::floor(CurrentOf(p, dedicated) + 1e-9));
        if (n > 0) p.nodes.push_back({NodeState::kIdle, dedicated, n, now, 0, image, size});
    }
}

bool World::StartTaskFails(const std::string& image, double* share) const {
    const std::string lower = ToLower(image);
    for (const auto& f : start_task_faults) {
        const std::string want = ToLower(f.image);
        const bool bare = want.find('/') == std::string::npos;
        const std::string suffix = "/versions/" + want;
        if (lower == want ||
            (bare && lower.size() > suffix.size() &&
             lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0)) {
            *share = f.share;
            return true;
        }
    }
    return false;
}

void World::StepNodes(Pool& p, double t1) {
    bool changed = false;
    for (std::size_t i = 0; i < p.nodes.size(); ++i) {
        while (p.nodes[i].until > 0 && t1 >= p.nodes[i].until && p.nodes[i].count > 0) {
            NodeGroup& g = p.nodes[i];
            const double at = g.until;
            changed = true;
            g.since = at;
            switch (g.state) {
                case NodeState::kCreating:
                    g.state = NodeState::kStarting;
                    g.until = at + model.node_starting_seconds;
                    continue;
                case NodeState::kStarting:
                    if (WaitsForStartTask(p)) {
                        g.state = NodeState::kWaitingForStartTask;
                        g.until = at + model.start_task_seconds;
                        continue;
                    }
                    break;
                case NodeState::kWaitingForStartTask:
                    break;
                case NodeState::kLeavingPool:
                    CurrentOf(p, g.dedicated) =
                        std::max(0.0, CurrentOf(p, g.dedicated) - static_cast<double>(g.count));
                    g.count = 0;
                    g.until = 0;
                    continue;
                default:  // running: the work ended
                    g.state = NodeState::kIdle;
                    g.until = 0;
                    continue;
            }
            // The start ended: idle, or starttaskfailed for the fault's share (guess: also for
            // a pool without a startTask, so a test needs none).
            g.state = NodeState::kIdle;
            g.until = 0;
            double share = 0;
            if (StartTaskFails(g.image, &share)) {
                const auto before = static_cast<std::int64_t>(
                    std::floor(static_cast<double>(p.fault_starts) * share + 1e-9));
                p.fault_starts += static_cast<std::uint64_t>(g.count);
                const auto after = static_cast<std::int64_t>(
                    std::floor(static_cast<double>(p.fault_starts) * share + 1e-9));
                const int fails = static_cast<int>(std::min<std::int64_t>(g.count, after - before));
                if (fails > 0) {
                    NodeGroup failed = g;
                    failed.state = NodeState::kStartTaskFailed;
                    failed.count = fails;
                    g.count -= fails;
                    p.nodes.push_back(std::move(failed));  // g is not used after this
                }
            }
        }
    }
    if (changed) {
        DropEmptyAndMerge(p);
    } else {
        RefreshTimer(p);
    }
}

void World::ShrinkNodes(Pool& p, bool dedicated, double budget, double t) {
    const int target = dedicated ? p.target_dedicated : p.target_low;
    int leaving = 0;
    for (const auto& g : p.nodes)
        if (g.dedicated == dedicated && g.state == NodeState::kLeavingPool) leaving += g.count;
    const int excess = NodeTotal(p, dedicated) - leaving - target;
    if (excess > 0) {
        const int n = std::min(excess, std::max(1, static_cast<int>(std::ceil(budget - 1e-9))));
        // nodeDeallocationOption [BS21 `#/definitions/BatchNodeDeallocationOption`]: requeue and
        // terminate end running tasks and remove the nodes "as soon as Tasks have been
        // terminated" (here: leavingpool for node_leaving_seconds, guess); taskcompletion and
        // retaineddata wait for the tasks (retaineddata's retention periods are not modelled).
        const bool stop_tasks = p.deallocation == "requeue" || p.deallocation == "terminate";
        RemoveNodes(p, dedicated, n, stop_tasks ? 1 : 0, t, t + model.node_leaving_seconds);
        DropEmptyAndMerge(p);
    }
    CurrentOf(p, dedicated) = NodeTotal(p, dedicated);
}

void World::SyncNodes(Pool& p, const std::string& region, double t) const {
    for (const bool dedicated : {true, false}) {
        const int want = static_cast<int>(std::floor(CurrentOf(p, dedicated) + 1e-9));
        const int have = NodeTotal(p, dedicated);
        if (have < want) {
            // New nodes carry the pool's image and vmSize at this moment; a versionless
            // virtualMachineImageId means the latest version (contract §8), resolved here.
            std::string image = PoolImage(p);
            if (!image.empty() && ToLower(image).find("/versions/") == std::string::npos) {
                if (const ImageVersion* v = FindVersionById(image, region))
                    image += "/versions/" + v->name;
            }
            NodeGroup g{NodeState::kCreating,
                        dedicated,
                        want - have,
                        t,
                        t + model.node_creating_seconds,
                        std::move(image),
                        p.spec.value("vmSize", "")};
            p.nodes.push_back(std::move(g));
            RefreshTimer(p);
        } else if (have > want) {
            RemoveNodes(p, dedicated, have - want, 2, t, t);
            DropEmptyAndMerge(p);
        }
    }
}

int World::MarkBusy(Pool& pool, double share, double seconds, double now) {
    const int total = NodeTotal(pool, true) + NodeTotal(pool, false);
    int want = static_cast<int>(std::lround(share * total));
    int marked = 0;
    const std::size_t size = pool.nodes.size();
    for (std::size_t i = 0; i < size && marked < want; ++i) {
        NodeGroup& g = pool.nodes[i];
        if (g.state != NodeState::kIdle || g.count <= 0) continue;
        const int take = std::min(g.count, want - marked);
        marked += take;
        g.count -= take;
        NodeGroup busy = g;
        busy.state = NodeState::kRunning;
        busy.count = take;
        busy.since = now;
        busy.until = now + std::max(seconds, 1.0);
        pool.nodes.push_back(std::move(busy));  // g is not used after this
    }
    DropEmptyAndMerge(pool);
    return marked;
}

Reply Simulator::BatchNodes(Ctx& c, Account& a, const std::string& pool_id,
                            const std::string& base) {
    if (c.method != "GET") {
        return BatchError(c, base, 405, "UnsupportedHttpVerb",
                          "The resource doesn't support the specified HTTP verb.");
    }
    auto it = a.pools.find(ToLower(pool_id));
    if (it == a.pools.end()) {
        return BatchError(c, base, 404, "PoolNotFound", "The specified pool does not exist.");
    }
    const Pool& p = it->second;
    // maxresults: "A maximum of 1000 applications can be returned" (sic) [BS21 Nodes_ListNodes].
    int max_int = 1000;
    if (auto bad = MaxResults(c, base, max_int)) return *bad;
    const auto max = static_cast<std::size_t>(max_int);
    std::size_t skip = 0;
    if (c.Has("$skiptoken"))
        skip = static_cast<std::size_t>(std::strtoul(c.Q("$skiptoken").c_str(), nullptr, 10));
    const std::string filter = c.Q("$filter");
    const std::string select = c.Q("$select");
    Json value = Json::array();
    std::size_t matched = 0;
    std::size_t index = 0;
    bool more = false;
    for (const auto& g : p.nodes) {
        for (int k = 0; k < g.count && !more; ++k, ++index) {
            if (filter.empty()) {
                if (matched >= skip) {
                    if (value.size() == max) {
                        more = true;
                        break;
                    }
                    value.push_back(ODataSelect(RenderNode(p, g, index, base), select));
                }
                ++matched;
                continue;
            }
            Json node = RenderNode(p, g, index, base);
            auto keep = ODataFilter(node, filter);
            if (!keep) {
                return BatchError(
                    c, base, 400, "InvalidQueryParameterValue",
                    "Value for one of the query parameters specified in the request URI is "
                    "invalid.",
                    KV({{"QueryParameterName", "$filter"},
                        {"QueryParameterValue", filter},
                        {"Reason",
                         "The simulator supports eq, ne and startswith clauses joined by and."}}));
            }
            if (!*keep) continue;
            if (matched >= skip) {
                if (value.size() == max) {
                    more = true;
                    break;
                }
                value.push_back(ODataSelect(node, select));
            }
            ++matched;
        }
        if (more) break;
    }
    Json body = {{"odata.metadata", base + "/$metadata#nodes"}, {"value", value}};
    if (more) {
        std::string link = base + "/pools/" + p.id +
                           "/nodes?api-version=" + PercentEncode(c.Q("api-version")) +
                           "&maxresults=" + std::to_string(max);
        if (!filter.empty()) link += "&$filter=" + PercentEncode(filter);
        if (!select.empty()) link += "&$select=" + PercentEncode(select);
        link += "&$skiptoken=" + std::to_string(skip + value.size());
        body["odata.nextLink"] = link;
    }
    return MakeJson(200, body, kBatchJson);
}

}  // namespace pw::sim
