#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util.hpp"

/// The simulated Azure world (tenants, galleries, Batch accounts, pools) and its evolution in
/// simulated time: image replication and pool allocation.
namespace pw::sim {

/// An app registration that can get tokens with a secret (or a client assertion if federated).
struct Client {
    std::string client_id;
    std::string secret;
    std::string object_id;
    bool federated = false;
};

/// An Entra ID tenant and its registered clients.
struct Tenant {
    std::string id;
    std::vector<Client> clients;
};

/// The identity that IMDS hands out tokens for.
struct ManagedIdentity {
    std::string client_id;
    std::string object_id;
    std::string tenant_id;
};

/// One target region of an image version; `ready` replicas have finished replicating.
struct TargetRegion {
    std::string name;
    int count = 1;
    std::string storage_account_type = "Standard_LRS";
    double ready = 0;
    Json extra = Json::object();  ///< encryption, excludeFromLatest: passed through
};

/// A gallery image version; `properties` holds everything except targetRegions and state.
struct ImageVersion {
    std::string name;
    std::string location;
    Json tags;
    Json properties = Json::object();
    std::vector<TargetRegion> regions;
    std::string provisioning_state = "Succeeded";
    double busy_until = 0;
    double published = 0;
    /// The caller may not read it: its GET answers 403 AuthorizationFailed (world file:
    /// `"unreadable": true` on the version).
    bool unreadable = false;
};

/// A gallery image definition (osType, osState, hyperVGeneration in `properties`).
struct ImageDefinition {
    std::string name;
    std::string location;
    Json properties = Json::object();
    std::map<std::string, ImageVersion> versions;  ///< by lower-case name
};

/// An Azure Compute Gallery.
struct Gallery {
    std::string subscription;
    std::string resource_group;
    std::string name;
    std::string location;
    std::map<std::string, ImageDefinition> images;  ///< by lower-case name
};

/// A virtual network that pools may join (`networkConfiguration.subnetId`).
struct VirtualNetwork {
    std::string subscription;
    std::string resource_group;
    std::string name;
    std::string location;              ///< normalized ("eastus")
    std::vector<std::string> subnets;  ///< names as given
};

/// The BatchNodeState values the simulator produces [BS21 `#/definitions/BatchNodeState`].
enum class NodeState : std::uint8_t {
    kCreating,
    kStarting,
    kWaitingForStartTask,
    kIdle,
    kRunning,
    kStartTaskFailed,
    kUnusable,
    kLeavingPool,
};
/// The wire name of a node state ("waitingforstarttask").
const char* NodeStateName(NodeState s);

/// Compute nodes of one pool that share state, image, size, priority and timer. The simulator
/// stores counts, never one object per node (10 000 pools x 3000 nodes); node ids are generated
/// when listing (nodes.cpp).
struct NodeGroup {
    NodeState state = NodeState::kIdle;
    bool dedicated = true;
    int count = 0;
    double since = 0;  ///< entered `state`
    /// When the timed state ends (creating/starting/waitingforstarttask: next state; running:
    /// the work ends; leavingpool: the nodes are gone); 0 for a settled state.
    double until = 0;
    std::string image;    ///< virtualMachineImageId the nodes were created with
    std::string vm_size;  ///< vmSize the nodes were created with
};

/// A Batch pool. `spec` holds the add parameters; the rest is service-maintained state.
struct Pool {
    std::string id;
    Json spec = Json::object();
    std::string state = "active";
    std::string allocation_state = "steady";
    double creation_time = 0;
    double state_time = 0;
    double alloc_time = 0;
    double last_modified = 0;
    std::string etag;
    int target_dedicated = 0;
    int target_low = 0;
    double cur_dedicated = 0;
    double cur_low = 0;
    double resize_timeout = 900;
    double resize_start = 0;
    Json resize_errors = Json::array();
    bool auto_scale = false;
    std::string formula;
    double eval_interval = 900;
    Json autoscale_run;
    double last_enable_autoscale = -1e18;
    double delete_at = 0;
    double stop_at = 0;
    /// The pool's nodes; their total per priority is floor(cur_dedicated) / floor(cur_low).
    std::vector<NodeGroup> nodes;
    /// nodeDeallocationOption of the current (last) resize [BS21
    /// `#/definitions/BatchNodeDeallocationOption`], default requeue.
    std::string deallocation = "requeue";
    /// The earliest `until` of the node groups, 0 when no group has a timer (StepNodes skips the
    /// pool until then).
    double node_timer = 0;
    /// Nodes of a start-task-fault image that finished starting (the fault share counter).
    std::uint64_t fault_starts = 0;
};

/// Admin fault: nodes created with `image` end their start in `starttaskfailed`, `share` of
/// them, deterministically (node n of a pool fails when floor(n*share) grows).
struct StartTaskFault {
    std::string image;  ///< a virtualMachineImageId (case-insensitive) or a bare version name
    double share = 0;
};

/// A Batch account with its keys and pools.
struct Account {
    std::string subscription;
    std::string resource_group;
    std::string name;
    std::string location;
    std::string allocation_mode = "BatchService";
    std::int64_t dedicated_quota = 20000;
    std::int64_t low_quota = 10000;
    std::int64_t pool_quota = 100;
    /// dedicatedCoreQuotaPerVMFamily: family name as written -> cores.
    std::map<std::string, std::int64_t> family_quotas;
    bool family_quota_enforced = false;  ///< dedicatedCoreQuotaPerVMFamilyEnforced
    std::string primary_key;
    std::string secondary_key;
    std::map<std::string, Pool> pools;  ///< by lower-case id
};

/// Rates of the simulated-time model (all in simulated seconds).
struct ModelParams {
    double replica_seconds = 120;        ///< each added replica in a region takes this long
    double boot_seconds = 180;           ///< first nodes of a resize appear after this
    double per_replica_rate = 0.5;       ///< nodes/s each Completed replica sustains (30/min)
    double pool_rate = 100.0 / 60.0;     ///< nodes/s a single pool can grow at (100/min)
    double shrink_rate = 1000.0 / 60.0;  ///< nodes/s removed when shrinking
    double lro_seconds = 30;             ///< image version PUT/PATCH provisioning time
    double delete_seconds = 60;          ///< a deleting pool disappears after this
    double stop_seconds = 15;            ///< stopping -> steady
    int list_page_size = 50;             ///< items per page of ARM version lists
    double node_creating_seconds = 60;   ///< a new node is `creating` this long
    double node_starting_seconds = 60;   ///< then `starting`
    double start_task_seconds = 30;      ///< then `waitingforstarttask` (pools with a startTask)
    double node_leaving_seconds = 15;    ///< a busy node removed by requeue/terminate leaves
};

/// The whole world. Plain data plus the time-stepping rules.
///
/// Thread safety: none; the simulator serialises every access on one strand.
struct World {
    std::vector<Tenant> tenants;
    std::optional<ManagedIdentity> managed_identity;
    std::map<std::string, std::string> subscriptions;  ///< id (lower) -> tenant id
    /// Resource provider registrationState by subscription id (lower) and namespace (lower);
    /// a provider without an entry is Registered (world file: `subscriptions[].providers`,
    /// e.g. `{"Microsoft.Batch": "NotRegistered"}`).
    std::map<std::string, std::map<std::string, std::string>> provider_states;
    std::vector<std::string> resource_groups;                ///< "sub/rg", lower-case
    std::map<std::string, Gallery> galleries;                ///< "sub/rg/name", lower-case
    std::map<std::string, Account> accounts;                 ///< account name, lower-case
    std::map<std::string, VirtualNetwork> virtual_networks;  ///< "sub/rg/name", lower-case
    ModelParams model;
    std::vector<StartTaskFault> start_task_faults;  ///< admin API /_sim/startTaskFailures
    double now = 0;  ///< the simulated time the world has been advanced to

