#include <algorithm>
#include <map>
#include <optional>

#include "config/known_keys.hpp"
#include "config/load_detail.hpp"
#include "config/pool_props.hpp"

namespace pw::config {
namespace fs = std::filesystem;
using namespace detail;  // this module's own helpers (load_detail.hpp)
using namespace std::chrono_literals;

namespace {

std::optional<model::StartTask> ParseStartTask(Checker& c, const YamlNode& node,
                                               const fs::path& base_dir) {
    if (!c.IsMap(node)) return std::nullopt;
    c.CheckKeys(node, "pool.startTask");
    model::StartTask t;
    if (auto s = c.String(c.Required(node, "commandLine"))) t.command_line = *s;
    if (auto b = c.Bool(node.find("waitForSuccess"))) t.wait_for_success = *b;
    if (auto b = c.Bool(node.find("elevated"))) t.elevated = *b;
    if (auto v = c.Int(node.find("maxTaskRetryCount"), -1, 100))
        t.max_task_retry_count = static_cast<int>(*v);
    if (const YamlNode* env = node.find("environment"); env && c.IsMap(*env)) {
        for (const auto& [key, value] : env->entries) {
            if (key.kind != YamlNode::Kind::Scalar || key.duplicate) continue;
            if (auto v = c.String(&value)) t.environment[key.value] = *v;
        }
    }
    t.properties = ParseProps(c, node, model::StartTaskFields(), base_dir, false);
    return t;
}

void ParseScale(Checker& c, const YamlNode& node, model::PoolSpec& pool) {
    if (!c.IsMap(node)) return;
    c.CheckKeys(node, "pool.scale");
    const YamlNode* dedicated = node.find("targetDedicatedNodes");
    const YamlNode* low = node.find("targetLowPriorityNodes");
    const YamlNode* autoscale = node.find("autoScale");
    if (autoscale && (dedicated || low)) {
        c.Error(node,
                "set either targetDedicatedNodes/targetLowPriorityNodes or autoScale, not both");
        return;
    }
    if (!autoscale && !dedicated && !low) {
        c.Error(node, "set targetDedicatedNodes and/or targetLowPriorityNodes, or autoScale");
        return;
    }
    if (!autoscale) {
        model::FixedScale f;
        if (auto v = c.Int(dedicated, 0, kMaxNodes))
            f.target_dedicated_nodes = static_cast<int>(*v);
        if (auto v = c.Int(low, 0, kMaxNodes)) f.target_low_priority_nodes = static_cast<int>(*v);
        pool.fixed = f;
        return;
    }
    if (!c.IsMap(*autoscale)) return;
    c.CheckKeys(*autoscale, "pool.scale.autoScale");
    model::AutoScale a;
    if (auto s = c.String(c.Required(*autoscale, "formula"))) a.formula = *s;
    if (auto d =
            c.Duration(autoscale->find("evaluationInterval"), 5min, 168h, " (Batch's minimum)"))
        a.evaluation_interval = *d;
    const YamlNode* max = c.Required(*autoscale, "maxNodes",
                                     "required: poolwarden sizes image replicas for maxNodes");
    if (auto v = c.Int(max, 1, kMaxNodes)) a.max_nodes = static_cast<int>(*v);
    pool.autoscale = a;
}

void ParseMetadata(Checker& c, const YamlNode& node, model::PoolSpec& pool) {
    if (!c.IsMap(node)) return;
    for (const auto& [key, value] : node.entries) {
        if (key.kind != YamlNode::Kind::Scalar || key.duplicate) continue;
        if (key.value.empty()) {
            c.Error(key, "metadata keys must not be empty");
            continue;
        }
        if (LowerCopy(key.value).rfind("poolwarden.io/", 0) == 0) {
            c.Error(key, "the poolwarden.io/ prefix is reserved for poolwarden's own metadata");
            continue;
        }
        if (auto v = c.String(&value)) pool.metadata[key.value] = *v;
    }
}

/// `updatePolicy` (see README.md, Image rollouts).
model::UpdatePolicy ParseUpdatePolicy(Checker& c, const YamlNode& node) {
    using namespace std::chrono_literals;
    model::UpdatePolicy up;
    if (!c.IsMap(node)) return up;
    c.CheckKeys(node, "pool.updatePolicy");
    if (auto s = c.Enum(node.find("strategy"), KnownEnums().at("updatePolicy.strategy")))
        up.strategy = *s == "drainAndSwap" ? model::UpdatePolicy::Strategy::DrainAndSwap
                                           : model::UpdatePolicy::Strategy::Manual;
    if (const YamlNode* d = node.find("drain"); d && c.IsMap(*d)) {
        c.CheckKeys(*d, "pool.updatePolicy.drain");
        if (auto e = c.Enum(d->find("nodeDeallocationOption"),
                            KnownEnums().at("nodeDeallocationOption")))
            up.drain_option = *e;
        if (auto t = c.Duration(d->find("timeout"), 5min, 168h, " (Batch's minimum resizeTimeout)"))
            up.drain_timeout = *t;
        if (auto e = c.Enum(d->find("onTimeout"), KnownEnums().at("updatePolicy.drain.onTimeout")))
            up.on_timeout = *e;
    }
    if (const YamlNode* ws = node.find("maintenanceWindows")) {
        if (ws->kind != YamlNode::Kind::Sequence) {
            c.Error(*ws, "expected a list of windows, got " + Checker::Describe(*ws));
        } else {
            for (const auto& w : ws->items) {
                if (!c.IsMap(w)) continue;
                c.CheckKeys(w, "pool.updatePolicy.maintenanceWindows[]");
                model::MaintenanceWindow mw;
                if (const YamlNode* days = w.find("days")) {
                    mw.days = 0;
                    if (days->kind != YamlNode::Kind::Sequence || days->items.empty())
                        c.Error(*days, "expected a list of days (Mon .. Sun)");
                    for (const auto& day : days->items) {
                        const int d = day.kind == YamlNode::Kind::Scalar
                                          ? model::ParseWeekday(day.value)
                                          : -1;
                        if (d < 0)
                            c.Error(day, "expected a day: Mon, Tue, Wed, Thu, Fri, Sat or Sun");
                        else
                            mw.days |= 1u << d;
                    }
                }
                if (const YamlNode* start = c.Required(w, "start")) {
                    auto text = c.String(start);
                    auto minute = text ? model::ParseClock(*text) : std::nullopt;
                    if (text && !minute)
                        c.Error(*start, "expected a UTC time HH:MM (00:00 .. 23:59)");
                    if (minute) mw.start_minute = *minute;
                }
                if (auto d = c.Duration(c.Required(w, "duration"), 1min, 168h)) mw.duration = *d;
                up.windows.push_back(mw);
            }
        }
    }
    if (auto g = c.String(node.find("rolloutGroup"))) up.group = *g;
    if (auto b = c.Bool(node.find("paused"))) up.paused = *b;
    return up;
}

std::optional<model::PoolSpec> ParsePool(Checker& c, const YamlNode& node,
                                         const DaemonConfig& daemon, std::vector<IdSeen>& ids) {
    if (!c.IsMap(node)) return std::nullopt;
    std::size_t errors_before = c.errors().size();
    c.CheckKeys(node, "pool");
    model::PoolSpec pool;
    pool.source_file = c.file();
    pool.source_line = node.line;

    const YamlNode* id = c.Required(node, "id");
    if (auto s = c.String(id)) {
        if (s->size() > 64) {
            c.Error(*id, "is " + std::to_string(s->size()) + " characters long; the limit is 64");
        } else if (!AllOf(*s, IsPoolIdChar)) {
            c.Error(*id, "may contain only letters, digits, '-' and '_'");
        } else {
            std::string key = LowerCopy(*s);
            auto it =
                std::find_if(ids.begin(), ids.end(), [&](const IdSeen& i) { return i.key == key; });
            if (it != ids.end()) {
                c.Error(*id, "pool id '" + *s + "' is already declared at line " +
                                 std::to_string(it->line) + " (ids are case-insensitive)");
            } else {
                ids.push_back({*s, key, id->line, id->column, id->path});
            }
        }
        pool.id = *s;
    }
    const YamlNode* account = c.Required(node, "account");
    if (auto s = c.String(account)) {
        pool.account = *s;
        bool known = std::any_of(daemon.accounts.begin(), daemon.accounts.end(),
                                 [&](const model::AccountSpec& a) { return a.name == *s; });
        if (!known) {
            std::vector<std::string_view> names;
            for (const auto& a : daemon.accounts) names.push_back(a.name);
            auto suggestion = detail::Closest(*s, names);
            std::string message = "unknown account '" + *s + "'";
            if (!suggestion.empty())
                message += " (did you mean '" + std::string(suggestion) + "'?)";
            else if (names.empty())
                message += "; the daemon file declares no accounts";
            else
                message += "; the daemon file declares: " + [&] {
                    std::string all;
                    for (auto n : names) all += (all.empty() ? "" : ", ") + std::string(n);
                    return all;
                }();
            c.Error(*account, message);
        }
    }
    if (auto s = c.String(c.Required(node, "vmSize"))) pool.vm_size = *s;
    const YamlNode* image = c.Required(node, "image");
    if (auto s = c.String(image)) {
        std::string why;
        if (auto parsed = model::ParseImageVersionId(*s, &why)) {
            pool.image = *parsed;
        } else if (auto definition = model::ParseImageDefinitionId(*s)) {
            pool.image = *definition;  // follows the definition's latest version
            pool.image_follows_latest = true;
        } else
            c.Error(*image, "invalid gallery image version id: " + why);
    }
    if (auto s = c.String(c.Required(node, "nodeAgentSkuId"))) pool.node_agent_sku_id = *s;
    if (const YamlNode* scale = c.Required(node, "scale")) ParseScale(c, *scale, pool);
    if (auto d = c.Duration(node.find("resizeTimeout"), 5min, 168h, " (Batch's minimum)"))
        pool.resize_timeout = *d;
    if (auto e =
            c.Enum(node.find("nodeDeallocationOption"), KnownEnums().at("nodeDeallocationOption")))
        pool.node_deallocation_option = *e;
    if (auto v = c.Int(node.find("taskSlotsPerNode"), 1, 256))
        pool.task_slots_per_node = static_cast<int>(*v);
    const fs::path base_dir =
        daemon.file.empty() ? fs::path() : fs::absolute(fs::path(daemon.file)).parent_path();
    if (const YamlNode* st = node.find("startTask"))
        pool.start_task = ParseStartTask(c, *st, base_dir);
    if (const YamlNode* md = node.find("metadata")) ParseMetadata(c, *md, pool);
    if (auto b = c.Bool(node.find("adopt"))) pool.adopt = *b;
    if (const YamlNode* up = node.find("updatePolicy"))
        pool.update_policy = ParseUpdatePolicy(c, *up);
    if (const YamlNode* identity = node.find("identity")) ParseIdentity(c, *identity, pool);
    pool.properties = ParseProps(c, node, model::PoolFields(), base_dir, false);
    if (c.errors().size() == errors_before) {
        CheckPoolRules(c, node, pool);
        auto acct =
            std::find_if(daemon.accounts.begin(), daemon.accounts.end(),
                         [&](const model::AccountSpec& a) { return a.name == pool.account; });
        CheckIdentityRules(c, node, pool, acct == daemon.accounts.end() ? nullptr : &*acct);
    }
    if (c.errors().size() != errors_before) return std::nullopt;
    return pool;
}

}  // namespace

void detail::LoadPoolFileInto(const fs::path& path, const DaemonConfig& daemon,
                              PoolFileResult& out) {
    out.file.file = DisplayName(path, daemon.file);
    auto text = ReadConfigFile(path, out.file.file);
    if (!text) {
        out.file.errors.push_back(text.error());
        return;
    }
    auto parsed = detail::ParseYaml(*text, out.file.file);
    Checker c(out.file.file);
    c.errors() = std::move(parsed.errors);
    const YamlNode& root = parsed.root;
    if (parsed.empty || root.kind == YamlNode::Kind::Null) {
        c.errors().push_back(
            {out.file.file, 0, 0, "", "the file is empty; expected a map with a 'pools' list"});
    } else if (c.IsMap(root, "a map with a 'pools' list")) {
        c.CheckKeys(root, "poolFile");
        const YamlNode* pools = c.Required(root, "pools");
        if (pools && pools->kind == YamlNode::Kind::Sequence) {
            for (const auto& item : pools->items) {
                if (auto spec = ParsePool(c, item, daemon, out.ids))
                    out.file.pools.push_back(*spec);
            }
        } else if (pools && pools->kind != YamlNode::Kind::Null &&
                   pools->kind != YamlNode::Kind::Invalid) {
            c.Error(*pools, "expected a list of pools, got " + Checker::Describe(*pools));
        }
    }
    out.file.errors = std::move(c.errors());
    CapErrors(out.file.errors, out.file.file);
    if (!out.file.errors.empty()) out.file.pools.clear();
}

PoolFile LoadPoolFile(const fs::path& file, const DaemonConfig& daemon) {
    PoolFileResult result;
    LoadPoolFileInto(file, daemon, result);
    return std::move(result.file);
}

}  // namespace pw::config
