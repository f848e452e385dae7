#include "config/load.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>

#include "config/checker.hpp"
#include "config/known_keys.hpp"
#include "config/yaml_tree.hpp"

namespace pw::config {
namespace fs = std::filesystem;
using detail::Checker;
using detail::YamlNode;
using namespace std::chrono_literals;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;
constexpr std::int64_t kMaxNodes = 1'000'000;
constexpr std::int64_t kInt32Max = 2147483647;

std::string LowerCopy(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool AllOf(std::string_view s, bool (*pred)(unsigned char)) {
    return std::all_of(s.begin(), s.end(),
                       [&](char c) { return pred(static_cast<unsigned char>(c)); });
}

bool IsGuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

bool IsPoolIdChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }
bool IsLowerAlnum(unsigned char c) { return std::islower(c) || std::isdigit(c); }
bool IsResourceGroupChar(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '(' || c == ')';
}
bool IsDomainChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; }

bool IsLoopbackHost(std::string_view host) {
    if (host == "localhost" || host == "[::1]") return true;
    if (host.substr(0, 4) != "127.") return false;
    int parts = 0;
    std::size_t pos = 0;
    while (pos <= host.size()) {
        std::size_t end = host.find('.', pos);
        if (end == std::string_view::npos) end = host.size();
        auto part = host.substr(pos, end - pos);
        if (part.empty() || part.size() > 3 ||
            !AllOf(part, [](unsigned char c) { return std::isdigit(c) != 0; }))
            return false;
        if (std::stoi(std::string(part)) > 255) return false;
        ++parts;
        pos = end + 1;
    }
    return parts == 4;
}

/// Checks an endpoint URL: https, or plain http to loopback (and to IMDS when allowed).
void CheckUrl(Checker& c, const YamlNode& node, const std::string& url, bool allow_imds = false) {
    auto scheme_end = url.find("://");
    std::string scheme =
        scheme_end == std::string::npos ? "" : LowerCopy(url.substr(0, scheme_end));
    std::string rest = scheme_end == std::string::npos ? "" : url.substr(scheme_end + 3);
    std::string authority = rest.substr(0, rest.find_first_of("/?#"));
    std::string host = authority;
    if (!host.empty() && host[0] == '[') {
        host =
            host.substr(0, host.find(']') == std::string::npos ? host.size() : host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    host = LowerCopy(host);
    if ((scheme != "https" && scheme != "http") || host.empty() ||
        url.find_first_of(" \t") != std::string::npos) {
        c.Error(node, "expected an https:// URL, got '" + url + "'");
        return;
    }
    if (scheme == "http" && !IsLoopbackHost(host) && !(allow_imds && host == "169.254.169.254")) {
        c.Error(node, std::string("plain http is allowed only to loopback hosts (127.0.0.0/8, ::1, "
                                  "localhost") +
                          (allow_imds ? ", and 169.254.169.254 for IMDS" : "") + "); use https");
    }
}

std::string WithTrailingSlash(std::string url) {
    if (url.empty() || url.back() != '/') url.push_back('/');
    return url;
}

fs::path Resolve(const fs::path& base_dir, const std::string& value) {
    fs::path p(value);
    return p.is_absolute() || base_dir.empty() ? p : base_dir / p;
}

std::string DisplayName(const fs::path& file, const std::string& daemon_file) {
    if (daemon_file.empty()) return file.string();
    std::error_code ec;
    fs::path dir = fs::absolute(fs::path(daemon_file), ec).parent_path().lexically_normal();
    fs::path abs = fs::absolute(file, ec).lexically_normal();
    if (ec) return file.string();
    fs::path rel = abs.lexically_relative(dir);
    if (rel.empty() || *rel.begin() == "..") return file.string();
    return rel.string();
}

std::string ByteHex(char c) {
    static const char* kDigits = "0123456789abcdef";
    auto b = static_cast<unsigned char>(c);
    return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

/// Offset of the first byte that makes `text` not UTF-8 text (NUL and other C0 controls but
/// tab, LF and CR included), so that binary junk is refused before YAML guesses an encoding.
std::optional<std::size_t> FindNonText(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80) {
            if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return i;
            if (b == 0x7f) return i;
            ++i;
            continue;
        }
        std::size_t len = (b & 0xe0) == 0xc0   ? 2
                          : (b & 0xf0) == 0xe0 ? 3
                          : (b & 0xf8) == 0xf0 ? 4
                                               : 0;
        if (len == 0 || b == 0xc0 || b == 0xc1 || b > 0xf4 || i + len > text.size()) return i;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return i;
        i += len;
    }
    return std::nullopt;
}

/// Reads a config file, refusing anything over 1 MiB before reading it.
Result<std::string, ConfigError> ReadConfigFile(const fs::path& file, const std::string& display) {
    std::error_code ec;
    auto status = fs::status(file, ec);
    if (ec || !fs::exists(status)) {
        return Err{ConfigError{display, 0, 0, "",
                               "cannot read the file: " +
                                   (ec ? ec.message() : std::string("No such file or directory"))}};
    }
    if (!fs::is_regular_file(status))
        return Err{ConfigError{display, 0, 0, "", "not a regular file"}};
    auto size = fs::file_size(file, ec);
    if (ec) return Err{ConfigError{display, 0, 0, "", "cannot read the file: " + ec.message()}};
    if (size > kMaxFileBytes) {
        return Err{ConfigError{display, 0, 0, "",
                               "the file is " + std::to_string(size) +
                                   " bytes; config files are limited to 1 MiB (1048576 bytes)"}};
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return Err{ConfigError{display, 0, 0, "", "cannot open the file for reading"}};
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return Err{ConfigError{display, 0, 0, "", "error while reading the file"}};
    std::string text = out.str();
    if (auto bad = FindNonText(text)) {
        return Err{ConfigError{display, 0, 0, "",
                               "not a UTF-8 text file (byte " + ByteHex(text[*bad]) +
                                   " at offset " + std::to_string(*bad) + ")"}};
    }
    return text;
}

/// Orders a file's errors by position and keeps the first kMaxErrors, saying how many were
/// left out.
void CapErrors(std::vector<ConfigError>& errors, const std::string& file) {
    std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    constexpr std::size_t kMaxErrors = 50;
    if (errors.size() <= kMaxErrors) return;
    std::size_t more = errors.size() - kMaxErrors;
    errors.resize(kMaxErrors);
    errors.push_back({file, 0, 0, "", std::to_string(more) + " more errors not shown"});
}

// ---- daemon file ----------------------------------------------------------------------------

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
        if (!ec && fs::exists(st)) {
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
            c.Warn(*secret, "the secret file does not exist (yet): " + p.string());
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
        if (ok) accounts.push_back(std::move(a));
    }
}

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

void ParseDaemon(Checker& c, const YamlNode& root, const fs::path& dir, DaemonConfig& cfg) {
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
        if (auto s = c.String(n)) {
            CheckListen(c, *n, *s);
            cfg.listen = *s;
        }
    }
    if (cfg.accounts.empty() && c.errors().empty()) {
        c.warnings().push_back(
            {c.file(), 0, 0, "accounts", "no accounts declared: pool files cannot refer to any"});
    }
}