    /// Parses a world file; throws std::runtime_error naming the offending field.
    static World FromJson(const Json& j, double now);
    Json ToJson() const;

    /// Advances replication and allocation to `t` (no-op when t <= now).
    void AdvanceTo(double t);

    /// The version a virtualMachineImageId names; for a definition id, its latest version in
    /// `region` (normalized; empty: the version-wide excludeFromLatest only).
    const ImageVersion* FindVersionById(const std::string& id,
                                        const std::string& region = {}) const;
    ImageVersion* FindVersionById(const std::string& id, const std::string& region = {});
    const ImageDefinition* FindDefinitionForVersionId(const std::string& id) const;
    /// Why Batch would refuse `subnet_id` for a pool of `account`, or "" when it is usable:
    /// the form /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Network/
    /// virtualNetworks/{n}/subnets/{subnet}, the account's subscription and region, and a
    /// subnet this world holds.
    std::string SubnetProblem(const Account& account, const std::string& subnet_id) const;
    /// Completed replicas of a version in a normalized region name.
    static int CompletedReplicas(const ImageVersion& v, const std::string& region);
    /// Cores of one VM of the given size (small table, else digits in the name, else 1).
    static int CoresFor(const std::string& vm_size);
    /// The SupportedSku[] list Batch serves for every location (vm_skus.cpp).
    static Json SupportedSkusJson();
    /// familyName of a supported size, "" for a size not in the list.
    static std::string FamilyOf(const std::string& vm_size);
    /// vCPUs of a supported size, 0 for a size not in the list.
    static int SkuCores(const std::string& vm_size);
    /// Dedicated cores the account's pools of `family` (FamilyOf) use, but `except_pool`.
    std::int64_t FamilyCoresInUse(const Account& a, const std::string& family,
                                  const std::string& except_pool) const;
    std::int64_t DedicatedCoresInUse(const Account& a, const std::string& except_pool) const;
    std::int64_t LowCoresInUse(const Account& a, const std::string& except_pool) const;
    /// Starts a resize (or initial allocation) of `pool` at `t`.
    static void StartResize(Pool& pool, int dedicated, int low, double timeout, double t);
    /// A new opaque ETag.
    std::string NextEtag();
    /// Marks up to round(share x nodes) idle nodes of `pool` `running` until now + seconds;
    /// returns how many (admin API, nodes.cpp).
    static int MarkBusy(Pool& pool, double share, double seconds, double now);

