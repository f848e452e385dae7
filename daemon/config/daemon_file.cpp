#include <algorithm>
#include <map>
#include <optional>

#include "config/known_keys.hpp"
#include "config/load_detail.hpp"

namespace pw::config {
namespace fs = std::filesystem;
using namespace detail;  // this module's own helpers (load_detail.hpp)
using namespace std::chrono_literals;

namespace {

struct CloudPreset {
    std::string_view name, resource_manager, authority_host, batch_resource, management_resource;
};
constexpr CloudPreset kClouds[] = {
    {"AzurePublicCloud", "https://management.azure.com/", "https://login.microsoftonline.com/",
     "https://batch.core.windows.net/", "https://management.core.windows.net/"},
    {"AzureUSGovernment", "https://management.usgovcloudapi.net/",
     "https://login.microsoftonline.us/", "https://batch.core.usgovcloudapi.net/",
     "https://management.core.usgovcloudapi.net/"},
    {"AzureChinaCloud", "https://management.chinacloudapi.cn/", "https://login.chinacloudapi.cn/",
     "https://batch.chinacloudapi.cn/", "https://management.core.chinacloudapi.cn/"},
};

void ParseCloud(Checker& c, const YamlNode& node, CloudEndpoints& cloud) {
    if (node.kind == YamlNode::Kind::Scalar) {
        auto name = c.Enum(&node, KnownEnums().at("cloud"));
        if (!name) return;
        for (const auto& preset : kClouds) {
            if (preset.name != *name) continue;
            cloud.name = preset.name;
            cloud.resource_manager = preset.resource_manager;
            cloud.authority_host = preset.authority_host;
            cloud.batch_resource = preset.batch_resource;
            cloud.management_resource = preset.management_resource;
        }
        return;
    }
    if (!c.IsMap(node,
                 "a cloud name (AzurePublicCloud, AzureUSGovernment, AzureChinaCloud) or "
                 "a map of endpoints"))
        return;
    c.CheckKeys(node, "daemon.cloud");
    cloud.name = "custom";
    struct Field {
        std::string_view key;
        std::string* target;
        bool required;
        bool imds;
    };
    const Field fields[] = {
        {"resourceManager", &cloud.resource_manager, true, false},
        {"authorityHost", &cloud.authority_host, true, false},
        {"batchResource", &cloud.batch_resource, true, false},
        {"managementResource", &cloud.management_resource, true, false},
        {"imdsEndpoint", &cloud.imds_endpoint, false, true},
    };
    for (const auto& f : fields) {
        const YamlNode* v = f.required ? c.Required(node, f.key) : node.find(f.key);
        auto s = c.String(v);
        if (!s) continue;
        CheckUrl(c, *v, *s, f.imds);
        *f.target = *s;
    }
    cloud.resource_manager = WithTrailingSlash(cloud.resource_manager);
    cloud.authority_host = WithTrailingSlash(cloud.authority_host);
}

std::optional<std::string> Guid(Checker& c, const YamlNode* node) {
    auto s = c.String(node);
    if (s && !IsGuid(*s)) {
        c.Error(*node,
                "expected a GUID like 00000000-0000-0000-0000-000000000000, got '" + *s + "'");
        return std::nullopt;
    }
    return s;
}

void ParseAuth(Checker& c, const YamlNode& node, const fs::path& dir, AuthConfig& auth) {
    if (!c.IsMap(node)) return;
    c.CheckKeys(node, "daemon.auth");
    if (const YamlNode* m = node.find("method")) {
        auto method = c.Enum(m, KnownEnums().at("auth.method"));
        if (!method) return;
        auth.method = *method;
    }
    const std::string& method = auth.method;
    const std::string needed = "required when method is " + method;
    bool tenant_needed = method != "managedIdentity";
    bool client_needed = method != "managedIdentity";

    const YamlNode* tenant =
        tenant_needed ? c.Required(node, "tenantId", needed) : node.find("tenantId");
    if (auto t = c.String(tenant)) {
        bool domain = t->find('.') != std::string::npos && AllOf(*t, IsDomainChar);
        if (!IsGuid(*t) && !domain)
            c.Error(*tenant, "expected a tenant GUID or a domain name, got '" + *t + "'");
        else if (!tenant_needed)
            c.Warn(*tenant, "ignored with method managedIdentity");
        else
            auth.tenant_id = *t;
    }
    const YamlNode* client =
        client_needed ? c.Required(node, "clientId", needed) : node.find("clientId");
    if (auto id = Guid(c, client)) auth.client_id = *id;

    // Optional: without it the secret comes from systemd's credential `client-secret`
    // ($CREDENTIALS_DIRECTORY) or AZURE_CLIENT_SECRET (azure::ClientSecretFile).
    const YamlNode* secret = node.find("clientSecretFile");
    if (secret && method != "clientSecret") {
        c.Error(*secret, "only used with method clientSecret");
    } else if (auto s = c.String(secret)) {
        fs::path p = Resolve(dir, *s);
        auth.client_secret_file = p.string();
        std::error_code ec;
        auto st = fs::status(p, ec);
        if (!ec && fs::is_regular_file(st)) {
            auto loose = st.permissions() & (fs::perms::group_all | fs::perms::others_all);
            if (loose != fs::perms::none) {
                char mode[8];
                std::snprintf(mode, sizeof mode, "%04o",
                              static_cast<unsigned>(st.permissions() & fs::perms::mask));
                c.Warn(*secret, std::string("the secret file is accessible by group or others "
                                            "(mode ") +
                                    mode + "); run chmod 600 on it");
            }
        } else {
            // The value is not echoed: a secret pasted here by mistake would reach the log.
            c.Warn(*secret, std::string("not a readable file ") +
                                (ec || !fs::exists(st) ? "(it does not exist, yet)"
                                                       : "(it is not a regular file)") +
                                "; the value is not shown: it should be the path of the file "
                                "holding the secret, never the secret itself");
        }
    }
    const YamlNode* token = node.find("federatedTokenFile");
    if (token && method != "workloadIdentity") {
        c.Error(*token, "only used with method workloadIdentity");
    } else if (auto s = c.String(token)) {
        auth.federated_token_file = Resolve(dir, *s).string();
    }
}

void ParseAccounts(Checker& c, const YamlNode& node, std::vector<model::AccountSpec>& accounts) {
    if (node.kind == YamlNode::Kind::Null) return;
    if (node.kind != YamlNode::Kind::Sequence) {
        if (node.kind != YamlNode::Kind::Invalid)
            c.Error(node, "expected a list of accounts, got " + Checker::Describe(node));
        return;
    }
    std::map<std::string, const YamlNode*> seen;
    for (const auto& item : node.items) {
        if (!c.IsMap(item)) continue;
        c.CheckKeys(item, "daemon.accounts[]");
        model::AccountSpec a;
        bool ok = true;
        const YamlNode* name = c.Required(item, "name");
        if (auto s = c.String(name)) {
            if (s->size() > 64 || !AllOf(*s, IsPoolIdChar)) {
                c.Error(*name, "must be 1-64 letters, digits, '-' or '_'");
                ok = false;
            } else if (auto [it, inserted] = seen.emplace(LowerCopy(*s), name); !inserted) {
                c.Error(*name, "account name '" + *s + "' is already declared at line " +
                                   std::to_string(it->second->line));
                ok = false;
            }
            a.name = *s;
        } else {
            ok = false;
        }
        if (auto s = Guid(c, c.Required(item, "subscriptionId")))
            a.subscription_id = *s;
        else
            ok = false;
        const YamlNode* rg = c.Required(item, "resourceGroup");
        if (auto s = c.String(rg)) {
            if (s->size() > 90 || !AllOf(*s, IsResourceGroupChar) || s->back() == '.') {
                c.Error(
                    *rg,
                    "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'");
                ok = false;
            }
            a.resource_group = *s;
        }
        const YamlNode* acct = c.Required(item, "accountName");
        if (auto s = c.String(acct)) {
            if (s->size() < 3 || s->size() > 24 || !AllOf(*s, IsLowerAlnum)) {
                c.Error(*acct, "a Batch account name is 3-24 lowercase letters and digits");
                ok = false;
            }
            a.account_name = *s;
        }
        if (const YamlNode* ep = item.find("endpoint")) {
            if (auto s = c.String(ep)) {
                CheckUrl(c, *ep, *s);
                a.endpoint = *s;
            }
        }
        if (const YamlNode* loc = item.find("location")) {
            if (auto s = c.String(loc)) a.location = *s;
        }
        if (auto api = c.Enum(item.find("poolApi"), KnownEnums().at("poolApi")))
            a.pool_api = *api == "arm" ? model::AccountSpec::PoolApi::Arm
                                       : model::AccountSpec::PoolApi::Batch;
        if (ok) accounts.push_back(std::move(a));
    }
}

void ParseLimits(Checker& c, const YamlNode& node, LimitsConfig& limits) {
    if (!c.IsMap(node)) return;
    c.CheckKeys(node, "daemon.limits");
    const std::pair<std::string_view, BucketLimit*> buckets[] = {
        {"armReads", &limits.arm_reads},
        {"armWrites", &limits.arm_writes},
        {"batch", &limits.batch},
    };
    for (const auto& [key, target] : buckets) {
        const YamlNode* b = node.find(key);
        if (!b || !c.IsMap(*b, "a map with burst and perSecond")) continue;
        c.CheckKeys(*b, "daemon.limits.bucket");
        if (auto v = c.Number(b->find("burst"), 1, 100000)) target->burst = *v;
        if (auto v = c.Number(b->find("perSecond"), 0.01, 10000)) target->per_second = *v;
    }
}
/// Each connection costs a file descriptor; the Azure clients need theirs too.
constexpr std::int64_t kMaxListenConnections = 1024;

void CheckListen(Checker& c, const YamlNode& node, const std::string& listen) {
    std::string host, port;
    if (!listen.empty() && listen[0] == '[') {
        auto close = listen.find(']');
        if (close != std::string::npos && close + 1 < listen.size() && listen[close + 1] == ':') {
            host = listen.substr(0, close + 1);
            port = listen.substr(close + 2);
        }
    } else if (auto colon = listen.rfind(':'); colon != std::string::npos) {
        host = listen.substr(0, colon);
        port = listen.substr(colon + 1);
        if (host.find(':') != std::string::npos) host.clear();
    }
    if (host.empty() || port.empty() || port.size() > 5 ||
        !AllOf(port, [](unsigned char ch) { return std::isdigit(ch) != 0; })) {
        c.Error(node,
                "expected host:port (e.g. 127.0.0.1:9464 or [::1]:9464), got '" + listen + "'");
        return;
    }
    if (std::stoi(port) > 65535) c.Error(node, "port " + port + " is out of range (0-65535)");
}

}  // namespace

void detail::ParseDaemon(Checker& c, const YamlNode& root, const fs::path& dir, DaemonConfig& cfg) {
    c.CheckKeys(root, "daemon");
    if (const YamlNode* n = root.find("cloud")) ParseCloud(c, *n, cfg.cloud);
    if (const YamlNode* n = root.find("auth")) ParseAuth(c, *n, dir, cfg.auth);
    if (const YamlNode* n = root.find("tls"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.tls");
        const YamlNode* ca = n->find("caFile");
        if (auto s = c.String(ca)) {
            fs::path p = Resolve(dir, *s);
            cfg.tls.ca_file = p.string();
            std::error_code ec;
            if (!fs::exists(p, ec)) c.Warn(*ca, "the CA file does not exist (yet): " + p.string());
        }
    }
    if (const YamlNode* n = root.find("accounts")) ParseAccounts(c, *n, cfg.accounts);
    if (const YamlNode* n = root.find("reconcile"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.reconcile");
        if (auto d = c.Duration(n->find("interval"), 1s, 24h)) cfg.reconcile.interval = *d;
        if (auto v = c.Int(n->find("concurrency"), 1, 64))
            cfg.reconcile.concurrency = static_cast<int>(*v);
    }
    if (const YamlNode* n = root.find("limits")) ParseLimits(c, *n, cfg.limits);
    if (const YamlNode* n = root.find("policy"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.policy");
        auto& p = cfg.policy;
        if (auto v = c.Int(n->find("vmsPerReplica"), 1, kInt32Max))
            p.vms_per_replica = static_cast<int>(*v);
        if (auto d = c.Duration(n->find("resizeTimeoutPer1000Vms"), 1min, 24h))
            p.resize_timeout_per_1000_vms = *d;
        if (auto v = c.Int(n->find("maxReplicasPerRegion"), 1, 100))
            p.max_replicas_per_region = static_cast<int>(*v);
        if (auto v = c.Int(n->find("extraReplicas"), 0, 100))
            p.extra_replicas = static_cast<int>(*v);
        if (auto b = c.Bool(n->find("lowerReplicas"))) p.lower_replicas = *b;
    }
    if (const YamlNode* n = root.find("quota"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.quota");
        if (auto b = c.Bool(n->find("partialGrowth"))) cfg.policy.quota_partial_growth = *b;
    }
    if (const YamlNode* n = root.find("prune"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.prune");
        if (auto m = c.Enum(n->find("mode"), KnownEnums().at("prune.mode")))
            cfg.policy.prune_mode = *m == "delete" ? model::Policy::PruneMode::Delete
                                                   : model::Policy::PruneMode::Orphan;
        if (auto v = c.Int(n->find("graceMinutes"), 0, 7 * 24 * 60))
            cfg.policy.prune_grace = std::chrono::minutes(*v);
    }
    if (const YamlNode* n = root.find("rollout"); n && c.IsMap(*n)) {
        c.CheckKeys(*n, "daemon.rollout");
        if (const YamlNode* groups = n->find("groups"); groups && c.IsMap(*groups)) {
            for (const auto& [key, g] : groups->entries) {
                if (!c.IsMap(g)) continue;
                c.CheckKeys(g, "daemon.rollout.groups.*");
                model::RolloutGroupPolicy gp;
                if (auto v = c.Int(g.find("maxUnavailable"), 1, 1000))
                    gp.max_unavailable = static_cast<int>(*v);
                if (auto s = c.String(g.find("canary"))) gp.canary = *s;
                if (const YamlNode* h = g.find("healthGate"); h && c.IsMap(*h)) {
                    c.CheckKeys(*h, "daemon.rollout.groups.*.healthGate");
                    if (auto v = c.Int(h->find("minReadyPercent"), 0, 100))
                        gp.gate.min_ready_percent = static_cast<int>(*v);
                    if (auto v = c.Int(h->find("maxStartTaskFailedPercent"), 0, 100))
                        gp.gate.max_start_task_failed_percent = static_cast<int>(*v);
                    if (auto d = c.Duration(h->find("timeout"), 1min, 168h)) gp.gate.timeout = *d;
                }
                cfg.policy.rollout_groups[key.value] = gp;
            }
        }
    }
    const YamlNode* pools_dir = root.find("poolsDir");
    std::string dir_text = "/etc/poolwarden/pools.d";
    bool dir_ok = true;
    if (pools_dir) {
        auto s = c.String(pools_dir);
        dir_ok = s.has_value();
        if (s) dir_text = *s;
    }
    cfg.pools_dir = Resolve(dir, dir_text);
    std::error_code ec;
    if (dir_ok && !fs::is_directory(cfg.pools_dir, ec)) {
        std::string why =
            fs::exists(cfg.pools_dir, ec) ? "is not a directory: " : "directory does not exist: ";
        if (pools_dir)
            c.Error(*pools_dir, why + cfg.pools_dir.string());
        else
            c.errors().push_back({c.file(), 0, 0, "poolsDir",
                                  why + cfg.pools_dir.string() + " (the default; set poolsDir)"});
    }
    if (const YamlNode* n = root.find("listen")) {
        const YamlNode* address = n;
        if (n->kind == YamlNode::Kind::Map) {
            c.CheckKeys(*n, "daemon.listen");
            address = n->find("address");
            if (auto v = c.Int(n->find("maxConnections"), 1, kMaxListenConnections))
                cfg.listen_max_connections = static_cast<int>(*v);
        }
        if (auto s = c.String(address)) {
            CheckListen(c, *address, *s);
            cfg.listen = *s;
        }
    }
    if (const YamlNode* n = root.find("leaderElection"))
        ParseLeaderElection(c, *n, cfg.leader_election);
    if (cfg.accounts.empty() && c.errors().empty()) {
        c.warnings().push_back(
            {c.file(), 0, 0, "accounts", "no accounts declared: pool files cannot refer to any"});
    }
}

Result<DaemonConfig, std::vector<ConfigError>> LoadDaemonFile(const fs::path& file) {
    std::string display = file.string();
    auto text = ReadConfigFile(file, display);
    if (!text) return Err{std::vector<ConfigError>{text.error()}};
    auto parsed = detail::ParseYaml(*text, display);
    Checker c(display);
    c.errors() = std::move(parsed.errors);
    DaemonConfig cfg;
    cfg.file = display;
    if (parsed.empty || parsed.root.kind == YamlNode::Kind::Null) {
        c.errors().push_back(
            {display, 0, 0, "", "the file is empty; expected a map of daemon settings"});
    } else if (c.IsMap(parsed.root, "a map of daemon settings")) {
        ParseDaemon(c, parsed.root, file.parent_path(), cfg);
    }
    if (!c.errors().empty()) {
        CapErrors(c.errors(), display);
        return Err{std::move(c.errors())};
    }
    cfg.warnings = std::move(c.warnings());
    return cfg;
}

}  // namespace pw::config
