#include "codec/plan_json.hpp"

#include <nlohmann/json.hpp>

namespace pw::codec {
namespace {

using Json = nlohmann::ordered_json;

void PutString(Json& j, const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
}

void PutInt(Json& j, const char* key, const std::optional<int>& value) {
    if (value) j[key] = *value;
}

}  // namespace

std::string PlanToJson(const model::Plan& plan, int indent) {
    Json out;
    out["actions"] = Json::array();
    for (const auto& a : plan.actions) {
        Json j;
        j["kind"] = std::string(model::ToString(a.kind));
        PutString(j, "account", a.account);
        PutString(j, "pool", a.pool);
        PutString(j, "imageVersion", a.image_version);
        PutString(j, "region", a.region);
        PutInt(j, "from", a.from);
        PutInt(j, "to", a.to);
        if (a.resize_timeout) j["resizeTimeout"] = model::FormatIsoDuration(*a.resize_timeout);
        PutInt(j, "targetDedicatedNodes", a.target_dedicated_nodes);
        PutInt(j, "targetLowPriorityNodes", a.target_low_priority_nodes);
        PutString(j, "reason", a.reason);
        out["actions"].push_back(std::move(j));
    }
    out["findings"] = Json::array();
    for (const auto& f : plan.findings) {
        Json j;
        j["severity"] = std::string(model::ToString(f.severity));
        j["code"] = f.code;
        PutString(j, "pool", f.pool);
        PutString(j, "message", f.message);
        out["findings"].push_back(std::move(j));
    }
    for (const auto& r : plan.rollouts) {
        if (r.step == model::RolloutStatus::Step::Idle ||
            r.step == model::RolloutStatus::Step::Done)
            continue;
        Json j = {{"group", r.group},
                  {"account", r.account},
                  {"pool", r.pool},
                  {"step", model::ToString(r.step)}};
        if (!r.detail.empty()) j["detail"] = r.detail;
        out["rollouts"].push_back(std::move(j));
    }
    if (plan.requeue_after) out["requeueAfterSeconds"] = plan.requeue_after->count();
    return out.dump(indent);
}

}  // namespace pw::codec