  private:
    void Step(double t0, double t1);
    void StepPool(Account& a, Pool& p, double t0, double t1);
    void StepAllocation(Account& a, Pool& p, double t0, double t1);
    /// Node timers to t1 (nodes.cpp): creating -> starting -> [waitingforstarttask] -> idle or
    /// starttaskfailed, running -> idle, leavingpool -> gone.
    void StepNodes(Pool& p, double t1);
    /// Removes up to `budget` nodes of one priority above the target (shrink, nodes.cpp).
    void ShrinkNodes(Pool& p, bool dedicated, double budget, double t);
    /// Adds `creating` nodes up to floor(cur) (growth) or trims to it (nodes.cpp).
    void SyncNodes(Pool& p, const std::string& region, double t) const;
    bool StartTaskFails(const std::string& image, double* share) const;
    std::uint64_t etag_seq_ = 0;
};

/// Nodes of one priority (all states, leavingpool included).
int NodeTotal(const Pool& p, bool dedicated);
/// Admin view of a pool's nodes: {"counts": {state: n}, "groups": [{state, dedicated, count,
/// image, vmSize}]}.
Json NodeSummaryJson(const Pool& p);
/// A loaded pool's current nodes: `idle`, on the pool's image and vmSize.
void SeedNodes(Pool& p, double now);

/// Pool JSON as stored/dumped (CloudPool shape) -> Pool; throws std::runtime_error.
Pool PoolFromJson(const Json& j, double now);
/// Pool -> CloudPool JSON (no url/odata fields).
Json PoolToJson(const Pool& p);
/// dedicatedCoreQuotaPerVMFamily of an account: [{name, coreQuota}] [BM
/// `#/definitions/VirtualMachineFamilyCoreQuota`].
Json FamilyQuotasJson(const Account& a);
/// targetRegions JSON of a version, as ARM returns it.
Json TargetRegionsJson(const ImageVersion& v);
/// The ARM resource id of a version.
std::string VersionId(const Gallery& g, const ImageDefinition& d, const ImageVersion& v);

}  // namespace pw::sim
