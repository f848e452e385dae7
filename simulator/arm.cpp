#include <chrono>
#include <cmath>

#include "api_members.hpp"
#include "internal.hpp"

namespace pw::sim {

namespace {

Reply ArmError(const Simulator::Ctx& c, unsigned status, const std::string& code,
               const std::string& message, const std::string& target = {}) {
    Json err = {{"code", code}, {"message", message}};
    if (!target.empty()) err["target"] = target;
    Reply r = MakeJson(status, {{"error", err}});
    r.response.set("x-ms-request-id", c.request_id);
    return r;
}

const std::vector<std::string>& ArmAudiences() {
    static const std::vector<std::string> v = {
        "https://management.azure.com/", "https://management.azure.com",
        "https://management.core.windows.net/", "https://management.core.windows.net"};
    return v;
}

std::string NotFoundMessage(const std::string& type, const std::string& name,
                            const std::string& rg) {
    return "The Resource '" + type + "/" + name + "' under resource group '" + rg +
           "' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix";
}

}  // namespace

std::optional<Reply> Simulator::CheckArmAuth(Ctx& c) {
    const std::string auth = c.Header("Authorization");
    const std::string authority =
        c.Base() + "/" + (world_.tenants.empty() ? "common" : world_.tenants[0].id);
    auto fail = [&](const std::string& code, const std::string& msg) {
        Reply r = ArmError(c, 401, code, msg);
        r.response.set(bhttp::field::www_authenticate,
                       "Bearer authorization_uri=\"" + authority +
                           "\", error=\"invalid_token\", error_description=\"" + msg + "\"");
        return r;
    };
    if (auth.empty()) {
        return fail("AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is missing.");
    }
    if (auth.rfind("Bearer ", 0) != 0) {
        return fail(
            "AuthenticationFailedInvalidHeader",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.");
    }
    auto payload = JwtPayload(auth.substr(7));
    if (!payload || !payload->contains("aud") || !payload->contains("exp")) {
        c.auth_kind = "bearer-invalid";
        return fail("InvalidAuthenticationToken", "The access token is invalid.");
    }
    const std::string aud = payload->value("aud", "");
    if (std::find(ArmAudiences().begin(), ArmAudiences().end(), aud) == ArmAudiences().end()) {
        c.auth_kind = "bearer-invalid";
        return fail(
            "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource '" + aud +
                "'. It should exactly match with one of the allowed audiences "
                "'https://management.core.windows.net/','https://management.core.windows.net',"
                "'https://management.azure.com/','https://management.azure.com'.");
    }
    const double real_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double exp = (*payload)["exp"].get<double>();
    if (exp <= real_now) {
        c.auth_kind = "bearer-invalid";
        return fail("ExpiredAuthenticationToken",
                    "The access token expiry UTC time '" + FormatRfc1123(exp) +
                        "' is earlier than current UTC time '" + FormatRfc1123(real_now) + "'.");
    }
    c.auth_kind = "bearer-arm";
    return std::nullopt;
}

Json Simulator::RenderVersion(const Gallery& g, const ImageDefinition& d, const ImageVersion& v,
                              bool expand, const std::string& api_version) const {
    Json props = v.properties;
    props["publishingProfile"]["targetRegions"] = TargetRegionsJson(v);
    props["publishingProfile"]["publishedDate"] = FormatIso(v.published);
    if (!props.contains("storageProfile") || !props["storageProfile"].is_object()) {
        props["storageProfile"] = Json::object();
    }
    Json& safety = props["safetyProfile"];
    if (!safety.is_object()) safety = Json::object();
    if (!safety.contains("allowDeletionOfReplicatedLocations")) {
        safety["allowDeletionOfReplicatedLocations"] = true;
    }
    if (!safety.contains("reportedForPolicyViolation"))
        safety["reportedForPolicyViolation"] = false;
    if (!safety.contains("blockDeletionBeforeEndOfLife"))
        safety["blockDeletionBeforeEndOfLife"] = false;
    Json& storage = props["storageProfile"];
    if (!storage.contains("osDiskImage")) {
        storage["osDiskImage"] = {{"sizeInGB", 30}, {"hostCaching", "ReadOnly"}};
    }
    props["provisioningState"] = v.provisioning_state;
    if (expand) {
        Json summary = Json::array();
        bool all = true;
        for (const auto& r : v.regions) {
            const bool done = r.ready >= r.count;
            all = all && done;
            const int progress = r.count == 0
                                     ? 100
                                     : static_cast<int>(std::floor(
                                           100.0 * std::min<double>(r.ready, r.count) / r.count));
            summary.push_back({{"region", r.name},
                               {"state", done ? "Completed" : "Replicating"},
                               {"details", ""},
                               {"progress", progress}});
        }
        props["replicationStatus"] = {{"aggregatedState", all ? "Completed" : "InProgress"},
                                      {"summary", summary}};
    }
    Json out = {{"id", VersionId(g, d, v)},
                {"name", v.name},
                {"type", "Microsoft.Compute/galleries/images/versions"},
                {"location", v.location},
                {"properties", props}};
    if (!v.tags.is_null()) out["tags"] = v.tags;
    DropUndefinedMembers(out, GalleryImageVersionMembers(), api_version);
    return out;
}

long long Simulator::ArmBucket::Take(std::chrono::steady_clock::time_point now) {
    if (last != std::chrono::steady_clock::time_point{} && now > last)
        tokens = std::min(size, tokens + rate * std::chrono::duration<double>(now - last).count());
    last = now;
    tokens = std::max(0.0, tokens - 1);
    return static_cast<long long>(tokens);
}

Reply Simulator::Arm(Ctx& c) {
    const auto seg = SplitPath(c.path);
    if (auto denied = CheckArmAuth(c)) return *denied;
    const bool write = c.method != "GET" && c.method != "HEAD";
    auto finish = [&](Reply r) {
        const auto now = std::chrono::steady_clock::now();
        if (write) {
            r.response.set("x-ms-ratelimit-remaining-subscription-writes",
                           std::to_string(arm_writes_.Take(now)));
        } else {
            r.response.set("x-ms-ratelimit-remaining-subscription-reads",
                           std::to_string(arm_reads_.Take(now)));
        }
        r.response.set("x-ms-request-id", c.request_id);
        r.response.set("x-ms-correlation-request-id", c.request_id);
        return r;
    };
    if (!c.Has("api-version")) {
        return finish(ArmError(
            c, 400, "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests."));
    }
    auto sub_json = [&](const std::string& id, const std::string& tenant) {
        return Json{{"id", "/subscriptions/" + id},
                    {"authorizationSource", "RoleBased"},
                    {"subscriptionId", id},
                    {"tenantId", tenant},
                    {"displayName", "poolwarden-sim " + id.substr(0, 8)},
                    {"state", "Enabled"},
                    {"subscriptionPolicies",
                     {{"locationPlacementId", "Public_2014-09-01"},
                      {"quotaId", "PayAsYouGo_2014-09-01"},
                      {"spendingLimit", "Off"}}}};
    };
    if (seg.size() == 1 && Ieq(seg[0], "tenants") && c.method == "GET") {
        Json arr = Json::array();
        for (const auto& t : world_.tenants) {
            arr.push_back({{"id", "/tenants/" + t.id},
                           {"tenantId", t.id},
                           {"tenantCategory", "Home"},
                           {"displayName", "poolwarden-sim"}});
        }
        return finish(MakeJson(200, {{"value", arr}}));
    }
    if (seg.size() == 1 && c.method == "GET") {
        Json arr = Json::array();
        for (const auto& [id, tenant] : world_.subscriptions) arr.push_back(sub_json(id, tenant));
        return finish(MakeJson(200, {{"value", arr}}));
    }
    if (seg.size() < 2) return finish(ArmError(c, 404, "NotFound", "No route for " + c.path));
    const std::string sub = ToLower(seg[1]);
    if (world_.subscriptions.count(sub) == 0U) {
        return finish(ArmError(c, 404, "SubscriptionNotFound",
                               "The subscription '" + seg[1] + "' could not be found."));
    }
    if (seg.size() == 2 && c.method == "GET") {
        return finish(MakeJson(200, sub_json(sub, world_.subscriptions[sub])));
    }
    // /subscriptions/{s}/providers/{namespace} (Providers_Get): the provider object
    // {id, namespace, registrationState, registrationPolicy, resourceTypes} [contract §12, RPx];
    // registrationState from the world (Registered unless set), resourceTypes left empty.
    if (seg.size() == 4 && Ieq(seg[2], "providers") && c.method == "GET") {
        std::string state = "Registered";
        if (auto it = world_.provider_states.find(sub); it != world_.provider_states.end())
            if (auto p = it->second.find(ToLower(seg[3])); p != it->second.end()) state = p->second;
        return finish(MakeJson(200, {{"id", "/subscriptions/" + sub + "/providers/" + seg[3]},
                                     {"namespace", seg[3]},
                                     {"registrationState", state},
                                     {"registrationPolicy", "RegistrationRequired"},
                                     {"resourceTypes", Json::array()}}));
    }
    // /subscriptions/{s}/providers/Microsoft.Batch/locations/{l}/virtualMachineSkus
    // [BM Location_ListSupportedVirtualMachineSkus]: one page here (nextLink optional).
    if (seg.size() == 7 && Ieq(seg[2], "providers") && Ieq(seg[3], "Microsoft.Batch") &&
        Ieq(seg[4], "locations") && Ieq(seg[6], "virtualMachineSkus") && c.method == "GET") {
        return finish(MakeJson(200, {{"value", World::SupportedSkusJson()}}));
    }
    // /subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}
    if (seg.size() == 8 && Ieq(seg[2], "providers") && Ieq(seg[3], "Microsoft.Compute") &&
        Ieq(seg[4], "locations") && Ieq(seg[6], "operations")) {
        return finish(ArmOperation(c, seg[7]));
    }
    if (seg.size() < 6 || !Ieq(seg[2], "resourceGroups") || !Ieq(seg[4], "providers")) {
        return finish(ArmError(c, 404, "NotFound", "No route for " + c.path));
    }
    const std::string rg = seg[3];
    const std::string rg_key = sub + "/" + ToLower(rg);
    if (std::find(world_.resource_groups.begin(), world_.resource_groups.end(), rg_key) ==
        world_.resource_groups.end()) {
        return finish(ArmError(c, 404, "ResourceGroupNotFound",
                               "Resource group '" + rg + "' could not be found."));
    }
    const std::string provider = ToLower(seg[5]);
    if (provider == "microsoft.batch" && seg.size() >= 8 && Ieq(seg[6], "batchAccounts")) {
        auto it = world_.accounts.find(ToLower(seg[7]));
        if (it == world_.accounts.end() || ToLower(it->second.subscription) != sub ||
            !Ieq(it->second.resource_group, rg)) {
            return finish(ArmError(c, 404, "ResourceNotFound",
                                   NotFoundMessage("Microsoft.Batch/batchAccounts", seg[7], rg)));
        }
        Account& a = it->second;
        const std::string id = "/subscriptions/" + a.subscription + "/resourceGroups/" +
                               a.resource_group + "/providers/Microsoft.Batch/batchAccounts/" +
                               a.name;
        if (seg.size() >= 9 && (Ieq(seg[8], "pools") || Ieq(seg[8], "poolOperationResults")))
            return finish(ArmPools(c, a, id, seg));
        if (seg.size() == 8 && c.method == "GET") {
            return finish(
                MakeJson(200, {{"id", id},
                               {"name", a.name},
                               {"type", "Microsoft.Batch/batchAccounts"},
                               {"location", a.location},
                               {"identity", {{"type", "None"}}},
                               {"properties",
                                {{"accountEndpoint", c.host + "/batch/" + a.name},
                                 {"nodeManagementEndpoint",
                                  a.name + ".nodemanagement." + a.location + ".simulated"},
                                 {"provisioningState", "Succeeded"},
                                 {"poolAllocationMode", a.allocation_mode},
                                 {"dedicatedCoreQuota", a.dedicated_quota},
                                 {"dedicatedCoreQuotaPerVMFamily", FamilyQuotasJson(a)},
                                 {"dedicatedCoreQuotaPerVMFamilyEnforced", a.family_quota_enforced},
                                 {"lowPriorityCoreQuota", a.low_quota},
                                 {"poolQuota", a.pool_quota},
                                 {"activeJobAndJobScheduleQuota", 300},
                                 {"publicNetworkAccess", "Enabled"},
                                 {"encryption", {{"keySource", "Microsoft.Batch"}}},
                                 {"allowedAuthenticationModes",
                                  {"SharedKey", "AAD", "TaskAuthenticationToken"}}}}}));
        }
        if (seg.size() == 9 && Ieq(seg[8], "listKeys") && c.method == "POST") {
            return finish(MakeJson(200, {{"accountName", a.name},
                                         {"primary", a.primary_key},
                                         {"secondary", a.secondary_key}}));
        }
        return finish(
            ArmError(c, 405, "MethodNotAllowed", "The requested method is not supported."));
    }
    if (provider == "microsoft.compute" && seg.size() >= 8 && Ieq(seg[6], "galleries")) {
        const std::string gkey = sub + "/" + ToLower(rg) + "/" + ToLower(seg[7]);
        auto git = world_.galleries.find(gkey);
        if (git == world_.galleries.end()) {
            if (seg.size() == 8) {
                return finish(ArmError(c, 404, "ResourceNotFound",
                                       NotFoundMessage("Microsoft.Compute/galleries", seg[7], rg)));
            }
            return finish(ArmError(
                c, 404, "ParentResourceNotFound",
                "Can not perform requested operation on nested resource. Parent resource '" +
                    seg[7] + "' not found."));
        }
        Gallery& g = git->second;
        const std::string gid = "/subscriptions/" + g.subscription + "/resourceGroups/" +
                                g.resource_group + "/providers/Microsoft.Compute/galleries/" +
                                g.name;
        if (seg.size() == 8 && c.method == "GET") {
            return finish(MakeJson(
                200, {{"id", gid},
                      {"name", g.name},
                      {"type", "Microsoft.Compute/galleries"},
                      {"location", g.location},
                      {"properties",
                       {{"identifier", {{"uniqueName", g.subscription + "-" + ToLower(g.name)}}},
                        {"provisioningState", "Succeeded"}}}}));
        }
        if (seg.size() >= 10 && Ieq(seg[8], "images")) {
            auto iit = g.images.find(ToLower(seg[9]));
            if (iit == g.images.end()) {
                if (seg.size() == 10) {
                    return finish(ArmError(
                        c, 404, "ResourceNotFound",
                        NotFoundMessage("Microsoft.Compute/galleries/" + g.name + "/images", seg[9],
                                        rg)));
                }
                return finish(ArmError(
                    c, 404, "ParentResourceNotFound",
                    "Can not perform requested operation on nested resource. Parent resource '" +
                        g.name + "/" + seg[9] + "' not found."));
            }
            ImageDefinition& d = iit->second;
            if (seg.size() == 10 && c.method == "GET") {
                Json props = d.properties;
                props["provisioningState"] = "Succeeded";
                Json image = {{"id", gid + "/images/" + d.name},
                              {"name", d.name},
                              {"type", "Microsoft.Compute/galleries/images"},
                              {"location", d.location},
                              {"properties", props}};
                DropUndefinedMembers(image, GalleryImageMembers(), c.Q("api-version"));
                return finish(MakeJson(200, image));
            }
            if (seg.size() == 11 && Ieq(seg[10], "versions") && c.method == "GET") {
                // GalleryImageVersions_ListByGalleryImage is x-ms-pageable with nextLinkName
                // "nextLink" (gallery.json 2023-07-03); the page size here is the model's
                // listPageSize (ARM does not state its own).
                const std::size_t page =
                    static_cast<std::size_t>(std::max(1, world_.model.list_page_size));
                std::size_t skip = 0;
                if (c.Has("$skiptoken"))
                    skip = static_cast<std::size_t>(
                        std::strtoul(c.Q("$skiptoken").c_str(), nullptr, 10));
                Json arr = Json::array();
                std::size_t i = 0;
                for (const auto& [k, v] : d.versions) {
                    if (i++ >= skip && arr.size() < page)
                        arr.push_back(RenderVersion(g, d, v, false, c.Q("api-version")));
                }
                Json body = {{"value", arr}};
                if (skip + arr.size() < d.versions.size()) {
                    body["nextLink"] = c.Base() + c.path +
                                       "?api-version=" + PercentEncode(c.Q("api-version")) +
                                       "&$skiptoken=" + std::to_string(skip + arr.size());
                }
                return finish(MakeJson(200, body));
            }
            if (seg.size() == 12 && Ieq(seg[10], "versions")) {
                return finish(ArmVersion(c, g, d, seg[11]));
            }
        }
    }
    return finish(ArmError(c, 404, "NotFound", "No route for " + c.method + " " + c.path));
}

Reply Simulator::ArmVersion(Ctx& c, Gallery& g, ImageDefinition& d, const std::string& name) {
    auto vit = d.versions.find(ToLower(name));
    const std::string rg = g.resource_group;
    if (c.method == "GET") {
        if (vit == d.versions.end()) {
            return ArmError(c, 404, "ResourceNotFound",
                            NotFoundMessage("Microsoft.Compute/galleries/" + g.name + "/images/" +
                                                d.name + "/versions",
                                            name, rg));
        }
        if (vit->second.unreadable) {
            // A caller without read permission on the version: ARM's 403 AuthorizationFailed
            // (guess: code and wording as ARM answers role-based access denials; not in the
            // contract).
            return ArmError(c, 403, "AuthorizationFailed",
                            "The client does not have authorization to perform action "
                            "'Microsoft.Compute/galleries/images/versions/read' over scope '" +
                                VersionId(g, d, vit->second) +
                                "' or the scope is invalid. If access was recently granted, "
                                "please refresh your credentials.");
        }
        const bool expand = Ieq(c.Q("$expand"), "ReplicationStatus");
        return MakeJson(200, RenderVersion(g, d, vit->second, expand, c.Q("api-version")));
    }
    if (c.method != "PATCH" && c.method != "PUT") {
        return ArmError(c, 405, "MethodNotAllowed", "The requested method is not supported.");
    }
    Json body = Json::parse(c.req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        return ArmError(c, 400, "InvalidRequestContent",
                        "The request content was invalid and could not be deserialized.");
    }
    const bool create = vit == d.versions.end();
    if (create && c.method == "PATCH") {
        return ArmError(c, 404, "ResourceNotFound",
                        NotFoundMessage("Microsoft.Compute/galleries/" + g.name + "/images/" +
                                            d.name + "/versions",
                                        name, rg));
    }
    if (c.method == "PUT") {
        if (!body.contains("location") || !body["location"].is_string()) {
            return ArmError(c, 400, "LocationRequired",
                            "The location property is required for this definition.");
        }
        const Json sp =
            body.value("properties", Json::object()).value("storageProfile", Json::object());
        if (create && !sp.contains("source") && !sp.contains("osDiskImage")) {
            return ArmError(c, 400, "InvalidParameter",
                            "Required parameter 'source' is missing (null).",
                            "galleryImageVersion.properties.storageProfile.source");
        }
    }
    ImageVersion next = create ? ImageVersion{} : vit->second;
    if (create) {
        next.name = name;
        next.location = body["location"].get<std::string>();
        next.published = c.now;
        next.properties = Json::object();
        next.properties["publishingProfile"] = {{"replicaCount", 1},
                                                {"storageAccountType", "Standard_LRS"},
                                                {"excludeFromLatest", false}};
    }
    const Json props = body.value("properties", Json::object());
    const Json pp = props.value("publishingProfile", Json::object());
    Json& cur_pp = next.properties["publishingProfile"];
    const std::string target = "galleryImageVersion.properties.publishingProfile";
    if (!create) {
        if (pp.contains("storageAccountType") &&
            pp["storageAccountType"] != cur_pp.value("storageAccountType", Json("Standard_LRS"))) {
            return ArmError(c, 400, "PropertyChangeNotAllowed",
                            "Changing property 'storageAccountType' is not allowed.",
                            target + ".storageAccountType");
        }
        if (pp.contains("replicationMode") &&
            pp["replicationMode"] != cur_pp.value("replicationMode", Json("Full"))) {
            return ArmError(c, 400, "PropertyChangeNotAllowed",
                            "Changing property 'replicationMode' is not allowed.",
                            target + ".replicationMode");
        }
    } else {
        if (pp.contains("storageAccountType"))
            cur_pp["storageAccountType"] = pp["storageAccountType"];
        if (pp.contains("replicationMode")) cur_pp["replicationMode"] = pp["replicationMode"];
    }
    if (pp.contains("replicaCount")) {
        if (!pp["replicaCount"].is_number_integer() || pp["replicaCount"].get<int>() < 1) {
            return ArmError(c, 400, "InvalidParameter",
                            "The value of parameter replicaCount is invalid.",
                            target + ".replicaCount");
        }
        cur_pp["replicaCount"] = pp["replicaCount"];
    }
    for (const char* k : {"excludeFromLatest", "endOfLifeDate", "targetExtendedLocations"}) {
        if (pp.contains(k)) cur_pp[k] = pp[k];
    }
    const int default_count = cur_pp.value("replicaCount", 1);
    const std::string default_sat = cur_pp.value("storageAccountType", "Standard_LRS");
    if (pp.contains("targetRegions") || create) {
        Json regions = pp.value("targetRegions", Json::array());
        if (!regions.is_array()) {
            return ArmError(c, 400, "InvalidParameter", "targetRegions must be an array.",
                            target + ".targetRegions");
        }
        std::vector<TargetRegion> out;
        int total = 0;
        for (const auto& tr : regions) {
            if (!tr.is_object() || !tr.contains("name") || !tr["name"].is_string()) {
                return ArmError(c, 400, "InvalidParameter",
                                "Required parameter 'name' is missing (null).",
                                target + ".targetRegions.name");
            }
            TargetRegion r;
            r.name = tr["name"].get<std::string>();
            const std::string norm = NormalizeRegion(r.name);
            for (const auto& o : out) {
                if (NormalizeRegion(o.name) == norm) {
                    return ArmError(c, 400, "InvalidParameter",
                                    "Target region '" + r.name + "' is specified more than once.",
                                    target + ".targetRegions");
                }
            }
            const TargetRegion* existing = nullptr;
            for (const auto& e : next.regions) {
                if (NormalizeRegion(e.name) == norm) existing = &e;
            }
            if (tr.contains("regionalReplicaCount")) {
                if (!tr["regionalReplicaCount"].is_number_integer() ||
                    tr["regionalReplicaCount"].get<int>() < 1) {
                    return ArmError(c, 400, "InvalidParameter",
                                    "The value of parameter regionalReplicaCount is invalid.",
                                    target + ".targetRegions.regionalReplicaCount");
                }
                r.count = tr["regionalReplicaCount"].get<int>();
            } else {
                r.count = default_count;
            }
            if (existing != nullptr) {
                if (tr.contains("storageAccountType") &&
                    tr["storageAccountType"].get<std::string>() != existing->storage_account_type) {
                    return ArmError(
                        c, 400, "PropertyChangeNotAllowed",
                        "Changing property 'targetRegions.storageAccountType' of region '" +
                            r.name + "' is not allowed.",
                        target + ".targetRegions.storageAccountType");
                }
                r.storage_account_type = existing->storage_account_type;
                r.ready = std::min<double>(existing->ready, r.count);
                r.extra = existing->extra;
                r.name = existing->name;
            } else {
                r.storage_account_type = tr.value("storageAccountType", default_sat);
                r.ready = 0;
            }
            for (const auto& [k, val] : tr.items()) {
                if (k != "name" && k != "regionalReplicaCount" && k != "storageAccountType")
                    r.extra[k] = val;
            }
            total += r.count;
            out.push_back(r);
        }
        if (out.empty()) {
            TargetRegion r;
            r.name = next.location;
            r.count = default_count;
            r.storage_account_type = default_sat;
            out.push_back(r);
            total += r.count;
        }
        if (total > 100) {
            return ArmError(
                c, 400, "InvalidParameter",
                "The total replica count of a gallery image version cannot exceed 100; requested " +
                    std::to_string(total) + ".",
                target + ".targetRegions");
        }
        const std::string home = NormalizeRegion(next.location);
        if (std::none_of(out.begin(), out.end(),
                         [&](const TargetRegion& r) { return NormalizeRegion(r.name) == home; })) {
            return ArmError(c, 400, "InvalidParameter",
                            "The gallery image version's location '" + next.location +
                                "' must be one of its target regions.",
                            target + ".targetRegions");
        }
        const bool allow_delete = next.properties.value("safetyProfile", Json::object())
                                      .value("allowDeletionOfReplicatedLocations", true);
        for (const auto& e : next.regions) {
            const bool kept = std::any_of(out.begin(), out.end(), [&](const TargetRegion& r) {
                return NormalizeRegion(r.name) == NormalizeRegion(e.name);
            });
            if (!kept && !allow_delete) {
                return ArmError(c, 400, "OperationNotAllowed",
                                "Removing replicated region '" + e.name +
                                    "' is not allowed because "
                                    "safetyProfile.allowDeletionOfReplicatedLocations is false.",
                                target + ".targetRegions");
            }
        }
        next.regions = out;
    }
    if (props.contains("storageProfile")) {
        const Json& sp = props["storageProfile"];
        if (create || next.properties.value("storageProfile", Json::object()).empty()) {
            next.properties["storageProfile"] = sp;
        } else if (sp.contains("source") && sp["source"].contains("id") &&
                   ToLower(sp["source"]["id"].get<std::string>()) !=
                       ToLower(next.properties["storageProfile"]
                                   .value("source", Json::object())
                                   .value("id", ""))) {
            return ArmError(c, 400, "PropertyChangeNotAllowed",
                            "Changing property 'storageProfile.source.id' is not allowed.",
                            "galleryImageVersion.properties.storageProfile.source.id");
        }
    }
    if (props.contains("safetyProfile")) {
        for (const auto& [k, val] : props["safetyProfile"].items())
            next.properties["safetyProfile"][k] = val;
    }
    if (body.contains("tags")) next.tags = body["tags"];
    next.provisioning_state = create ? "Creating" : "Updating";
    next.busy_until = c.now + world_.model.lro_seconds;
    d.versions[ToLower(name)] = next;

    Operation op;
    op.id = Uuid(rng_);
    op.resource_url = c.Base() + c.path + "?api-version=" + c.Q("api-version");
    op.version_key = VersionId(g, d, next);
    op.start = c.now;
    op.done_at = next.busy_until;
    operations_[op.id] = op;
    const std::string op_base = c.Base() + "/subscriptions/" + g.subscription +
                                "/providers/Microsoft.Compute/locations/" +
                                NormalizeRegion(next.location) + "/operations/" + op.id;
    Reply r = MakeJson(create ? 201 : 200, RenderVersion(g, d, next, false, c.Q("api-version")));
    r.response.set("Azure-AsyncOperation", op_base + "?api-version=" + c.Q("api-version"));
    r.response.set(bhttp::field::location,
                   op_base + "?monitor=true&api-version=" + c.Q("api-version"));
    r.response.set(bhttp::field::retry_after, std::to_string(options_.lro_retry_after));
    return r;
}

Reply Simulator::ArmOperation(Ctx& c, const std::string& op_id) {
    auto it = operations_.find(op_id);
    if (it == operations_.end() || c.method != "GET") {
        return ArmError(c, 404, "NotFound", "The operation '" + op_id + "' was not found.");
    }
    const Operation& op = it->second;
    ImageVersion* v = world_.FindVersionById(op.version_key);
    const bool done = c.now >= op.done_at;
    const bool failed = v == nullptr;
    if (Ieq(c.Q("monitor"), "true")) {
        if (!done) {
            Reply r = MakeEmpty(202);
            r.response.set(bhttp::field::location, c.Base() + std::string(c.req.target()));
            r.response.set(bhttp::field::retry_after, std::to_string(options_.lro_retry_after));
            return r;
        }
        if (failed) return MakeEmpty(204);
        for (const auto& [gk, g] : world_.galleries) {
            for (const auto& [dk, d] : g.images) {
                for (const auto& [vk, ver] : d.versions) {
                    if (&ver == v)
                        return MakeJson(200, RenderVersion(g, d, ver, false, c.Q("api-version")));
                }
            }
        }
        return MakeEmpty(204);
    }
    Json body = {{"name", op.id}, {"startTime", FormatIso(op.start)}};
    if (!done) {
        body["status"] = "InProgress";
    } else if (failed) {
        body["status"] = "Failed";
        body["endTime"] = FormatIso(op.done_at);
        body["error"] = {{"code", "ResourceNotFound"},
                         {"message", "The image version was deleted."}};
    } else {
        body["status"] = "Succeeded";
        body["endTime"] = FormatIso(op.done_at);
    }
    Reply r = MakeJson(200, body);
    if (!done) r.response.set(bhttp::field::retry_after, std::to_string(options_.lro_retry_after));
    return r;
}

}  // namespace pw::sim
