// ARM pool endpoints (`Microsoft.Batch/batchAccounts/pools`, BatchManagement.json 2025-06-01,
// azure-contract.md 10) over the same world as the data plane: every request is translated to
// the data-plane operation it stands for and run by the Batch handlers (batch.cpp), so a pool
// created by one API is visible through the other, with one set of rules.
#include <functional>

#include "internal.hpp"
#include "odata.hpp"
#include "pool_schema.hpp"

namespace pw::sim {

namespace {

Reply ArmPoolError(const Simulator::Ctx& c, unsigned status, const std::string& code,
                   const std::string& message, Json details = Json()) {
    Json err = {{"code", code}, {"message", message}};
    if (details.is_array() && !details.empty()) err["details"] = std::move(details);
    Reply r = MakeJson(status, {{"error", err}});
    r.response.set("x-ms-request-id", c.request_id);
    return r;
}

// A data-plane error reply as ARM's CloudError [contract 2.7]: code, message, and the Batch
// `values` as details.
Reply AsArmError(const Simulator::Ctx& c, const Reply& batch) {
    Json b = Json::parse(batch.response.body(), nullptr, false);
    std::string code = "BadRequest", message;
    Json details = Json::array();
    if (b.is_object()) {
        code = b.value("code", code);
        if (b.contains("message") && b["message"].is_object())
            message = b["message"].value("value", "");
        for (const auto& v : b.value("values", Json::array()))
            if (v.is_object())
                details.push_back(
                    {{"code", v.value("key", "")}, {"message", v.value("value", "")}});
    }
    return ArmPoolError(c, batch.response.result_int(), code, message, details);
}

// Member names that differ between the two pool models, anywhere in a pool body.
const std::pair<const char*, const char*> kRenames[] = {
    {"inboundNatPools", "inboundNATPools"},
    {"dynamicVnetAssignmentScope", "dynamicVNetAssignmentScope"},
    {"userName", "username"},
    {"nodeAgentSkuId", "nodeAgentSKUId"},
};

void RenameDeep(Json& j, bool to_batch) {
    if (j.is_array()) {
        for (auto& item : j) RenameDeep(item, to_batch);
        return;
    }
    if (!j.is_object()) return;
    for (const auto& [arm, batch] : kRenames) {
        const char* from = to_batch ? arm : batch;
        const char* to = to_batch ? batch : arm;
        if (j.contains(from)) {
            j[to] = std::move(j[from]);
            j.erase(from);
        }
    }
    for (auto& [k, v] : j.items()) RenameDeep(v, to_batch);
}

// ARM's enum spellings by member name (BatchManagement.json 2025-06-01); the data plane takes
// any case, ARM answers in its own.
std::string ArmSpelling(const std::string& key, const std::string& value) {
    static const std::map<std::string, std::vector<std::string>> kEnums = {
        {"caching", {"None", "ReadOnly", "ReadWrite"}},
        {"storageAccountType", {"Standard_LRS", "Premium_LRS", "StandardSSD_LRS"}},
        {"placement", {"CacheDisk"}},
        {"policy", {"Regional", "Zonal"}},
        {"protocol", {"TCP", "UDP"}},
        {"access", {"Allow", "Deny"}},
        {"provision", {"BatchManaged", "UserManaged", "NoPublicIPAddresses"}},
        {"elevationLevel", {"NonAdmin", "Admin"}},
        {"loginMode", {"Batch", "Interactive"}},
        {"nodeFillType", {"Spread", "Pack"}},
        {"scope", {"Task", "Pool"}},
        {"workingDirectory", {"TaskWorkingDirectory", "ContainerImageDefault"}},
        {"targets", {"OsDisk", "TemporaryDisk"}},
        {"type", {"DockerCompatible", "CriCompatible"}},
    };
    auto it = kEnums.find(key);
    if (it == kEnums.end()) return value;
    for (const auto& v : it->second)
        if (Ieq(v, value)) return v;
    return value;
}

void SpellDeep(Json& j, const std::string& key) {
    if (j.is_string()) {
        j = ArmSpelling(key, j.get<std::string>());
    } else if (j.is_array()) {
        for (auto& item : j) SpellDeep(item, key);
    } else if (j.is_object()) {
        for (auto& [k, v] : j.items()) SpellDeep(v, k);
    }
}

std::string Guidish(const std::string& seed, int salt) {
    const auto h = std::hash<std::string>{}(seed + std::to_string(salt));
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx",
                  static_cast<unsigned>(h & 0xffffffffU),
                  static_cast<unsigned>((h >> 32) & 0xffffU),
                  static_cast<unsigned>((h >> 48) & 0xfffU), static_cast<unsigned>(salt & 0xfff),
                  static_cast<unsigned long long>(h & 0xffffffffffffULL));
    return buf;
}

// BatchPoolIdentity: ARM's map keyed by resource id -> the data plane's list (BatchService.json
// BatchPoolIdentity, read-only there), clientId / principalId filled as ARM does
// [BMx/PoolCreate_UserAssignedIdentities.json].
std::optional<Json> IdentityToBatch(const Json& identity, std::string* problem) {
    if (!identity.is_object() || !identity.contains("type")) {
        *problem = "identity.type is required";
        return std::nullopt;
    }
    const std::string type = identity.value("type", "");
    if (Ieq(type, "None")) return Json();
    if (!Ieq(type, "UserAssigned")) {
        *problem = "identity.type must be UserAssigned or None";
        return std::nullopt;
    }
    Json list = Json::array();
    const Json ids = identity.value("userAssignedIdentities", Json::object());
    for (const auto& [id, v] : ids.items()) {
        if (ToLower(id).find("/providers/microsoft.managedidentity/userassignedidentities/") ==
            std::string::npos) {
            *problem = "'" + id + "' is not a user-assigned identity resource id";
            return std::nullopt;
        }
        list.push_back(
            {{"resourceId", id}, {"clientId", Guidish(id, 1)}, {"principalId", Guidish(id, 2)}});
    }
    if (list.empty()) {
        *problem = "identity.userAssignedIdentities must name at least one identity";
        return std::nullopt;
    }
    return Json{{"type", "UserAssigned"}, {"userAssignedIdentities", list}};
}

// The members of ARM PoolProperties that map onto a data-plane body (no scale settings).
Json PropertiesToBatch(Json props) {
    for (const char* k : {"scaleSettings", "provisioningState", "allocationState",
                          "currentDedicatedNodes", "currentLowPriorityNodes", "lastModified",
                          "creationTime", "resizeOperationStatus", "autoScaleRun"})
        props.erase(k);
    if (props.contains("deploymentConfiguration")) {
        Json vm = props["deploymentConfiguration"].value("virtualMachineConfiguration", Json());
        props.erase("deploymentConfiguration");
        if (vm.is_object()) {
            if (vm.contains("imageReference") && vm["imageReference"].contains("id")) {
                vm["imageReference"]["virtualMachineImageId"] = vm["imageReference"]["id"];
                vm["imageReference"].erase("id");
            }
            props["virtualMachineConfiguration"] = vm;
        }
    }
    if (props.contains("interNodeCommunication")) {
        props["enableInterNodeCommunication"] =
            Ieq(props["interNodeCommunication"].get<std::string>(), "Enabled");
        props.erase("interNodeCommunication");
    }
    if (props.contains("applicationPackages")) {
        Json refs = Json::array();
        for (auto ref : props["applicationPackages"]) {
            if (ref.is_object() && ref.contains("id")) {
                ref["applicationId"] = ref["id"];
                ref.erase("id");
            }
            refs.push_back(ref);
        }
        props["applicationPackageReferences"] = refs;
        props.erase("applicationPackages");
    }
    RenameDeep(props, true);
    return props;
}

}  // namespace

