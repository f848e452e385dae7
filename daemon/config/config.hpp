#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/desired.hpp"

namespace pw::config {

/// One validation error, located in its file: `file:line:column: field.path: message`.
///
/// Thread safety: a value type.
struct ConfigError {
    std::string file;  ///< As the user named it (relative paths kept relative).
    int line = 0;      ///< 1-based; 0 when the error has no position (e.g. unreadable file).
    int column = 0;    ///< 1-based.
    std::string path;  ///< Field path, e.g. `pools[0].scale.targetDedicatedNodes`.
    std::string message;

    std::string str() const;
};

/// Azure endpoints of one cloud (public, sovereign, or the simulator's).
struct CloudEndpoints {
    std::string name = "AzurePublicCloud";  ///< Or `custom` for a map of endpoints.
    std::string resource_manager = "https://management.azure.com/";
    std::string authority_host = "https://login.microsoftonline.com/";
    std::string batch_resource = "https://batch.core.windows.net/";
    std::string management_resource = "https://management.core.windows.net/";
    std::string imds_endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
};

/// How poolwarden obtains Entra ID tokens.
struct AuthConfig {
    std::string method = "managedIdentity";  ///< managedIdentity | clientSecret | workloadIdentity
    std::string tenant_id;
    std::string client_id;
    std::string client_secret_file;    ///< clientSecret: file holding the secret (never inline).
    std::string federated_token_file;  ///< workloadIdentity: re-read on every token fetch;
                                       ///< empty: use $AZURE_FEDERATED_TOKEN_FILE.
};

struct TlsConfig {
    std::optional<std::string> ca_file;  ///< Extra trust anchors (PEM).
};

struct ReconcileConfig {
    model::Seconds interval = std::chrono::seconds(60);
    int concurrency = 8;
};

/// One client-side token bucket: at most `burst` requests at once, refilled at `per_second`.
struct BucketLimit {
    double burst = 1;
    double per_second = 1;
    friend bool operator==(const BucketLimit&, const BucketLimit&) = default;
};

/// Client-side request limits (`limits:`). The ARM defaults are ARM's documented token buckets
/// per subscription and principal ("Understand how Azure Resource Manager throttles requests",
/// learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling:
/// reads bucket 250, refill 25/s; writes bucket 200, refill 10/s). Batch documents no request
/// rate for its data plane; its default is a guess. The daemon also slows down when ARM's
/// `x-ms-ratelimit-remaining-subscription-*` headers report fewer tokens than it counts.
struct LimitsConfig {
    BucketLimit arm_reads{250, 25};   ///< Per subscription (and one for tenant-level calls).
    BucketLimit arm_writes{200, 10};  ///< Per subscription.
    BucketLimit batch{40, 20};        ///< Per Batch account endpoint (guess).
    friend bool operator==(const LimitsConfig&, const LimitsConfig&) = default;
};

/// `leaderElection:` (issue 18): several instances, one of which writes, elected through an
/// Azure Blob lease (azure-contract.md section 11).
struct LeaderElectionConfig {
    bool enabled = false;
    /// `https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB` (plain http only to loopback); the
    /// container must exist, the blob is created when missing.
    std::string blob_url;
    /// A finite blob lease lasts 15-60 s (`x-ms-lease-duration`, contract section 11).
    std::chrono::seconds lease_duration{30};
    std::chrono::seconds renew_every{10};  ///< < lease_duration / 2.
    std::string identity;                  ///< Shown in status; default the host name.
    friend bool operator==(const LeaderElectionConfig&, const LeaderElectionConfig&) = default;
};

/// The daemon file (`/etc/poolwarden/poolwarden.yaml`).
struct DaemonConfig {
    std::string file;
    CloudEndpoints cloud;
    AuthConfig auth;
    TlsConfig tls;
    std::vector<model::AccountSpec> accounts;
    ReconcileConfig reconcile;
    LimitsConfig limits;
    model::Policy policy;
    std::filesystem::path pools_dir;        ///< Resolved against the daemon file's folder.
    std::string listen = "127.0.0.1:9464";  ///< `listen` or `listen.address`: host:port.
    /// `listen.maxConnections`: connections the endpoints serve at once; more are closed.
    int listen_max_connections = 64;
    /// Problems that do not stop the daemon (e.g. a client secret file readable by others),
    /// in the same `file:line:column: field.path: message` form as errors.
    std::vector<ConfigError> warnings;
    LeaderElectionConfig leader_election;  ///< `leaderElection:`.
};

/// One pool file and what it yielded. A file with any error contributes no pools.
struct PoolFile {
    std::string file;
    std::vector<model::PoolSpec> pools;
    std::vector<ConfigError> errors;
};

/// The daemon file plus every pool file in its poolsDir.
struct LoadedConfig {
    DaemonConfig daemon;
    std::vector<PoolFile> pool_files;  ///< Sorted by file name.

    /// Every error of every file (the daemon file's first).
    std::vector<ConfigError> all_errors() const;
    /// Accounts, policy and the pools of the files without errors.
    model::DesiredState desired() const;
};

}  // namespace pw::config
