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

using model::FieldKind;
using model::PropValue;
using Encoded = Result<Json, std::string>;

Json AnyJson(const PropValue& v) {
    switch (v.kind) {
        case PropValue::Kind::Bool:
            return v.boolean;
        case PropValue::Kind::Int:
            return v.integer;
        case PropValue::Kind::List: {
            Json out = Json::array();
            for (const auto& item : v.items) out.push_back(AnyJson(item));
            return out;
        }
        case PropValue::Kind::Object: {
            Json out = Json::object();
            for (const auto& m : v.members) out[m.key] = AnyJson(m.value);
            return out;
        }
        default:
            return v.text;
    }
}

Encoded Props(const PropValue& value, const model::ObjectSpec& spec, const SecretReader& secrets);

Encoded Member(const PropValue& v, const model::FieldSpec& f, const SecretReader& secrets) {
    switch (f.kind) {
        case FieldKind::Object:
            return Props(v, *f.object, secrets);
        case FieldKind::ObjectList: {
            Json out = Json::array();
            for (const auto& item : v.items) {
                auto e = Props(item, *f.object, secrets);
                if (!e) return e;
                out.push_back(std::move(e).value());
            }
            return out;
        }
        case FieldKind::SecretFile:
        case FieldKind::JsonSecretFile: {
            if (!secrets) return pw::Err{"no secret reader for " + std::string(f.key)};
            auto bytes = secrets(v);
            if (!bytes) return pw::Err{std::move(bytes).error()};
            if (f.kind == FieldKind::SecretFile) return Json(std::move(bytes).value());
            auto parsed = Json::parse(*bytes, nullptr, false);
            if (!parsed.is_object())
                return pw::Err{std::string(f.key) + " " + v.text + ": not a JSON object"};
            return parsed;
        }
        default:
            return AnyJson(v);
    }
}

Encoded Props(const PropValue& value, const model::ObjectSpec& spec, const SecretReader& secrets) {
    Json out = Json::object();
    for (const auto& m : value.members) {
        const model::FieldSpec* f = spec.find(m.key);
        if (!f) continue;  // the loader only stores declared keys
        auto e = Member(m.value, *f, secrets);
        if (!e) return e;
        out[std::string(f->rest_name())] = std::move(e).value();
    }
    return out;
}

/// Adds the members of `props` to `out` (objects already in `out` are merged into).
void Merge(Json& out, Json props) {
    for (auto& [key, value] : props.items()) {
        if (value.is_object() && out.contains(key) && out[key].is_object())
            Merge(out[key], std::move(value));
        else
            out[key] = std::move(value);
    }
}

Encoded StartTaskJson(const model::StartTask& task, const SecretReader& secrets) {
    Json out = {{"commandLine", task.command_line}};
    if (!task.environment.empty()) out["environmentSettings"] = NameValues(task.environment);
    if (task.elevated) {
        out["userIdentity"] = {{"autoUser", {{"scope", "pool"}, {"elevationLevel", "admin"}}}};
    }
    out["maxTaskRetryCount"] = task.max_task_retry_count;
    out["waitForSuccess"] = task.wait_for_success;
    auto props = Props(task.properties, model::StartTaskFields(), secrets);
    if (!props) return props;
    Merge(out, std::move(props).value());
    return out;
}

}  // namespace

Result<std::string, std::string> EncodePoolAdd(const model::PoolSpec& spec,
                                               const std::optional<model::Seconds>& resize_timeout,
                                               const SecretReader& secrets) {
    Json body = {{"id", spec.id}, {"vmSize", spec.vm_size}};
    body["virtualMachineConfiguration"] = {
        {"imageReference", {{"virtualMachineImageId", spec.image_reference()}}},
        {"nodeAgentSKUId", spec.node_agent_sku_id}};
    if (spec.autoscale) {
        body["enableAutoScale"] = true;
        body["autoScaleFormula"] = model::CappedFormula(*spec.autoscale);
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
    if (spec.start_task) {
        auto task = StartTaskJson(*spec.start_task, secrets);
        if (!task) return pw::Err{std::move(task).error()};
        body["startTask"] = std::move(task).value();
    }
    if (!spec.metadata.empty()) body["metadata"] = NameValues(spec.metadata);
    auto props = Props(spec.properties, model::PoolFields(), secrets);
    if (!props) return pw::Err{std::move(props).error()};
    Merge(body, std::move(props).value());
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

std::string EncodeEnableAutoScale(const model::AutoScale& autoscale) {
    return Json{
        {"autoScaleFormula", model::CappedFormula(autoscale)},
        {"autoScaleEvaluationInterval", model::FormatIsoDuration(autoscale.evaluation_interval)}}
        .dump();
}

std::string EncodeEvaluateAutoScale(const model::AutoScale& autoscale) {
    return Json{{"autoScaleFormula", model::CappedFormula(autoscale)}}.dump();
}

Result<std::string, std::string> EncodePoolPatch(
    const model::Boxed<model::StartTask>& start_task,
    const std::optional<std::map<std::string, std::string>>& metadata, const SecretReader& secrets,
    const model::PropValue& properties) {
    Json body = Json::object();
    if (start_task) {
        auto task = StartTaskJson(*start_task, secrets);
        if (!task) return pw::Err{std::move(task).error()};
        body["startTask"] = std::move(task).value();
    }
    if (metadata) body["metadata"] = NameValues(*metadata);
    auto props = Props(properties, model::PoolFields(), secrets);
    if (!props) return pw::Err{std::move(props).error()};
    Merge(body, std::move(props).value());
    return body.dump();
}

Result<std::string, std::string> EncodePoolSwap(
    const model::PoolSpec& spec, const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets) {
    auto add = EncodePoolAdd(spec, std::nullopt, secrets);
    if (!add) return add;
    Json body = Json::parse(*add);
    // BatchPoolUpdateOptions has no id, scale or autoscale member [BS21
    // `#/definitions/BatchPoolUpdateOptions`]; the Fixed fields cannot change at all.
    for (const char* key : {"id", "targetDedicatedNodes", "targetLowPriorityNodes", "resizeTimeout",
                            "enableAutoScale", "autoScaleFormula", "autoScaleEvaluationInterval"})
        body.erase(key);
    for (const auto& f : model::PoolFields().fields)
        if (f.update == model::UpdateClass::Fixed) body.erase(std::string(f.rest_name()));
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
