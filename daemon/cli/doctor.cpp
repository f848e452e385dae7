#include "cli/doctor.hpp"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "azure/token.hpp"
#include "config/secret_file.hpp"
#include "http/client.hpp"
#include "http/http_date.hpp"
#include "model/resource_id.hpp"
#include "server/http_get.hpp"
#include "server/observability.hpp"

namespace pw::cli {
namespace {

namespace fs = std::filesystem;
using model::IEquals;

DoctorCheck Row(std::string scope, std::string account, std::string pool, std::string check,
                DoctorStatus status, std::string message, std::string fix = "") {
    return {std::move(scope), std::move(account), std::move(pool), std::move(check),
            status,           std::move(message), std::move(fix)};
}

DoctorCheck Local(std::string check, DoctorStatus status, std::string message,
                  std::string fix = "") {
    return Row("local", "", "", std::move(check), status, std::move(message), std::move(fix));
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : std::string(sep)) + i;
    return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

DoctorStatus FromSeverity(model::Severity s) {
    return s == model::Severity::Error     ? DoctorStatus::Fail
           : s == model::Severity::Warning ? DoctorStatus::Warn
                                           : DoctorStatus::Ok;
}

/// The fix of an Azure read error, by what the status says.
std::string ReadFix(const azure::Error& e, std::string_view what, std::string_view role) {
    if (e.http_status == 404)
        return fmt::format(
            "check the {} in the daemon file (subscriptionId, resourceGroup, "
            "accountName)",
            what);
    if (e.kind == azure::ErrorKind::Auth)
        return fmt::format("grant the daemon's identity {} (az role assignment create)", role);
    return "retry; if it persists, check network access to Azure and the cloud endpoints";
}

constexpr std::string_view kTokenFix =
    "check auth in the daemon file (tenantId, clientId, the client secret or federated token "
    "file, or the managed identity assigned to this machine) and that the app registration "
    "or identity exists in that tenant";

}  // namespace

std::string_view ToString(DoctorStatus status) {
    switch (status) {
        case DoctorStatus::Ok:
            return "OK";
        case DoctorStatus::Warn:
            return "WARN";
        case DoctorStatus::Fail:
            return "FAIL";
    }
    return "FAIL";
}

const std::vector<DoctorPoolCheck>& DoctorPoolChecks() {
    // Codes of the pre-flight rules (planner/preflight.hpp, README "Pre-flight checks") and
    // the planner's image and account findings; NodeAgentSkuNotSupported, OsTypeMismatch,
    // ProviderNotRegistered, TenantMismatch and ImageAccessDenied are the issue-17 codes the
    // prerequisite checks add.
    static const std::vector<DoctorPoolCheck> table = {
        {"image", {"ImageNotFound", "ImageVersionFailed", "SpecializedImage", "ImageAccessDenied"}},
        {"image-os", {"OsMismatch", "OsTypeMismatch", "NodeAgentSkuNotSupported"}},
        {"image-subscription", {"ProviderNotRegistered", "TenantMismatch"}},
        {"quota", {"QuotaExceeded", "CoreQuotaReached"}},
        {"vm-size", {"VmSizeNotSupported", "LowPriorityNotSupported", "HyperVGenerationMismatch"}},
        {"security", {"SecurityProfileRequired", "SecurityTypeMismatch", "VmSizeSecurityMismatch"}},
        {"account", {"AccountNotFound", "AccountLocationUnknown", "AccountNotObserved"}},
    };
    return table;
}

std::string_view DoctorCheckForCode(std::string_view code) {
    for (const auto& c : DoctorPoolChecks())
        for (auto k : c.codes)
            if (k == code) return c.check;
    return {};
}

std::pair<std::string, std::string> SplitFix(std::string_view message) {
    auto at = message.find("Fix: ");
    if (at == std::string_view::npos) return {std::string(message), ""};
    std::string what(message.substr(0, at));
    while (!what.empty() && (what.back() == ' ' || what.back() == '.')) what.pop_back();
    std::string fix(message.substr(at + 5));
    return {what, fix};
}

namespace {

/// The OK text of a pool check, from the facts the pass saw.
std::string OkMessage(std::string_view check, const model::PoolSpec& pool,
                      const model::AccountSpec& account, const model::ObservedAccount* facts,
                      const model::ObservedImage* image) {
    const std::string version = model::ShortImageVersion(pool.image.str());
    if (check == "image")
        return version + " readable" +
               (image ? " (" + image->os_type + ", " + image->os_state + ", Hyper-V " +
                            (image->hyper_v_generation.empty() ? "?" : image->hyper_v_generation) +
                            ")"
                      : "");
    if (check == "image-os")
        return "nodeAgentSkuId " + pool.node_agent_sku_id +
               (image && !image->os_type.empty() ? " for a " + image->os_type + " image" : "");
    if (check == "image-subscription")
        return IEquals(pool.image.subscription_id, account.subscription_id)
                   ? "image in the account's subscription"
                   : "image in subscription " + pool.image.subscription_id +
                         ": no ProviderNotRegistered or TenantMismatch finding";
    if (check == "quota") return "fits the account's quotas at full size";
    if (check == "vm-size") {
        const model::VmSku* sku = nullptr;
        if (facts && facts->vm_skus)
            if (auto it = facts->vm_skus->find(model::Lower(pool.vm_size));
                it != facts->vm_skus->end())
                sku = &it->second;
        if (!sku) return pool.vm_size;
        return fmt::format(
            "{} is Batch-supported in {} ({} vCPUs, family {}, Hyper-V {})", pool.vm_size,
            facts->location, sku->vcpus, sku->family,
            sku->hyper_v_generations.empty() ? "?" : Join(sku->hyper_v_generations, ","));
    }
    if (check == "security") {
        std::string pt;
        if (const auto* vmc = pool.properties.find("virtualMachineConfiguration"))
            if (const auto* sp = vmc->find("securityProfile"))
                if (const auto* st = sp->find("securityType")) pt = st->text;
        return "securityType " + (pt.empty() ? std::string("standard") : pt) +
               ", image SecurityType " +
               (image && !image->security_type.empty() ? image->security_type
                                                       : std::string("none"));
    }
    if (check == "account")
        return "account " + account.account_name +
               (facts && !facts->location.empty() ? " in " + facts->location : "");
    return "no finding";
}

}  // namespace

std::vector<DoctorCheck> AzureChecks(const model::DesiredState& declared,
                                     const reconcile::CycleReport& report,
                                     const DoctorReads& reads) {
    std::vector<DoctorCheck> out;
    const model::DesiredState& desired = report.desired(declared);
    const auto& obs = report.observation;
    if (!reads.refused_writes.empty())
        out.push_back(Local("read-only", DoctorStatus::Fail,
                            "doctor attempted writes (refused): " + Join(reads.refused_writes),
                            "report this as a bug: doctor must only read"));

    std::vector<std::string> tokens_ok, tokens_failed;
    for (const auto& [resource, ok] : reads.tokens)
        (ok ? tokens_ok : tokens_failed).push_back(resource);
    const bool no_token = !reads.clients_error.empty() || !tokens_failed.empty();

    for (const auto& account : desired.accounts) {
        const std::string& name = account.name;
        auto add = [&](std::string pool, std::string check, DoctorStatus status,
                       std::string message, std::string fix = "") {
            std::string scope = pool.empty() ? "account" : "pool";
            out.push_back(Row(std::move(scope), name, std::move(pool), std::move(check), status,
                              std::move(message), std::move(fix)));
        };
        const observe::AccountHealth* health = nullptr;
        if (auto it = obs.accounts.find(name); it != obs.accounts.end()) health = &it->second;
        const model::ObservedAccount* facts = nullptr;
        if (auto it = obs.state.accounts.find(name); it != obs.state.accounts.end())
            facts = &it->second;
        const bool observed = health && health->complete;
        const azure::AccountInfo* info = nullptr;
        if (auto it = reads.accounts.find(name); it != reads.accounts.end()) info = &it->second;
        const azure::Error* account_error = nullptr;
        if (auto it = reads.account_errors.find(name); it != reads.account_errors.end())
            account_error = &it->second;

        // token
        if (!reads.clients_error.empty()) {
            add("", "token", DoctorStatus::Fail,
                "cannot set up Entra ID authentication: " + reads.clients_error,
                std::string(kTokenFix));
        } else if (!tokens_failed.empty()) {
            std::string why;
            if (account_error && account_error->kind == azure::ErrorKind::Auth)
                why = ": " + observe::Describe(*account_error);
            else if (health && !health->complete)
                why = ": " + health->error;
            add("", "token", DoctorStatus::Fail,
                "no Entra ID token for " + Join(tokens_failed) + why, std::string(kTokenFix));
        } else if (tokens_ok.empty()) {
            add("", "token", DoctorStatus::Warn, "no token was requested",
                "check that the account is read (see below)");
        } else {
            add("", "token", DoctorStatus::Ok, "Entra ID token obtained for " + Join(tokens_ok));
        }
        const std::string skipped = "not checked: no Entra ID token";
        const std::string skipped_fix = "fix the token check first";

        // account-readable
        const std::string arm_name =
            account.subscription_id + "/" + account.resource_group + "/" + account.account_name;
        if (no_token) {
            add("", "account-readable", DoctorStatus::Warn, skipped, skipped_fix);
        } else if (account_error) {
            add("", "account-readable", DoctorStatus::Fail,
                "GET Batch account " + arm_name + ": " + observe::Describe(*account_error),
                ReadFix(*account_error, "account",
                        "Reader on the Batch account (Microsoft.Batch/batchAccounts/read)"));
        } else if (info) {
            add("", "account-readable", DoctorStatus::Ok,
                "Batch account " + account.account_name + " in " + info->location +
                    (info->pool_allocation_mode.empty()
                         ? std::string()
                         : ", pool allocation mode " + info->pool_allocation_mode));
        } else {
            add("", "account-readable", DoctorStatus::Warn, "the Batch account was not read",
                "check the account entry in the daemon file");
        }

        // pool-list
        if (no_token) {
            add("", "pool-list", DoctorStatus::Warn, skipped, skipped_fix);
        } else if (observed) {
            add("", "pool-list", DoctorStatus::Ok,
                fmt::format("{} pool(s) listed", facts ? facts->pools.size() : 0));
        } else if (health && StartsWith(health->error, "pool list:")) {
            add("", "pool-list", DoctorStatus::Fail, health->error,
                "grant the daemon's identity a role on the Batch account that may read and "
                "write pools (e.g. Contributor), and check the account endpoint");
        } else {
            add("", "pool-list", DoctorStatus::Warn, "not checked: the account could not be read",
                "fix the account-readable check first");
        }

        // quota (the account's own quotas; each pool's fit is its quota row)
        std::vector<std::string> over, partial;
        for (const auto& f : report.plan.findings) {
            if (f.code != "QuotaExceeded" || !IEquals(f.account, name)) continue;
            auto& list = f.severity == model::Severity::Error ? over : partial;
            if (std::find(list.begin(), list.end(), f.pool) == list.end()) list.push_back(f.pool);
        }
        if (!info) {
            add("", "quota", DoctorStatus::Warn, "not checked: the account's quotas were not read",
                no_token ? skipped_fix : "fix the account-readable check first");
        } else if (!over.empty()) {
            add("", "quota", DoctorStatus::Fail,
                "the account's quotas do not cover pool(s) " + Join(over) +
                    " at full size (their quota lines say by how much)",
                "request the quota the pools' quota lines name, or make pools smaller");
        } else if (!partial.empty()) {
            add("", "quota", DoctorStatus::Warn,
                "quota.partialGrowth holds pool(s) " + Join(partial) + " below full size",
                "request the quota the pools' quota lines name, or make pools smaller");
        } else if (!info->dedicated_core_quota && !info->low_priority_core_quota &&
                   !info->pool_quota) {
            add("", "quota", DoctorStatus::Ok,
                "the account reports no quotas (UserSubscription mode): core quotas not checked");
        } else {
            auto opt = [](const std::optional<int>& v) { return v ? std::to_string(*v) : "-"; };
            add("", "quota", DoctorStatus::Ok,
                fmt::format("dedicatedCoreQuota {}, lowPriorityCoreQuota {}, poolQuota {}, "
                            "per-family core quotas {}; the declared pools fit at full size",
                            opt(info->dedicated_core_quota), opt(info->low_priority_core_quota),
                            opt(info->pool_quota),
                            info->family_quota_enforced ? "enforced" : "not enforced"));
        }

        // vm-size-list
        if (no_token) {
            add("", "vm-size-list", DoctorStatus::Warn, skipped, skipped_fix);
        } else if (facts && facts->vm_skus) {
            add("", "vm-size-list", DoctorStatus::Ok,
                fmt::format("{} Batch-supported VM sizes in {}", facts->vm_skus->size(),
                            facts->location));
        } else if (!facts || facts->location.empty()) {
            add("", "vm-size-list", DoctorStatus::Warn,
                "not checked: the account's location is not known",
                "fix the account checks above first");
        } else {
            const std::string key = observe::SkuKey(account.subscription_id, facts->location);
            std::string why = "empty";
            std::string fix = "check that Batch is available in " + facts->location +
                              " (az batch location list-skus --location " + facts->location + ")";
            if (auto it = reads.sku_errors.find(key); it != reads.sku_errors.end()) {
                why = observe::Describe(it->second);
                fix = ReadFix(it->second, "location",
                              "Reader on subscription " + account.subscription_id +
                                  " (Microsoft.Batch/locations/virtualMachineSkus/read)");
            }
            add("", "vm-size-list", DoctorStatus::Warn,
                "Batch's VM size list for " + facts->location + " could not be read (" + why +
                    "): the vm-size, security and core quota checks of its pools are skipped",
                fix);
        }

        // pools
        for (const auto& pool : desired.pools) {
            if (!IEquals(pool.account, name)) continue;
            if (!observed) {
                for (const auto& c : DoctorPoolChecks())
                    add(pool.id, std::string(c.check), DoctorStatus::Warn,
                        "not checked: account " + name + " was not observed",
                        "fix the account's checks above first");
                continue;
            }
            std::vector<const model::Finding*> findings;
            for (const auto& f : report.plan.findings) {
                const bool mine = IEquals(f.account, name) && IEquals(f.pool, pool.id);
                const bool version = f.pool.empty() && !f.image_version.empty() &&
                                     model::ResourceKey(f.image_version) == pool.image.key();
                if ((mine || version) && f.severity != model::Severity::Info)
                    findings.push_back(&f);
            }
            const model::ObservedImage* image = nullptr;
            if (auto it =
                    obs.state.images.find(model::ResourceKey(pool.image.image_definition_id()));
                it != obs.state.images.end())
                image = &it->second;
            for (const auto& c : DoctorPoolChecks()) {
                bool any = false;
                for (const auto* f : findings) {
                    if (DoctorCheckForCode(f->code) != c.check) continue;
                    auto [what, fix] = SplitFix(f->message);
                    add(pool.id, std::string(c.check), FromSeverity(f->severity),
                        f->code + ": " + what, fix);
                    any = true;
                }
                if (any) continue;
                if (c.check == "image") {
                    std::string error;
                    if (auto it = obs.failed_versions.find(pool.image.key());
                        it != obs.failed_versions.end())
                        error = "image version " + model::ShortImageVersion(pool.image.str()) +
                                ": " + it->second;
                    else if (auto def = obs.failed_images.find(
                                 model::ResourceKey(pool.image.image_definition_id()));
                             def != obs.failed_images.end())
                        error = "image definition " + pool.image.image + ": " + def->second;
                    if (!error.empty()) {
                        add(pool.id, "image", DoctorStatus::Fail, "cannot read " + error,
                            "grant the daemon's identity Reader on gallery " + pool.image.gallery +
                                " (or on the image definition)");
                        continue;
                    }
                }
                const bool needs_skus =
                    c.check == "vm-size" || c.check == "quota" || c.check == "security";
                if (needs_skus && !(facts && facts->vm_skus)) {
                    add(pool.id, std::string(c.check), DoctorStatus::Warn,
                        "not checked: Batch's VM size list was not read",
                        "fix the account's vm-size-list check first");
                    continue;
                }
                if ((c.check == "security" || c.check == "image-os") && !image) {
                    add(pool.id, std::string(c.check), DoctorStatus::Warn,
                        "not checked: the image definition was not read",
                        "fix the pool's image check first");
                    continue;
                }
                add(pool.id, std::string(c.check), DoctorStatus::Ok,
                    OkMessage(c.check, pool, account, facts, image));
            }
            for (const auto* f : findings) {
                if (!DoctorCheckForCode(f->code).empty()) continue;
                auto [what, fix] = SplitFix(f->message);
                if (fix.empty()) fix = "see README, poolwarden plan, finding " + f->code;
                add(pool.id, "other", FromSeverity(f->severity), f->code + ": " + what, fix);
            }
        }
    }
    return out;
}

std::string RenderDoctorText(const std::vector<DoctorCheck>& checks) {
    std::string out;
    std::string group, pool_group;
    int ok = 0, warn = 0, fail = 0;
    for (const auto& c : checks) {
        const std::string g = c.scope == "local" ? "local" : "account " + c.account;
        if (g != group) {
            out += (out.empty() ? "" : "\n") + g + "\n";
            group = g;
            pool_group.clear();
        }
        std::string indent = "  ";
        if (c.scope == "pool") {
            if (c.pool != pool_group) {
                out += "  pool " + c.pool + "\n";
                pool_group = c.pool;
            }
            indent = "    ";
        } else {
            pool_group.clear();
        }
        out += fmt::format("{}{:<5} {:<22} {}\n", indent, ToString(c.status), c.check, c.message);
        if (c.status != DoctorStatus::Ok && !c.fix.empty())
            out += fmt::format("{}{:<5} {:<22} fix: {}\n", indent, "", "", c.fix);
        (c.status == DoctorStatus::Ok ? ok : c.status == DoctorStatus::Warn ? warn : fail)++;
    }
    out += fmt::format("\n{} checks: {} OK, {} WARN, {} FAIL\n", checks.size(), ok, warn, fail);
    return out;
}

std::string RenderDoctorJson(const std::vector<DoctorCheck>& checks) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    int ok = 0, warn = 0, fail = 0;
    for (const auto& c : checks) {
        list.push_back({{"scope", c.scope},
                        {"account", c.account},
                        {"pool", c.pool},
                        {"check", c.check},
                        {"status", ToString(c.status)},
                        {"message", c.message},
                        {"fix", c.fix}});
        (c.status == DoctorStatus::Ok ? ok : c.status == DoctorStatus::Warn ? warn : fail)++;
    }
    nlohmann::ordered_json doc = {{"checks", std::move(list)},
                                  {"summary", {{"ok", ok}, {"warn", warn}, {"fail", fail}}}};
    return doc.dump(2);
}