Json Simulator::ArmPoolJson(const Account& a, const Pool& p, const std::string& account_id) const {
    Json dp = PoolForGet(PoolToJson(p));
    Json props = Json::object();
    if (dp.contains("displayName")) props["displayName"] = dp["displayName"];
    props["lastModified"] = dp["lastModified"];
    props["creationTime"] = dp["creationTime"];
    props["provisioningState"] = p.state == "deleting" ? "Deleting" : "Succeeded";
    props["provisioningStateTransitionTime"] = dp["stateTransitionTime"];
    std::string alloc = p.allocation_state;
    if (!alloc.empty()) alloc[0] = static_cast<char>(std::toupper(alloc[0]));
    props["allocationState"] = alloc;
    props["allocationStateTransitionTime"] = dp["allocationStateTransitionTime"];
    props["vmSize"] = dp.value("vmSize", "");
    if (dp.contains("virtualMachineConfiguration")) {
        Json vm = dp["virtualMachineConfiguration"];
        if (vm.contains("imageReference") &&
            vm["imageReference"].contains("virtualMachineImageId")) {
            vm["imageReference"]["id"] = vm["imageReference"]["virtualMachineImageId"];
            vm["imageReference"].erase("virtualMachineImageId");
            vm["imageReference"].erase("exactVersion");
        }
        props["deploymentConfiguration"]["virtualMachineConfiguration"] = vm;
    }
    props["currentDedicatedNodes"] = dp["currentDedicatedNodes"];
    props["currentLowPriorityNodes"] = dp["currentLowPriorityNodes"];
    if (p.auto_scale) {
        props["scaleSettings"]["autoScale"] = {
            {"formula", p.formula}, {"evaluationInterval", FormatIsoDuration(p.eval_interval)}};
        if (p.autoscale_run.is_object()) {
            // AutoScaleRun: evaluationTime (the data plane's timestamp) [BM
            // #/definitions/AutoScaleRun].
            Json run = p.autoscale_run;
            if (run.contains("timestamp")) {
                run["evaluationTime"] = run["timestamp"];
                run.erase("timestamp");
            }
            props["autoScaleRun"] = run;
        }
    } else {
        props["scaleSettings"]["fixedScale"] = {
            {"targetDedicatedNodes", p.target_dedicated},
            {"targetLowPriorityNodes", p.target_low},
            {"resizeTimeout", FormatIsoDuration(p.resize_timeout)}};
    }
    props["interNodeCommunication"] =
        dp.value("enableInterNodeCommunication", false) ? "Enabled" : "Disabled";
    for (const char* k :
         {"networkConfiguration", "taskSlotsPerNode", "taskSchedulingPolicy", "userAccounts",
          "metadata", "startTask", "mountConfiguration", "upgradePolicy"})
        if (dp.contains(k)) props[k] = dp[k];
    if (dp.contains("applicationPackageReferences")) {
        Json refs = Json::array();
        for (auto ref : dp["applicationPackageReferences"]) {
            ref["id"] = ref.value("applicationId", "");
            ref.erase("applicationId");
            refs.push_back(ref);
        }
        props["applicationPackages"] = refs;
    }
    // ResourceOperationStatus: the running resize while Resizing, else the last one; errors
    // only when Steady [BM #/definitions/ResizeOperationStatus].
    if (!p.auto_scale) {
        Json status = {{"targetDedicatedNodes", p.target_dedicated},
                       {"targetLowPriorityNodes", p.target_low},
                       {"resizeTimeout", FormatIsoDuration(p.resize_timeout)},
                       {"startTime", FormatIso(p.resize_start)}};
        if (dp.contains("resizeErrors")) status["errors"] = dp["resizeErrors"];
        props["resizeOperationStatus"] = status;
    }
    RenameDeep(props, false);
    SpellDeep(props, "");
    // ArmSpelling leaves a value it does not know (an extension's `type`) as given.
    Json out = {{"id", account_id + "/pools/" + p.id},
                {"name", p.id},
                {"type", "Microsoft.Batch/batchAccounts/pools"},
                {"etag", "W/\"" + p.etag + "\""},
                {"properties", props}};
    if (p.spec.contains("identity") && p.spec["identity"].is_object()) {
        Json ids = Json::object();
        for (const auto& i : p.spec["identity"].value("userAssignedIdentities", Json::array()))
            ids[i.value("resourceId", "")] = {{"principalId", i.value("principalId", "")},
                                              {"clientId", i.value("clientId", "")}};
        out["identity"] = {{"type", "UserAssigned"}, {"userAssignedIdentities", ids}};
    }
    (void)a;
    return out;
}

