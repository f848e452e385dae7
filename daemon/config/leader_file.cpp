// `leaderElection:` of the daemon file (issue 18).
#include <unistd.h>

#include <climits>

#include "config/known_keys.hpp"
#include "config/load_detail.hpp"

namespace pw::config {
using namespace detail;  // this module's own helpers (load_detail.hpp)
using namespace std::chrono_literals;

namespace {

std::string HostName() {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "poolwarden";
    return name;
}

/// The path of a blob URL has a container and a blob name (`/container/blob`; with a loopback
/// IP host, as Azurite serves, the account comes first: `/account/container/blob`).
bool HasContainerAndBlob(const std::string& url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return false;
    auto slash = url.find('/', scheme_end + 3);
    if (slash == std::string::npos) return false;
    int segments = 0;
    std::size_t pos = slash + 1;
    while (pos < url.size()) {
        auto end = url.find('/', pos);
        if (end == std::string::npos) end = url.size();
        if (end > pos) ++segments;
        pos = end + 1;
    }
    return segments >= 2;
}

}  // namespace

void detail::ParseLeaderElection(Checker& c, const YamlNode& node, LeaderElectionConfig& out) {
    if (!c.IsMap(node)) return;
    c.CheckKeys(node, "daemon.leaderElection");
    if (auto b = c.Bool(node.find("enabled"))) out.enabled = *b;
    const YamlNode* url = out.enabled ? c.Required(node, "blobUrl", "required when enabled is true")
                                      : node.find("blobUrl");
    if (auto s = c.String(url)) {
        const auto errors = c.errors().size();
        CheckUrl(c, *url, *s);
        if (c.errors().size() == errors) {
            if (s->find_first_of("?#") != std::string::npos)
                // A SAS token would be a secret in the config file; the lease uses Entra ID.
                c.Error(*url,
                        "no query string: the lease is taken with the daemon's Entra ID "
                        "identity (role Storage Blob Data Contributor), not a SAS token");
            else if (!HasContainerAndBlob(*s))
                c.Error(*url,
                        "expected https://ACCOUNT.blob.core.windows.net/CONTAINER/BLOB, got '" +
                            *s + "'");
        }
        out.blob_url = *s;
    }
    // A finite lease lasts 15 to 60 seconds (x-ms-lease-duration, azure-contract.md section 11).
    const YamlNode* duration = node.find("leaseDuration");
    if (auto d = c.Duration(duration, 15s, 60s, " (Azure's shortest lease)"))
        out.lease_duration = *d;
    const YamlNode* renew = node.find("renewEvery");
    if (renew) {
        if (auto d = c.Duration(renew, 1s, 30s)) {
            if (*d * 2 >= out.lease_duration)
                c.Error(*renew, "must be shorter than leaseDuration / 2 (leaseDuration is " +
                                    model::FormatShortDuration(out.lease_duration) + ")");
            else
                out.renew_every = *d;
        }
    } else {
        out.renew_every = std::max<std::chrono::seconds>(1s, out.lease_duration / 3);
    }
    const YamlNode* identity = node.find("identity");
    if (auto s = c.String(identity)) {
        const bool printable = AllOf(*s, [](unsigned char ch) { return ch >= 0x20 && ch < 0x7f; });
        if (s->empty() || s->size() > 256 || !printable)
            c.Error(*identity,
                    "must be 1-256 printable ASCII characters (it is written into the "
                    "blob's metadata)");
        else if (*s != "${HOSTNAME}")
            out.identity = *s;
    }
    if (out.identity.empty()) out.identity = HostName();
}

}  // namespace pw::config