int DoctorExitCode(const std::vector<DoctorCheck>& checks) {
    return std::any_of(checks.begin(), checks.end(),
                       [](const DoctorCheck& c) { return c.status == DoctorStatus::Fail; })
               ? 1
               : 0;
}

// ---- local checks -------------------------------------------------------------------------

DoctorCheck ClockSkewCheck(std::string_view host, std::optional<std::string> date_header,
                           std::chrono::system_clock::time_point local) {
    std::optional<std::chrono::system_clock::time_point> server;
    if (date_header) server = http::ParseHttpDate(*date_header);
    if (!server)
        return Local("clock-skew", DoctorStatus::Warn,
                     fmt::format("{} sent no valid Date header: skew not measured", host),
                     "check the clock by other means (timedatectl status)");
    const auto skew = std::chrono::duration_cast<std::chrono::seconds>(local - *server);
    const auto abs = std::chrono::seconds(std::abs(skew.count()));
    const std::string text =
        abs.count() == 0
            ? fmt::format("local clock agrees with {} (Date header) to the second", host)
            : fmt::format("local clock is {} s {} {} (Date header)", abs.count(),
                          skew.count() > 0 ? "ahead of" : "behind", host);
    const std::string fix =
        "synchronise the clock (timedatectl set-ntp true, or chrony); a clock minutes off makes "
        "tokens and Batch requests fail";
    if (abs > kSkewFail)
        return Local("clock-skew", DoctorStatus::Fail,
                     text + fmt::format(" (more than {} s)", kSkewFail.count()), fix);
    if (abs > kSkewWarn)
        return Local("clock-skew", DoctorStatus::Warn,
                     text + fmt::format(" (more than {} s)", kSkewWarn.count()), fix);
    return Local("clock-skew", DoctorStatus::Ok, text);
}

