#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "model/resource_id.hpp"
#include "server/http_get.hpp"

namespace pw::cli {
namespace {

using nlohmann::json;

struct StatusOptions {
    std::string url = "http://127.0.0.1:9464";
    std::string output = "table";
    int timeout_seconds = 10;
};

std::string Str(const json& j, const char* key, std::string fallback = "") {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i)
            line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], width[i]) : row[i];
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string Nodes(const json& pool) {
    if (!pool.contains("currentNodes")) return "-";
    return fmt::format("{}/{}", Str(pool, "currentNodes"), Str(pool, "targetNodes"));
}

std::string Desired(const json& pool) {
    auto nodes = pool.find("nodes");
    if (nodes == pool.end() || !nodes->contains("desired")) return "autoscale";
    const auto& d = (*nodes)["desired"];
    return std::to_string(d.value("dedicated", 0) + d.value("lowPriority", 0));
}

/// Degraded wins, then Ready, then Progressing: the one word an operator acts on, and why.
std::string Condition(const json& pool) {
    std::map<std::string, std::pair<bool, std::string>> c;
    for (const auto& cond : pool.value("conditions", json::array()))
        c[Str(cond, "type")] = {Str(cond, "status") == "True", Str(cond, "reason")};
    auto is = [&](const char* t) { return c.count(t) && c[t].first; };
    if (is("Degraded")) return "Degraded: " + c["Degraded"].second;
    if (is("Ready")) return "Ready";
    if (is("Progressing")) return "Progressing: " + c["Progressing"].second;
    if (c.count("Ready")) return "NotReady: " + c["Ready"].second;
    return "-";
}

std::string LastAction(const json& item) {
    auto a = item.find("lastAction");
    if (a == item.end()) return "-";
    return fmt::format("{} {} ({})", Str(*a, "kind"), Str(*a, "result"), Str(*a, "at"));
}

std::string FormatStatus(const json& s) {
    std::string out;
    if (auto c = s.find("lastCycle"); c != s.end())
        out +=
            fmt::format("last cycle #{} finished {}: {} action(s), {} write(s), {} failed{}\n\n",
                        Str(*c, "id"), Str(*c, "finished"), Str(*c, "actions"), Str(*c, "writes"),
                        Str(*c, "failed"), c->value("converged", false) ? ", converged" : "");
    else
        out += "no reconcile cycle finished yet\n\n";

    std::vector<std::vector<std::string>> pools = {
        {"ACCOUNT", "POOL", "NODES", "DESIRED", "ALLOCATION", "CONDITION", "LAST ACTION"}};
    for (const auto& p : s.value("pools", json::array()))
        pools.push_back({Str(p, "account"), Str(p, "id"), Nodes(p), Desired(p),
                         Str(p, "allocationState", "-"), Condition(p), LastAction(p)});
    out += "POOLS (nodes: current/target)\n";
    out += pools.size() > 1 ? Table(pools) : "(none)\n";

    std::vector<std::vector<std::string>> versions = {
        {"IMAGE VERSION", "REGION", "REPLICAS", "STATE", "LAST ACTION"}};
    for (const auto& v : s.value("imageVersions", json::array()))
        for (const auto& r : v.value("regions", json::array())) {
            std::string state = Str(r, "replicationState");
            if (state == "Replicating") state += fmt::format(" {}%", Str(r, "progress", "0"));
            versions.push_back(
                {model::ShortImageVersion(Str(v, "id")), Str(r, "region"),
                 fmt::format("{}/{}", Str(r, "currentReplicas"), Str(r, "requiredReplicas")), state,
                 LastAction(v)});
        }
    out += "\nIMAGE VERSIONS (replicas: current/required)\n";
    out += versions.size() > 1 ? Table(versions) : "(none)\n";

    std::vector<std::vector<std::string>> rollouts = {{"GROUP", "POOL", "STEP", "SINCE", "DETAIL"}};
    for (const auto& g : s.value("rollouts", json::array()))
        for (const auto& p : g.value("pools", json::array())) {
            std::string detail = Str(p, "detail");
            if (p.contains("nextWindow")) detail += " (next window " + Str(p, "nextWindow") + ")";
            rollouts.push_back({Str(g, "name") + (g.value("halted", false) ? " HALTED" : ""),
                                Str(p, "account") + "/" + Str(p, "id"), Str(p, "step"),
                                Str(p, "since", "-"), detail});
        }
    if (rollouts.size() > 1) out += "\nROLLOUTS (updatePolicy drainAndSwap)\n" + Table(rollouts);

    std::vector<std::string> problems;
    for (const auto& a : s.value("accounts", json::array()))
        if (!a.value("observed", true))
            problems.push_back(
                fmt::format("account {} not observed: {}", Str(a, "name"), Str(a, "error")));
    for (const auto& f : s.value("configFiles", json::array()))
        if (!f.value("valid", true))
            problems.push_back(fmt::format(
                "config file {} rejected ({} error(s)){}", Str(f, "file"),
                f.value("errors", json::array()).size(),
                f.value("usingLastGood", false) ? "; its last good version stays in force" : ""));
    if (s.contains("configError")) problems.push_back("daemon file reload rejected");
    for (const auto& p : s.value("pools", json::array()))
        for (const auto& f : p.value("findings", json::array()))
            problems.push_back(fmt::format("{} {}/{}: {}: {}", Str(f, "severity"),
                                           Str(p, "account"), Str(p, "id"), Str(f, "code"),
                                           Str(f, "message")));
    for (const auto& o : s.value("orphanedPools", json::array()))
        problems.push_back(fmt::format("warning {}/{}: Orphaned: {}", Str(o, "account"),
                                       Str(o, "id"), Str(o, "message")));
    if (!problems.empty()) {
        out += "\nPROBLEMS\n";
        for (const auto& p : problems) out += p + "\n";
    }
    return out;
}

int RunStatus(const StatusOptions& o) {
    std::string url = o.url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/status";
    auto r = server::HttpGet(url, std::chrono::seconds(o.timeout_seconds));
    if (!r) {
        fmt::print(stderr,
                   "poolwarden status: cannot reach poolwarden: {}\n(is `poolwarden run` running, "
                   "and is --url the daemon file's `listen` address?)\n",
                   r.error());
        return 1;
    }
    if (r->status != 200) {
        fmt::print(stderr, "poolwarden status: GET {} answered HTTP {}\n", url, r->status);
        return 1;
    }
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        fmt::print(stderr, "poolwarden status: GET {} did not return a JSON status document\n",
                   url);
        return 1;
    }
    if (o.output == "json")
        fmt::print("{}\n", j.dump(2));
    else
        fmt::print("{}", FormatStatus(j));
    return 0;
}

}  // namespace

void AddStatusCommand(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "status", "Show the running daemon's pools and image versions (GET /status)");
    auto o = std::make_shared<StatusOptions>();
    cmd->add_option("--url", o->url, "Base URL of the daemon's observability endpoints")
        ->capture_default_str();
    cmd->add_option("--output,-o", o->output, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    cmd->add_option("--timeout", o->timeout_seconds, "Seconds to wait for the daemon")
        ->check(CLI::Range(1, 300))
        ->capture_default_str();
    cmd->callback([o, &exit_code] { exit_code = RunStatus(*o); });
}

}  // namespace pw::cli
