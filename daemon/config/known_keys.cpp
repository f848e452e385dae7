#include "config/known_keys.hpp"

#include "model/pool_fields.hpp"

namespace pw::config {

namespace {
std::vector<std::string_view> WithTable(std::vector<std::string_view> keys,
                                        const model::ObjectSpec& table) {
    for (const auto& f : table.fields) keys.push_back(f.key);
    return keys;
}
}  // namespace

const std::map<std::string, std::vector<std::string_view>>& KnownKeys() {
    static const std::map<std::string, std::vector<std::string_view>> keys = {
        {"daemon",
         {"cloud", "auth", "tls", "accounts", "reconcile", "limits", "policy", "quota", "prune",
          "rollout", "poolsDir", "listen", "leaderElection"}},
        {"daemon.cloud",
         {"resourceManager", "authorityHost", "batchResource", "managementResource",
          "imdsEndpoint"}},
        {"daemon.auth",
         {"method", "tenantId", "clientId", "clientSecretFile", "federatedTokenFile"}},
        {"daemon.tls", {"caFile"}},
        {"daemon.listen", {"address", "maxConnections"}},
        {"daemon.accounts[]",
         {"name", "subscriptionId", "resourceGroup", "accountName", "endpoint", "location",
          "poolApi"}},
        {"daemon.reconcile", {"interval", "concurrency"}},
        {"daemon.limits", {"armReads", "armWrites", "batch"}},
        {"daemon.limits.bucket", {"burst", "perSecond"}},
        {"daemon.policy",
         {"vmsPerReplica", "resizeTimeoutPer1000Vms", "maxReplicasPerRegion", "extraReplicas",
          "lowerReplicas"}},
        {"daemon.quota", {"partialGrowth"}},
        {"daemon.leaderElection",
         {"enabled", "blobUrl", "leaseDuration", "renewEvery", "identity"}},
        {"daemon.prune", {"mode", "graceMinutes"}},
        {"daemon.rollout", {"groups"}},
        {"daemon.rollout.groups.*", {"maxUnavailable", "canary", "healthGate"}},
        {"daemon.rollout.groups.*.healthGate",
         {"minReadyPercent", "maxStartTaskFailedPercent", "timeout"}},
        {"poolFile", {"pools"}},
        {"pool", WithTable({"id", "account", "vmSize", "image", "nodeAgentSkuId", "scale",
                            "resizeTimeout", "nodeDeallocationOption", "taskSlotsPerNode",
                            "startTask", "metadata", "adopt", "updatePolicy", "identity"},
                           model::PoolFields())},
        {"pool.updatePolicy",
         {"strategy", "drain", "maintenanceWindows", "rolloutGroup", "paused"}},
        {"pool.updatePolicy.drain", {"nodeDeallocationOption", "timeout", "onTimeout"}},
        {"pool.updatePolicy.maintenanceWindows[]", {"days", "start", "duration"}},
        {"pool.identity", {"type", "userAssignedIdentities"}},
        {"pool.scale", {"targetDedicatedNodes", "targetLowPriorityNodes", "autoScale"}},
        {"pool.scale.autoScale", {"formula", "evaluationInterval", "maxNodes"}},
        {"pool.startTask", WithTable({"commandLine", "waitForSuccess", "elevated",
                                      "maxTaskRetryCount", "environment"},
                                     model::StartTaskFields())},
    };
    return keys;
}

const std::map<std::string, std::vector<std::string_view>>& KnownEnums() {
    static const std::map<std::string, std::vector<std::string_view>> enums = {
        {"auth.method", {"managedIdentity", "clientSecret", "workloadIdentity"}},
        {"cloud", {"AzurePublicCloud", "AzureUSGovernment", "AzureChinaCloud"}},
        {"nodeDeallocationOption", {"requeue", "terminate", "taskcompletion", "retaineddata"}},
        {"prune.mode", {"orphan", "delete"}},
        {"updatePolicy.strategy", {"manual", "drainAndSwap"}},
        {"updatePolicy.drain.onTimeout", {"requeue", "terminate"}},
        {"poolApi", {"batch", "arm"}},
        {"identity.type", {"UserAssigned"}},
    };
    return enums;
}

}  // namespace pw::config