std::vector<DoctorCheck> ConfigChecks(const std::string& daemon_file,
                                      const config::LoadedConfig* loaded,
                                      const std::vector<config::ConfigError>& daemon_errors) {
    std::vector<DoctorCheck> out;
    const std::string validate = "poolwarden validate --config " + daemon_file;
    if (!loaded) {
        for (const auto& e : daemon_errors)
            out.push_back(Local("daemon-file", DoctorStatus::Fail, e.str(),
                                "correct the daemon file (" + validate +
                                    " lists every error); nothing else is checked until then"));
        if (out.empty())
            out.push_back(Local("daemon-file", DoctorStatus::Fail, daemon_file + ": not loaded",
                                "correct the daemon file"));
        return out;
    }
    out.push_back(
        Local("daemon-file", DoctorStatus::Ok,
              fmt::format("{}: {} account(s), poolsDir {}", daemon_file,
                          loaded->daemon.accounts.size(), loaded->daemon.pools_dir.string())));
    for (const auto& w : loaded->daemon.warnings)
        out.push_back(Local("daemon-file", DoctorStatus::Warn, w.str(),
                            "change the daemon file as the warning says"));
    if (loaded->pool_files.empty())
        out.push_back(Local("pool-file", DoctorStatus::Warn,
                            "no pool files in " + loaded->daemon.pools_dir.string(),
                            "add pool files (*.yaml) to poolsDir"));
    for (const auto& f : loaded->pool_files) {
        if (f.errors.empty()) {
            out.push_back(Local("pool-file", DoctorStatus::Ok,
                                fmt::format("{}: {} pool(s)", f.file, f.pools.size())));
            continue;
        }
        for (const auto& e : f.errors)
            out.push_back(Local("pool-file", DoctorStatus::Fail, e.str(),
                                "correct the pool file; until then its pools are left out (" +
                                    validate + " lists every error)"));
    }
    return out;
}

