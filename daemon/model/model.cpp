#include <algorithm>
#include <cctype>
#include <climits>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/plan.hpp"
#include "model/resource_id.hpp"

namespace pw::model {
bool SameStartTask(const StartTask& want, const StartTask& have) {
    bool admin = want.elevated;
    if (const PropValue* identity = want.properties.find("userIdentity")) {
        const PropValue* auto_user = identity->find("autoUser");
        const PropValue* level = auto_user ? auto_user->find("elevationLevel") : nullptr;
        admin = level && level->text == "admin";
    }
    return want.command_line == have.command_line &&
           want.wait_for_success == have.wait_for_success &&
           want.max_task_retry_count == have.max_task_retry_count &&
           want.environment == have.environment && admin == have.elevated;
}

int AddNodeCounts(int a, int b) {
    const long long sum = static_cast<long long>(a) + b;
    return static_cast<int>(std::clamp<long long>(sum, INT_MIN, INT_MAX));
}

std::string CappedFormula(const AutoScale& a) {
    // Statements end with ';' (Batch's formula grammar, "Create a formula to automatically
    // scale compute nodes", learn.microsoft.com); min and max are among its functions.
    std::string out = a.formula;
    while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    if (!out.empty() && out.back() != ';') out += ';';
    const std::string n = std::to_string(a.max_nodes);
    out += "\n$TargetDedicatedNodes = min($TargetDedicatedNodes, " + n + ");";
    out += "\n$TargetLowPriorityNodes = min($TargetLowPriorityNodes, max(0, " + n +
           " - $TargetDedicatedNodes));";
    return out;
}

std::string OrphanKey(std::string_view account, std::string_view pool_id) {
    return std::string(account) + "/" + ResourceKey(pool_id);
}

std::string PoolSpec::image_reference() const {
    return image_follows_latest ? image.image_definition_id() : image.str();
}

int PoolSpec::sized_nodes() const {
    if (autoscale) return autoscale->max_nodes;
    if (fixed)
        return AddNodeCounts(fixed->target_dedicated_nodes, fixed->target_low_priority_nodes);
    return 0;
}

const RolloutGroupPolicy& Policy::rollout_group(const std::string& name) const {
    static const RolloutGroupPolicy kDefaults;
    auto it = rollout_groups.find(name);
    return it == rollout_groups.end() ? kDefaults : it->second;
}

const AccountSpec* DesiredState::find_account(std::string_view name) const {
    for (const auto& a : accounts)
        if (a.name == name) return &a;
    return nullptr;
}

const ObservedPool* ObservedAccount::find_pool(std::string_view id) const {
    for (const auto& p : pools)
        if (IEquals(p.id, id)) return &p;
    return nullptr;
}

const TargetRegion* ObservedImageVersion::find_region(std::string_view region) const {
    auto want = NormalizeRegion(region);
    for (const auto& r : target_regions)
        if (NormalizeRegion(r.name) == want) return &r;
    return nullptr;
}

const RegionReplication* ObservedImageVersion::find_replication(std::string_view region) const {
    auto want = NormalizeRegion(region);
    for (const auto& r : summary)
        if (NormalizeRegion(r.region) == want) return &r;
    return nullptr;
}

std::string_view ToString(RolloutStatus::Step step) {
    using S = RolloutStatus::Step;
    switch (step) {
        case S::Idle:
            return "idle";
        case S::Pending:
            return "pending";
        case S::Draining:
            return "draining";
        case S::Swapping:
            return "swapping";
        case S::Regrowing:
            return "regrowing";
        case S::Gating:
            return "gating";
        case S::Done:
            return "done";
        case S::Halted:
            return "halted";
    }
    return "idle";
}

std::string_view ToString(ActionKind kind) {
    switch (kind) {
        case ActionKind::AddTargetRegion:
            return "AddTargetRegion";
        case ActionKind::SetRegionalReplicas:
            return "SetRegionalReplicas";
        case ActionKind::WaitForReplication:
            return "WaitForReplication";
        case ActionKind::CreatePool:
            return "CreatePool";
        case ActionKind::ResizePool:
            return "ResizePool";
        case ActionKind::PatchPool:
            return "PatchPool";
        case ActionKind::EnableAutoScale:
            return "EnableAutoScale";
        case ActionKind::DisableAutoScale:
            return "DisableAutoScale";
        case ActionKind::DeletePool:
            return "DeletePool";
    }
    return "Unknown";
}

std::string_view ToString(Severity s) {
    switch (s) {
        case Severity::Info:
            return "info";
        case Severity::Warning:
            return "warning";
        case Severity::Error:
            return "error";
    }
    return "unknown";
}

}  // namespace pw::model
