// ARM pool bodies from and to the data-plane shapes, walking the pool tables (model/pool_fields)
// for every declared property. Spec: BatchManagement.json 2025-06-01 (shared/azure-specs/
// batch-management), definitions Pool, PoolProperties, DeploymentConfiguration,
// VirtualMachineConfiguration, ScaleSettings, FixedScaleSettings, AutoScaleSettings,
// BatchPoolIdentity, ResizeOperationStatus; azure-contract.md 3 and 10.
#include "codec/arm_pool.hpp"

#include <nlohmann/json.hpp>

#include "model/resource_id.hpp"

namespace pw::codec {

namespace {

using AJson = nlohmann::ordered_json;
using model::FieldKind;
using model::FieldSpec;
using model::ObjectSpec;

enum class To { Arm, Batch };

// ComputeNodeDeallocationOption [BM #/definitions/ComputeNodeDeallocationOption] against the
// data plane's spelling (BatchNodeDeallocationOption).
constexpr std::string_view kDeallocBatch[] = {"requeue", "terminate", "taskcompletion",
                                              "retaineddata"};
constexpr std::string_view kDeallocArm[] = {"Requeue", "Terminate", "TaskCompletion",
                                            "RetainedData"};

std::string MapEnum(const std::string& v, std::span<const std::string_view> from,
                    std::span<const std::string_view> to) {
    for (std::size_t i = 0; i < from.size() && i < to.size(); ++i)
        if (model::IEquals(from[i], v)) return std::string(to[i]);
    return v;  // not an enum value we know: sent / read as given
}

std::vector<std::string> SplitPath(std::string_view path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = path.find('/', start);
        out.emplace_back(
            path.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos) return out;
        start = slash + 1;
    }
}

AJson TranslateObject(const AJson& in, const ObjectSpec& spec, To to);

AJson TranslateValue(const AJson& v, const FieldSpec& f, To to) {
    auto from_values = to == To::Arm ? f.values : f.arm_values;
    auto to_values = to == To::Arm ? f.arm_values : f.values;
    switch (f.kind) {
        case FieldKind::Object:
            return v.is_object() ? TranslateObject(v, *f.object, to) : v;
        case FieldKind::ObjectList: {
            if (!v.is_array()) return v;
            AJson out = AJson::array();
            for (const auto& item : v)
                out.push_back(item.is_object() ? TranslateObject(item, *f.object, to) : item);
            return out;
        }
        case FieldKind::Enum:
            if (v.is_string() && !f.arm_values.empty())
                return MapEnum(v.get<std::string>(), from_values, to_values);
            return v;
        case FieldKind::EnumList: {
            if (!v.is_array() || f.arm_values.empty()) return v;
            AJson out = AJson::array();
            for (const auto& item : v)
                out.push_back(item.is_string()
                                  ? AJson(MapEnum(item.get<std::string>(), from_values, to_values))
                                  : item);
            return out;
        }
        case FieldKind::Bool:
            // interNodeCommunication: Disabled | Enabled [BM #/definitions/PoolProperties].
            if (f.arm_values.size() == 2) {
                if (to == To::Arm && v.is_boolean()) return f.arm_values[v.get<bool>() ? 1 : 0];
                if (to == To::Batch && v.is_string())
                    return model::IEquals(v.get<std::string>(), f.arm_values[1]);
            }
            return v;
        default:
            return v;
    }
}

const AJson* FindPath(const AJson& in, const std::vector<std::string>& path) {
    const AJson* at = &in;
    for (const auto& key : path) {
        if (!at->is_object()) return nullptr;
        auto it = at->find(key);
        if (it == at->end()) return nullptr;
        at = &*it;
    }
    return at;
}

void PutPath(AJson& out, const std::vector<std::string>& path, AJson value) {
    AJson* at = &out;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        if (!(*at)[path[i]].is_object()) (*at)[path[i]] = AJson::object();
        at = &(*at)[path[i]];
    }
    (*at)[path.back()] = std::move(value);
}