namespace {

void CollectSecretFiles(const model::PropValue& v, std::vector<const model::PropValue*>& out) {
    if (v.kind == model::PropValue::Kind::SecretFile) out.push_back(&v);
    for (const auto& i : v.items) CollectSecretFiles(i, out);
    for (const auto& m : v.members) CollectSecretFiles(m.value, out);
}

/// The secret files of every valid pool: (pool id, value).
std::vector<std::pair<std::string, const model::PropValue*>> PoolSecretFiles(
    const config::LoadedConfig& loaded) {
    std::vector<std::pair<std::string, const model::PropValue*>> out;
    for (const auto& file : loaded.pool_files)
        for (const auto& pool : file.pools) {
            std::vector<const model::PropValue*> found;
            CollectSecretFiles(pool.properties, found);
            if (pool.start_task) CollectSecretFiles(pool.start_task->properties, found);
            for (const auto* v : found) out.emplace_back(pool.id, v);
        }
    return out;
}

/// present / regular / mode 0600 or stricter. `shown` is the path as the config writes it; the
/// resolved `path` is added where it differs and something is wrong.
DoctorCheck FileRow(const std::string& what, const std::string& shown, const fs::path& path,
                    bool private_mode) {
    const std::string name = shown == path.string() ? shown : shown + " (" + path.string() + ")";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Local("secret-file", DoctorStatus::Fail,
                     fmt::format("{}: {}: {}", what, name, std::strerror(errno)),
                     "create the file (mode 0600) or correct the path");
    if (!S_ISREG(st.st_mode))
        return Local("secret-file", DoctorStatus::Fail,
                     fmt::format("{}: {}: not a regular file", what, name),
                     "point it at a regular file holding the secret");
    if (::access(path.c_str(), R_OK) != 0)
        return Local("secret-file", DoctorStatus::Fail,
                     fmt::format("{}: {}: not readable by this user", what, name),
                     "run doctor as the daemon's user, or let that user read the file");
    const unsigned mode = st.st_mode & 07777;
    if (private_mode && (mode & 077) != 0)
        return Local(
            "secret-file", DoctorStatus::Warn,
            fmt::format("{}: {}: mode {:04o} lets group or others read it", what, name, mode),
            "chmod 600 " + path.string());
    return Local("secret-file", DoctorStatus::Ok,
                 fmt::format("{}: {} (mode {:04o})", what, shown, mode));
}

}  // namespace