// ---- pool files -----------------------------------------------------------------------------

struct IdSeen {
    std::string id;
    std::string key;
    int line = 0;
    int column = 0;
    std::string path;
};

std::optional<model::StartTask> ParseStartTask(Checker& c, const YamlNode& node) {
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
        if (auto parsed = model::ParseImageVersionId(*s, &why))
            pool.image = *parsed;
        else
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
    if (const YamlNode* st = node.find("startTask")) pool.start_task = ParseStartTask(c, *st);
    if (const YamlNode* md = node.find("metadata")) ParseMetadata(c, *md, pool);
    if (auto b = c.Bool(node.find("adopt"))) pool.adopt = *b;
    if (c.errors().size() != errors_before) return std::nullopt;
    return pool;
}

struct PoolFileResult {
    PoolFile file;
    std::vector<IdSeen> ids;
};

void LoadPoolFileInto(const fs::path& path, const DaemonConfig& daemon, PoolFileResult& out) {
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

}  // namespace

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

PoolFile LoadPoolFile(const fs::path& file, const DaemonConfig& daemon) {
    PoolFileResult result;
    LoadPoolFileInto(file, daemon, result);
    return std::move(result.file);
}

Result<LoadedConfig, std::vector<ConfigError>> LoadConfig(const fs::path& daemon_file) {
    auto daemon = LoadDaemonFile(daemon_file);
    if (!daemon) return Err{std::move(daemon.error())};
    LoadedConfig loaded;
    loaded.daemon = std::move(daemon.value());

    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(loaded.daemon.pools_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        const auto& p = it->path();
        std::string name = p.filename().string();
        std::string ext = p.extension().string();
        if (name.empty() || name[0] == '.' || (ext != ".yaml" && ext != ".yml")) continue;
        std::error_code type_ec;
        if (!fs::is_regular_file(p, type_ec)) continue;
        files.push_back(p);
    }
    if (ec) {
        return Err{std::vector<ConfigError>{
            {loaded.daemon.file, 0, 0, "poolsDir",
             "cannot list " + loaded.daemon.pools_dir.string() + ": " + ec.message()}}};
    }
    std::sort(files.begin(), files.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });

    std::vector<PoolFileResult> results(files.size());
    std::map<std::string, std::string> first_seen;  // lower-case id -> "file:line:column"
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto& r = results[i];
        LoadPoolFileInto(files[i], loaded.daemon, r);
        for (const auto& id : r.ids) {
            auto it = first_seen.find(id.key);
            if (it != first_seen.end()) {
                r.file.errors.push_back({r.file.file, id.line, id.column, id.path,
                                         "pool id '" + id.id + "' is already declared in " +
                                             it->second + " (ids are case-insensitive)"});
            }
        }
        for (const auto& id : r.ids) {
            first_seen.emplace(id.key, r.file.file + ":" + std::to_string(id.line) + ":" +
                                           std::to_string(id.column));
        }
        if (!r.file.errors.empty()) r.file.pools.clear();
        loaded.pool_files.push_back(std::move(r.file));
    }
    return loaded;
}

std::vector<ConfigError> LoadedConfig::all_errors() const {
    std::vector<ConfigError> out;
    for (const auto& f : pool_files) out.insert(out.end(), f.errors.begin(), f.errors.end());
    return out;
}

model::DesiredState LoadedConfig::desired() const {
    model::DesiredState state;
    state.accounts = daemon.accounts;
    state.policy = daemon.policy;
    for (const auto& f : pool_files) {
        if (!f.errors.empty()) continue;
        state.pools.insert(state.pools.end(), f.pools.begin(), f.pools.end());
    }
    return state;
}

std::string ConfigError::str() const {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!path.empty()) out += path + ": ";
    return out + message;
}

}  // namespace pw::config