// Members `spec` declares are renamed and converted; the others (the hand-written members such
// as startTask.commandLine) are kept as they are. A member ARM does not declare ("-") is
// dropped on the way to ARM.
AJson TranslateObject(const AJson& in, const ObjectSpec& spec, To to) {
    AJson out = AJson::object();
    std::vector<std::string> consumed;
    for (const auto& f : spec.fields) {
        const bool arm_has = f.arm_name() != "-";
        auto src = SplitPath(to == To::Arm ? f.rest_name() : f.arm_name());
        if (to == To::Batch && !arm_has) continue;
        const AJson* v = FindPath(in, src);
        if (!v) continue;
        consumed.push_back(src.front());
        if (to == To::Arm && !arm_has) continue;
        auto dst = SplitPath(to == To::Arm ? f.arm_name() : f.rest_name());
        PutPath(out, dst, TranslateValue(*v, f, to));
    }
    for (const auto& [key, value] : in.items()) {
        if (std::find(consumed.begin(), consumed.end(), key) != consumed.end()) continue;
        if (out.contains(key) && out[key].is_object() && value.is_object()) {
            for (const auto& [k2, v2] : value.items())
                if (!out[key].contains(k2)) out[key][k2] = v2;
        } else if (!out.contains(key)) {
            out[key] = value;
        }
    }
    return out;
}

void Rename(AJson& obj, const char* from, const char* to) {
    if (!obj.is_object()) return;
    auto it = obj.find(from);
    if (it == obj.end()) return;
    AJson v = std::move(*it);
    obj.erase(from);
    obj[to] = std::move(v);
}

// The table does not declare the members of the data plane's pool that have another shape in
// ARM: they are moved here, by hand, each with its spec definition.
AJson PoolToArm(const AJson& batch) {
    static const char* const kScale[] = {
        "enableAutoScale",      "autoScaleFormula",       "autoScaleEvaluationInterval",
        "targetDedicatedNodes", "targetLowPriorityNodes", "resizeTimeout"};
    AJson rest = batch;
    rest.erase("id");  // the pool's name is in the URL [BM #/parameters/PoolNameParameter]
    AJson scale = AJson::object();
    // ScaleSettings: fixedScale xor autoScale [BM #/definitions/ScaleSettings].
    if (batch.value("enableAutoScale", false)) {
        scale["autoScale"]["formula"] = batch.value("autoScaleFormula", "");
        if (batch.contains("autoScaleEvaluationInterval"))
            scale["autoScale"]["evaluationInterval"] = batch["autoScaleEvaluationInterval"];
    } else if (batch.contains("targetDedicatedNodes") || batch.contains("targetLowPriorityNodes")) {
        AJson& fixed = scale["fixedScale"];
        if (batch.contains("resizeTimeout")) fixed["resizeTimeout"] = batch["resizeTimeout"];
        fixed["targetDedicatedNodes"] = batch.value("targetDedicatedNodes", 0);
        fixed["targetLowPriorityNodes"] = batch.value("targetLowPriorityNodes", 0);
    }
    for (const char* k : kScale) rest.erase(k);
    AJson props = TranslateObject(rest, model::PoolFields(), To::Arm);
    if (!scale.empty()) props["scaleSettings"] = std::move(scale);
    if (props.contains("startTask"))
        props["startTask"] = TranslateObject(props["startTask"], model::StartTaskFields(), To::Arm);
    // VirtualMachineConfiguration: imageReference.id, nodeAgentSkuId [BM
    // #/definitions/ImageReference/properties/id, #/definitions/VirtualMachineConfiguration].
    if (props.contains("deploymentConfiguration")) {
        AJson& vm = props["deploymentConfiguration"]["virtualMachineConfiguration"];
        Rename(vm, "nodeAgentSKUId", "nodeAgentSkuId");
        if (vm.contains("imageReference"))
            Rename(vm["imageReference"], "virtualMachineImageId", "id");
    }
    return props;
}