std::vector<DoctorCheck> SecretFileChecks(const config::LoadedConfig& loaded,
                                          const DoctorEnv& env) {
    std::vector<DoctorCheck> out;
    const auto& auth = loaded.daemon.auth;
    if (auth.method == "clientSecret") {
        const std::string file = azure::ClientSecretFile(auth, env);
        if (!file.empty())
            out.push_back(FileRow("client secret", file, file, true));
        else if (!env("AZURE_CLIENT_SECRET").empty())
            out.push_back(Local("secret-file", DoctorStatus::Ok,
                                "client secret from $AZURE_CLIENT_SECRET (no file)"));
        else
            out.push_back(
                Local("secret-file", DoctorStatus::Fail,
                      "no client secret: auth.clientSecretFile is not set, there is no "
                      "$CREDENTIALS_DIRECTORY/client-secret and no $AZURE_CLIENT_SECRET",
                      "set auth.clientSecretFile to a file holding the secret (mode 0600)"));
    } else if (auth.method == "workloadIdentity") {
        std::string file = auth.federated_token_file;
        if (file.empty()) file = env("AZURE_FEDERATED_TOKEN_FILE");
        if (file.empty())
            out.push_back(Local("secret-file", DoctorStatus::Fail,
                                "no federated token file: auth.federatedTokenFile is not set "
                                "and there is no $AZURE_FEDERATED_TOKEN_FILE",
                                "set auth.federatedTokenFile"));
        else  // projected by the platform (Kubernetes), whose mode it chooses
            out.push_back(FileRow("federated token", file, file, false));
    }
    std::set<std::string> seen;
    for (const auto& [pool, v] : PoolSecretFiles(loaded)) {
        const fs::path path = config::SecretFilePath(*v, env);
        if (!seen.insert(path.string()).second) continue;
        out.push_back(FileRow("pool " + pool, v->text, path, true));
    }
    if (out.empty())
        out.push_back(Local("secret-file", DoctorStatus::Ok,
                            "not applicable: the config names no secret file"));
    return out;
}

