#include "codec/encode.hpp"

#include <nlohmann/json.hpp>

namespace pw::codec {

namespace {

using Json = nlohmann::ordered_json;

Json NameValues(const std::map<std::string, std::string>& values) {
    Json out = Json::array();
    for (const auto& [name, value] : values) out.push_back({{"name", name}, {"value", value}});
    return out;
}

Json StartTaskJson(const model::StartTask& task) {
    Json out = {{"commandLine", task.command_line}};
    if (!task.environment.empty()) out["environmentSettings"] = NameValues(task.environment);
    if (task.elevated) {
        out["userIdentity"] = {{"autoUser", {{"scope", "pool"}, {"elevationLevel", "admin"}}}};
    }
    out["maxTaskRetryCount"] = task.max_task_retry_count;
    out["waitForSuccess"] = task.wait_for_success;
    return out;
}

}  // namespace

std::string EncodePoolAdd(const model::PoolSpec& spec,
                          const std::optional<model::Seconds>& resize_timeout) {
    Json body = {{"id", spec.id}, {"vmSize", spec.vm_size}};
    body["virtualMachineConfiguration"] = {
        {"imageReference", {{"virtualMachineImageId", spec.image.str()}}},
        {"nodeAgentSKUId", spec.node_agent_sku_id}};
    if (spec.autoscale) {
        body["enableAutoScale"] = true;
        body["autoScaleFormula"] = spec.autoscale->formula;
        body["autoScaleEvaluationInterval"] =
            model::FormatIsoDuration(spec.autoscale->evaluation_interval);
    } else {
        const model::FixedScale fixed = spec.fixed.value_or(model::FixedScale{});
        if (resize_timeout) body["resizeTimeout"] = model::FormatIsoDuration(*resize_timeout);
        body["targetDedicatedNodes"] = fixed.target_dedicated_nodes;
        body["targetLowPriorityNodes"] = fixed.target_low_priority_nodes;
        body["enableAutoScale"] = false;
    }
    body["taskSlotsPerNode"] = spec.task_slots_per_node;
    if (spec.start_task) body["startTask"] = StartTaskJson(*spec.start_task);
    if (!spec.metadata.empty()) body["metadata"] = NameValues(spec.metadata);
    return body.dump();
}

std::string EncodePoolResize(int target_dedicated_nodes, int target_low_priority_nodes,
                             model::Seconds resize_timeout,
                             const std::string& node_deallocation_option) {
    Json body = {{"targetDedicatedNodes", target_dedicated_nodes},
                 {"targetLowPriorityNodes", target_low_priority_nodes},
                 {"resizeTimeout", model::FormatIsoDuration(resize_timeout)}};
    if (!node_deallocation_option.empty())
        body["nodeDeallocationOption"] = node_deallocation_option;
    return body.dump();
}

std::string EncodePoolPatch(const std::optional<model::StartTask>& start_task,
                            const std::optional<std::map<std::string, std::string>>& metadata) {
    Json body = Json::object();
    if (start_task) body["startTask"] = StartTaskJson(*start_task);
    if (metadata) body["metadata"] = NameValues(*metadata);
    return body.dump();
}

std::string EncodeTargetRegionsPatch(const std::vector<model::TargetRegion>& regions) {
    Json list = Json::array();
    for (const auto& region : regions) {
        Json r = Json::object();
        if (!region.other_members.empty()) {
            // Decoded from ARM's own JSON, so it parses; a non-object is dropped, not sent.
            auto others = Json::parse(region.other_members, nullptr, false);
            if (others.is_object()) r = std::move(others);
        }
        r["name"] = region.name;
        r["regionalReplicaCount"] = region.regional_replica_count;
        if (!region.storage_account_type.empty())
            r["storageAccountType"] = region.storage_account_type;
        list.push_back(std::move(r));
    }
    Json body;
    body["properties"]["publishingProfile"]["targetRegions"] = std::move(list);
    body["properties"]["storageProfile"] = Json::object();
    return body.dump();
}

}  // namespace pw::codec