AJson PoolToBatch(const AJson& arm) {
    AJson props = arm.contains("properties") && arm["properties"].is_object() ? arm["properties"]
                                                                              : AJson::object();
    AJson out = TranslateObject(props, model::PoolFields(), To::Batch);
    if (out.contains("virtualMachineConfiguration")) {
        AJson& vm = out["virtualMachineConfiguration"];
        Rename(vm, "nodeAgentSkuId", "nodeAgentSKUId");
        if (vm.contains("imageReference"))
            Rename(vm["imageReference"], "id", "virtualMachineImageId");
    }
    out.erase("deploymentConfiguration");
    if (out.contains("startTask") && out["startTask"].is_object())
        out["startTask"] = TranslateObject(out["startTask"], model::StartTaskFields(), To::Batch);
    if (arm.contains("name")) out["id"] = arm["name"];
    if (arm.contains("etag")) out["eTag"] = arm["etag"];
    // provisioningState Succeeded | Deleting [BM #/definitions/PoolProvisioningState].
    out["state"] =
        model::IEquals(props.value("provisioningState", ""), "Deleting") ? "deleting" : "active";
    out.erase("provisioningState");
    if (props.contains("allocationState") && props["allocationState"].is_string())
        out["allocationState"] = model::Lower(props["allocationState"].get<std::string>());
    out.erase("scaleSettings");
    const AJson* fixed = FindPath(props, {"scaleSettings", "fixedScale"});
    const AJson* autoscale = FindPath(props, {"scaleSettings", "autoScale"});
    if (autoscale && autoscale->is_object()) {
        out["enableAutoScale"] = true;
        if (autoscale->contains("formula")) out["autoScaleFormula"] = (*autoscale)["formula"];
        // evaluationInterval defaults to PT15M [BM #/definitions/AutoScaleSettings].
        out["autoScaleEvaluationInterval"] = autoscale->value("evaluationInterval", "PT15M");
    } else {
        // No scaleSettings: fixed scale with 0 nodes [BM #/definitions/ScaleSettings].
        out["enableAutoScale"] = false;
        out["targetDedicatedNodes"] = fixed ? fixed->value("targetDedicatedNodes", 0) : 0;
        out["targetLowPriorityNodes"] = fixed ? fixed->value("targetLowPriorityNodes", 0) : 0;
        // resizeTimeout defaults to PT15M [BM #/definitions/FixedScaleSettings].
        if (fixed) out["resizeTimeout"] = fixed->value("resizeTimeout", "PT15M");
    }
    out.erase("resizeOperationStatus");
    // errors: set only when Steady [BM #/definitions/ResizeOperationStatus]; ResizeError has
    // code, message and nested details (no values) [BM #/definitions/ResizeError].
    if (const AJson* errors = FindPath(props, {"resizeOperationStatus", "errors"});
        errors && errors->is_array()) {
        AJson list = AJson::array();
        for (const auto& e : *errors)
            if (e.is_object())
                list.push_back(
                    {{"code", e.value("code", "")}, {"message", e.value("message", "")}});
        out["resizeErrors"] = std::move(list);
    }
    return out;
}

Result<AJson, std::string> ParseArmObject(std::string_view body) {
    AJson j = AJson::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return pw::Err{std::string("expected a JSON object")};
    return j;
}

Decoded<model::ObservedPool> DecodeOne(const AJson& arm) {
    if (!arm.is_object()) return pw::Err{std::string("expected an object")};
    auto pool = DecodePool(PoolToBatch(arm).dump());
    if (!pool) return pool;
    // userAssignedIdentities: a map keyed by the identity's ARM id [BM
    // #/definitions/BatchPoolIdentity].
    if (const AJson* ids = FindPath(arm, {"identity", "userAssignedIdentities"});
        ids && ids->is_object())
        for (const auto& [id, value] : ids->items()) pool->identities.push_back(id);
    return pool;
}

}  // namespace

Result<std::string, std::string> EncodeArmPoolCreate(
    const model::PoolSpec& spec, const std::optional<model::Seconds>& resize_timeout,
    const SecretReader& secrets) {
    auto batch = EncodePoolAdd(spec, resize_timeout, secrets);
    if (!batch) return batch;
    AJson body;
    body["properties"] = PoolToArm(AJson::parse(*batch));
    // BatchPoolIdentity: the request sends {} per identity; ARM fills principalId / clientId
    // [BMx/PoolCreate_UserAssignedIdentities.json].
    if (!spec.identities.empty()) {
        body["identity"]["type"] = "UserAssigned";
        for (const auto& id : spec.identities)
            body["identity"]["userAssignedIdentities"][id] = AJson::object();
    }
    return body.dump();
}