DoctorCheck CredentialsDirectoryCheck(const config::LoadedConfig& loaded, const DoctorEnv& env) {
    std::vector<std::string> why;
    if (loaded.daemon.auth.method == "clientSecret" &&
        loaded.daemon.auth.client_secret_file.empty())
        why.push_back("the client secret (no auth.clientSecretFile)");
    for (const auto& [pool, v] : PoolSecretFiles(loaded))
        if (!fs::path(v->text).is_absolute()) {
            why.push_back("relative secret files of the pools");
            break;
        }
    if (why.empty())
        return Local("credentials-directory", DoctorStatus::Ok,
                     "not applicable: the config does not refer to $CREDENTIALS_DIRECTORY");
    const std::string dir = env("CREDENTIALS_DIRECTORY");
    if (dir.empty())
        return Local("credentials-directory", DoctorStatus::Ok,
                     "not applicable: $CREDENTIALS_DIRECTORY is not set (not under systemd "
                     "LoadCredential=); " +
                         Join(why, " and ") + " resolve without it");
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
        ::access(dir.c_str(), R_OK | X_OK) != 0)
        return Local("credentials-directory", DoctorStatus::Fail,
                     "$CREDENTIALS_DIRECTORY is " + dir + " but is not a readable directory",
                     "check LoadCredential= in the unit, and run doctor inside the service "
                     "(systemd-run --pipe -p LoadCredential=... or the unit's own credentials)");
    return Local(
        "credentials-directory", DoctorStatus::Ok,
        "$CREDENTIALS_DIRECTORY " + dir + " is visible (used for " + Join(why, " and ") + ")");
}