Reply Simulator::ArmPoolInner(Ctx& c, Account& a, const std::string& id, const std::string& action,
                              const std::string& method, const Json& body) {
    http::Request req = c.req;
    req.body() = body.is_null() ? std::string() : body.dump();
    req.erase("If-Match");
    req.erase("If-None-Match");
    Ctx inner(req);
    inner.method = method;
    inner.path = c.path;
    inner.query = {{"api-version", "2025-06-01.21.0"}};
    inner.host = c.host;
    inner.scheme = c.scheme;
    inner.auth_kind = c.auth_kind;
    inner.request_id = c.request_id;
    inner.now = c.now;
    const std::string base = c.Base() + "/batch/" + a.name;
    if (method == "POST" && action.empty()) return AddPool(inner, a, body, base);
    return BatchPool(inner, a, id, action, base);
}

Reply Simulator::ArmPools(Ctx& c, Account& a, const std::string& account_id,
                          const std::vector<std::string>& seg) {
    auto ok_pool = [&](const Pool& p) {
        Reply r = MakeJson(200, ArmPoolJson(a, p, account_id));
        r.response.set(bhttp::field::etag, "W/\"" + p.etag + "\"");
        return r;
    };
    auto find = [&](const std::string& name) -> Pool* {
        auto it = a.pools.find(ToLower(name));
        return it == a.pools.end() ? nullptr : &it->second;
    };
    auto not_found = [&](const std::string& name) {
        return ArmPoolError(c, 404, "ResourceNotFound",
                            "The Resource 'Microsoft.Batch/batchAccounts/" + a.name + "/pools/" +
                                name + "' under resource group '" + a.resource_group +
                                "' was not found.");
    };
    auto precondition = [&]() {
        // guess: ARM answers a failed If-Match / If-None-Match with 412 PreconditionFailed.
        return ArmPoolError(c, 412, "PreconditionFailed",
                            "The condition specified using HTTP conditional header(s) is not met.");
    };
    // Delete LRO status: 202 while the pool is being deleted, then 200 [BMx/PoolDelete.json].
    if (seg.size() == 10 && Ieq(seg[8], "poolOperationResults") && c.method == "GET") {
        const std::string name = seg[9].rfind("delete-", 0) == 0 ? seg[9].substr(7) : seg[9];
        if (find(name) != nullptr) {
            Reply r = MakeEmpty(202);
            r.response.set(bhttp::field::location, c.Base() + std::string(c.req.target()));
            r.response.set(bhttp::field::retry_after, std::to_string(options_.lro_retry_after));
            return r;
        }
        return MakeEmpty(200);
    }
    if (!Ieq(seg[8], "pools")) return ArmPoolError(c, 404, "NotFound", "No route for " + c.path);
    if (seg.size() == 9) {  // Pool_ListByBatchAccount
        if (c.method != "GET")
            return ArmPoolError(c, 405, "MethodNotAllowed",
                                "The requested method is not supported.");
        int max = 1000;
        if (c.Has("maxresults")) max = std::max(1, std::atoi(c.Q("maxresults").c_str()));
        std::size_t skip = 0;
        if (c.Has("$skiptoken"))
            skip = static_cast<std::size_t>(std::strtoul(c.Q("$skiptoken").c_str(), nullptr, 10));
        const std::string select = c.Q("$select");
        Json value = Json::array();
        std::size_t i = 0;
        for (const auto& [k, p] : a.pools) {
            if (i++ < skip) continue;
            if (value.size() >= static_cast<std::size_t>(max)) break;
            Json j = ArmPoolJson(a, p, account_id);
            if (!select.empty()) {
                // $select names top-level properties/... members [BM Pool_ListByBatchAccount].
                Json kept = Json::object();
                std::string list = select + ",";
                for (std::size_t s = 0, e; (e = list.find(',', s)) != std::string::npos;
                     s = e + 1) {
                    std::string item = list.substr(s, e - s);
                    if (item.rfind("properties/", 0) == 0) item = item.substr(11);
                    if (j["properties"].contains(item)) kept[item] = j["properties"][item];
                }
                j["properties"] = kept;
            }
            value.push_back(std::move(j));
        }
        Json body = {{"value", value}};
        if (skip + value.size() < a.pools.size()) {
            std::string link = c.Base() + account_id +
                               "/pools?api-version=" + PercentEncode(c.Q("api-version")) +
                               "&maxresults=" + std::to_string(max);
            if (!select.empty()) link += "&$select=" + PercentEncode(select);
            link += "&$skiptoken=" + std::to_string(skip + value.size());
            body["nextLink"] = link;
        }
        return MakeJson(200, body);
    }
    const std::string name = seg[9];
    Pool* p = find(name);
    if (seg.size() == 11 && c.method == "POST") {  // stopResize, disableAutoScale
        if (p == nullptr) return not_found(name);
        std::string action;
        if (Ieq(seg[10], "stopResize")) action = "stopresize";
        if (Ieq(seg[10], "disableAutoScale")) action = "disableautoscale";
        if (action.empty()) return ArmPoolError(c, 404, "NotFound", "No route for " + c.path);
        Reply r = ArmPoolInner(c, a, name, action, "POST", Json::object());
        if (r.response.result_int() >= 400) return AsArmError(c, r);
        return ok_pool(*find(name));
    }
    if (seg.size() != 10)
        return ArmPoolError(c, 404, "NotFound", "No route for " + c.method + " " + c.path);
    const std::string if_match = c.Header("If-Match");
    const std::string if_none = c.Header("If-None-Match");
    if (c.method == "GET") {
        if (p == nullptr) return not_found(name);
        return ok_pool(*p);
    }
    if (c.method == "DELETE") {
        if (p == nullptr) return MakeEmpty(204);
        if (!if_match.empty() && if_match != "*" && StripQuotes(if_match) != p->etag)
            return precondition();
        Reply inner = ArmPoolInner(c, a, name, "", "DELETE", Json());
        if (inner.response.result_int() >= 400) return AsArmError(c, inner);
        Reply r = MakeEmpty(202);
        r.response.set(bhttp::field::location, c.Base() + account_id +
                                                   "/poolOperationResults/delete-" + p->id +
                                                   "?api-version=" + c.Q("api-version"));
        r.response.set(bhttp::field::retry_after, std::to_string(options_.lro_retry_after));
        return r;
    }
    if (c.method != "PUT" && c.method != "PATCH")
        return ArmPoolError(c, 405, "MethodNotAllowed", "The requested method is not supported.");
    Json body = Json::parse(c.req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return ArmPoolError(c, 400, "InvalidRequestContent",
                            "The request content is not valid JSON.");
    Json props = body.value("properties", Json::object());
    if (!props.is_object())
        return ArmPoolError(c, 400, "InvalidRequestContent", "properties must be an object.");
    std::optional<Json> identity;
    if (body.contains("identity")) {
        std::string problem;
        identity = IdentityToBatch(body["identity"], &problem);
        if (!identity) return ArmPoolError(c, 400, "InvalidParameter", problem, Json());
    }
    if (c.method == "PUT" && p == nullptr) {           // Pool_Create
        if (!if_match.empty()) return precondition();  // `*` = only if it exists
        const Json scale = props.value("scaleSettings", Json::object());
        Json dp = PropertiesToBatch(props);
        dp["id"] = name;
        if (scale.contains("autoScale") && scale.contains("fixedScale"))
            return ArmPoolError(c, 400, "InvalidParameter",
                                "fixedScale and autoScale are mutually exclusive.");
        if (scale.contains("autoScale")) {
            const Json& as = scale["autoScale"];
            dp["enableAutoScale"] = true;
            if (as.contains("formula")) dp["autoScaleFormula"] = as["formula"];
            if (as.contains("evaluationInterval"))
                dp["autoScaleEvaluationInterval"] = as["evaluationInterval"];
        } else {
            // No scaleSettings: fixed scale with 0 dedicated nodes [BM
            // #/definitions/ScaleSettings].
            const Json fs = scale.value("fixedScale", Json::object());
            dp["targetDedicatedNodes"] = fs.value("targetDedicatedNodes", 0);
            dp["targetLowPriorityNodes"] = fs.value("targetLowPriorityNodes", 0);
            if (fs.contains("resizeTimeout")) dp["resizeTimeout"] = fs["resizeTimeout"];
        }
        Reply inner = ArmPoolInner(c, a, name, "", "POST", dp);
        if (inner.response.result_int() >= 400) return AsArmError(c, inner);
        Pool* created = find(name);
        if (identity && !identity->is_null()) created->spec["identity"] = *identity;
        return ok_pool(*created);
    }
    if (p == nullptr) return not_found(name);
    if (c.method == "PUT" && if_none == "*") return precondition();  // create only
    if (!if_match.empty() && if_match != "*" && StripQuotes(if_match) != p->etag)
        return precondition();
    // Pool_Update (and PUT on an existing pool): supplied properties are updated.
    const Json scale = props.value("scaleSettings", Json::object());
    Json dp = PropertiesToBatch(props);
    dp.erase("taskSlotsPerNode");
    if (c.method == "PUT" || !dp.empty()) {
        // PUT repeats what cannot change; only send what differs.
        Json current = PoolToJson(*p);
        for (auto it = dp.begin(); it != dp.end();) {
            if (current.contains(it.key()) && current[it.key()] == it.value() &&
                it.key() != "metadata" && it.key() != "startTask")
                it = dp.erase(it);
            else
                ++it;
        }
        dp.erase("id");
        if (!dp.empty()) {
            Reply inner = ArmPoolInner(c, a, name, "", "PATCH", dp);
            if (inner.response.result_int() >= 400) return AsArmError(c, inner);
        }
    }
    if (props.contains("taskSlotsPerNode") &&
        props["taskSlotsPerNode"] != PoolToJson(*p).value("taskSlotsPerNode", Json(1))) {
        Reply inner = ArmPoolInner(c, a, name, "", "PATCH",
                                   {{"taskSlotsPerNode", props["taskSlotsPerNode"]}});
        if (inner.response.result_int() >= 400) return AsArmError(c, inner);
    }
    if (scale.contains("fixedScale")) {
        if (p->auto_scale) {
            Reply inner = ArmPoolInner(c, a, name, "disableautoscale", "POST", Json::object());
            if (inner.response.result_int() >= 400) return AsArmError(c, inner);
        }
        const Json& fs = scale["fixedScale"];
        Json resize = {{"targetDedicatedNodes", fs.value("targetDedicatedNodes", 0)},
                       {"targetLowPriorityNodes", fs.value("targetLowPriorityNodes", 0)}};
        if (fs.contains("resizeTimeout")) resize["resizeTimeout"] = fs["resizeTimeout"];
        if (fs.contains("nodeDeallocationOption"))
            resize["nodeDeallocationOption"] =
                ToLower(fs["nodeDeallocationOption"].get<std::string>());
        Reply inner = ArmPoolInner(c, a, name, "resize", "POST", resize);
        if (inner.response.result_int() >= 400) return AsArmError(c, inner);
    } else if (scale.contains("autoScale")) {
        const Json& as = scale["autoScale"];
        Json enable = {{"autoScaleFormula", as.value("formula", "")}};
        if (as.contains("evaluationInterval"))
            enable["autoScaleEvaluationInterval"] = as["evaluationInterval"];
        Reply inner = ArmPoolInner(c, a, name, "enableautoscale", "POST", enable);
        if (inner.response.result_int() >= 400) return AsArmError(c, inner);
    }
    if (identity) {
        // An identity change applies to nodes allocated later [BM #/definitions/BatchPoolIdentity].
        if (identity->is_null())
            p->spec.erase("identity");
        else
            p->spec["identity"] = *identity;
        p->etag = world_.NextEtag();
    }
    return ok_pool(*find(name));
}

}  // namespace pw::sim