std::string EncodeArmFixedScale(int target_dedicated_nodes, int target_low_priority_nodes,
                                model::Seconds resize_timeout,
                                const std::string& node_deallocation_option) {
    AJson fixed = {{"resizeTimeout", model::FormatIsoDuration(resize_timeout)},
                   {"targetDedicatedNodes", target_dedicated_nodes},
                   {"targetLowPriorityNodes", target_low_priority_nodes}};
    if (!node_deallocation_option.empty())
        fixed["nodeDeallocationOption"] =
            MapEnum(node_deallocation_option, kDeallocBatch, kDeallocArm);
    AJson body;
    body["properties"]["scaleSettings"]["fixedScale"] = std::move(fixed);
    return body.dump();
}

std::string EncodeArmAutoScale(const model::AutoScale& autoscale) {
    AJson body;
    body["properties"]["scaleSettings"]["autoScale"] = {
        {"formula", model::CappedFormula(autoscale)},
        {"evaluationInterval", model::FormatIsoDuration(autoscale.evaluation_interval)}};
    return body.dump();
}

Result<std::string, std::string> EncodeArmPoolPatch(
    const model::Boxed<model::StartTask>& start_task,
    const std::optional<std::map<std::string, std::string>>& metadata, const SecretReader& secrets,
    const model::PropValue& properties) {
    auto batch = EncodePoolPatch(start_task, metadata, secrets, properties);
    if (!batch) return batch;
    AJson body;
    body["properties"] = PoolToArm(AJson::parse(*batch));
    return body.dump();
}

Result<std::string, std::string> EncodeArmPoolSwap(
    const model::PoolSpec& spec, const std::optional<std::map<std::string, std::string>>& metadata,
    const SecretReader& secrets) {
    auto batch = EncodePoolSwap(spec, metadata, secrets);
    if (!batch) return batch;
    AJson body;
    body["properties"] = PoolToArm(AJson::parse(*batch));
    return body.dump();
}

Decoded<std::string> ArmPoolAsBatchJson(std::string_view arm_pool) {
    auto j = ParseArmObject(arm_pool);
    if (!j) return pw::Err{std::move(j).error()};
    return PoolToBatch(*j).dump();
}

Decoded<model::ObservedPool> DecodeArmPool(std::string_view body) {
    auto j = ParseArmObject(body);
    if (!j) return pw::Err{std::move(j).error()};
    return DecodeOne(*j);
}

Decoded<PoolPage> DecodeArmPoolList(std::string_view body) {
    auto j = ParseArmObject(body);
    if (!j) return pw::Err{std::move(j).error()};
    auto value = j->find("value");
    if (value == j->end() || !value->is_array())
        return pw::Err{std::string("value: expected an array")};
    PoolPage page;
    for (std::size_t i = 0; i < value->size(); ++i) {
        auto pool = DecodeOne((*value)[i]);
        if (!pool) return pw::Err{"value[" + std::to_string(i) + "]." + pool.error()};
        page.pools.push_back(std::move(pool).value());
    }
    if (auto next = j->find("nextLink"); next != j->end() && next->is_string())
        page.next_link = next->get<std::string>();
    return page;
}

Decoded<model::PropValue> DecodeArmPoolProperties(std::string_view arm_pool) {
    auto batch = ArmPoolAsBatchJson(arm_pool);
    if (!batch) return pw::Err{std::move(batch).error()};
    return DecodePoolProperties(*batch);
}

Decoded<model::PropValue> DecodeArmStartTaskProperties(std::string_view arm_pool) {
    auto batch = ArmPoolAsBatchJson(arm_pool);
    if (!batch) return pw::Err{std::move(batch).error()};
    return DecodeStartTaskProperties(*batch);
}

}  // namespace pw::codec