DoctorCheck ListenAddressCheck(const std::string& listen) {
    auto parsed = server::ParseListen(listen);
    if (!parsed)
        return Local("listen-address", DoctorStatus::Fail,
                     "listen " + listen + ": " + parsed.error(),
                     "set listen to host:port with a numeric host");
    const auto& [host, port] = *parsed;
    if (port == 0)
        return Local("listen-address", DoctorStatus::Ok,
                     "listen " + listen + ": port 0, the system picks a free port");
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    boost::system::error_code ec;
    auto address = ip::make_address(host, ec);
    if (ec)
        return Local("listen-address", DoctorStatus::Fail, "listen " + listen + ": " + ec.message(),
                     "set listen to a numeric address");
    ip::tcp::acceptor acceptor(io);
    const ip::tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(ip::tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    acceptor.close();
    if (!ec) return Local("listen-address", DoctorStatus::Ok, "listen " + listen + " is free");
    if (ec == boost::asio::error::address_in_use) {
        auto r = server::HttpGet("http://" + listen + "/status", std::chrono::seconds(2));
        if (r && r->status == 200 && r->body.find("\"pools\"") != std::string::npos)
            return Local("listen-address", DoctorStatus::Warn,
                         "listen " + listen +
                             " is held by a running poolwarden (its /status "
                             "answers there)",
                         "fine if that is this host's daemon; a second one needs another "
                         "listen address");
        return Local("listen-address", DoctorStatus::Fail,
                     "listen " + listen + " is in use by another process",
                     "stop that process (ss -ltnp shows it) or set listen to a free address");
    }
    return Local("listen-address", DoctorStatus::Fail, "listen " + listen + ": " + ec.message(),
                 "set listen to an address of this host");
}

DoctorCheck ClockSkewProbe(const config::DaemonConfig& daemon, const DoctorEnv& env) {
    const auto& auth = daemon.auth;
    http::ClientRequest request;
    request.method = boost::beast::http::verb::get;
    request.timeout = std::chrono::seconds(10);
    request.idempotent = true;
    if (auth.method == "clientSecret" || auth.method == "workloadIdentity") {
        std::string authority = daemon.cloud.authority_host;
        if (authority == config::CloudEndpoints{}.authority_host)
            if (auto e = env("AZURE_AUTHORITY_HOST"); !e.empty()) authority = e;
        if (authority.empty() || authority.back() != '/') authority += '/';
        const std::string tenant = auth.tenant_id.empty() ? env("AZURE_TENANT_ID") : auth.tenant_id;
        // A GET of the token endpoint only for its Date header: Entra ID answers it with an
        // error (the endpoint takes POST) and no token (guess: any answer carries Date, as
        // every HTTP origin server with a clock must send it, RFC 9110 §6.6.1).
        request.url = authority + tenant + "/oauth2/v2.0/token";
    } else if (auth.method == "managedIdentity") {
        // IMDS without `resource`: an error answer, no token (guess: with a Date header).
        request.url = daemon.cloud.imds_endpoint;
        request.plain_http = http::PlainHttp::kImds;
        request.headers.emplace_back("Metadata", "true");
    } else {
        return Local("clock-skew", DoctorStatus::Ok,
                     "not applicable: auth.method " + auth.method + " fetches no token over HTTP");
    }
    std::string host = request.url;
    if (auto at = host.find("://"); at != std::string::npos) {
        auto slash = host.find('/', at + 3);
        host = host.substr(0, slash);
    }
    boost::asio::io_context io;
    http::ClientOptions options;
    options.ca_file = daemon.tls.ca_file;
    options.operation_timeout = std::chrono::seconds(10);
    std::optional<DoctorCheck> out;
    try {
        http::Client client(io.get_executor(), options);
        boost::asio::co_spawn(
            io,
            [&]() -> boost::asio::awaitable<void> {
                const auto before = std::chrono::system_clock::now();
                auto r = co_await client.send(request);
                const auto after = std::chrono::system_clock::now();
                if (!r) {
                    out = Local(
                        "clock-skew", DoctorStatus::Warn,
                        "cannot reach " + host + " (" + r.error().message + "): skew not measured",
                        "check network access to the token endpoint");
                } else {
                    std::string date = r->header("Date");
                    out = ClockSkewCheck(host, date.empty() ? std::nullopt : std::optional(date),
                                         before + (after - before) / 2);
                }
                client.shutdown();
            },
            boost::asio::detached);
        io.run();
    } catch (const std::exception& e) {
        return Local("clock-skew", DoctorStatus::Warn,
                     std::string("cannot probe the token endpoint: ") + e.what(),
                     "check tls.caFile and network access");
    }
    if (!out)
        return Local("clock-skew", DoctorStatus::Warn, "no answer from " + host,
                     "check network access to the token endpoint");
    return *out;
}

}  // namespace pw::cli
