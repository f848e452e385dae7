"""Conformance: Debian's azure-mgmt-compute and azure-mgmt-batch against poolwarden-sim (HTTPS)."""
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm

from simproc import ACCOUNT, SUB, Checker, Sim


class SimCredential:
    """A TokenCredential that asks the simulator's Entra ID endpoint, as azure-identity would."""

    def __init__(self, sim, scope_override=None):
        self.sim = sim
        self.scope_override = scope_override

    def get_token(self, *scopes, **kwargs):
        tok = self.sim.token(self.scope_override or scopes[0])
        return AccessToken(tok["access_token"], int(time.time()) + int(tok["expires_in"]))


def main(binary, world):
    c = Checker()
    with Sim(binary, world, tls=True, extra=["--time-scale", "60"]) as sim:
        cred = SimCredential(sim)
        kw = dict(base_url=sim.url, connection_verify=sim.ca,
                  credential_scopes=["https://management.azure.com/.default"])
        compute = ComputeManagementClient(cred, SUB, **kw)
        batch = BatchManagementClient(cred, SUB, **kw)

        acct = batch.batch_account.get("rg-batch", ACCOUNT)
        c.eq(acct.account_endpoint, f"127.0.0.1:{sim.port}/batch/{ACCOUNT}", "accountEndpoint")
        c.eq((acct.location, acct.pool_allocation_mode, acct.dedicated_core_quota,
              acct.low_priority_core_quota), ("eastus", "BatchService", 20000, 10000),
             "account location, mode and quotas")

        image = compute.gallery_images.get("rg-images", "studio", "render")
        c.eq((image.os_type, image.os_state, image.hyper_v_generation),
             ("Linux", "Generalized", "V2"), "image definition fields")

        v = compute.gallery_image_versions.get("rg-images", "studio", "render", "1.4.0",
                                               expand="ReplicationStatus")
        c.eq(v.replication_status.aggregated_state, "Completed", "aggregatedState")
        c.eq([(s.region, s.state, s.progress) for s in v.replication_status.summary],
             [("East US", "Completed", 100)], "replication summary")
        c.eq([(t.name, t.regional_replica_count, t.storage_account_type)
              for t in v.publishing_profile.target_regions],
             [("East US", 1, "Standard_LRS")], "targetRegions")
        plain = compute.gallery_image_versions.get("rg-images", "studio", "render", "1.4.0")
        c.check(plain.replication_status is None, "no replicationStatus without $expand")

        update = cm.GalleryImageVersionUpdate(
            publishing_profile=cm.GalleryImageVersionPublishingProfile(
                target_regions=[cm.TargetRegion(name="East US", regional_replica_count=10)]),
            storage_profile=cm.GalleryImageVersionStorageProfile())
        started = time.time()
        poller = compute.gallery_image_versions.begin_update(
            "rg-images", "studio", "render", "1.4.0", update, polling_interval=1)
        result = poller.result(timeout=120)
        c.eq(poller.status(), "Succeeded", "LRO poller finishes")
        c.eq(result.provisioning_state, "Succeeded", "final provisioningState")
        c.eq(result.publishing_profile.target_regions[0].regional_replica_count, 10,
             "replica count updated")
        print(f"LRO took {time.time() - started:.1f}s")
        mid = compute.gallery_image_versions.get("rg-images", "studio", "render", "1.4.0",
                                                 expand="ReplicationStatus")
        c.eq(mid.replication_status.aggregated_state, "InProgress", "replication in progress")
        sim.admin("POST", "advance?seconds=3600")
        after = compute.gallery_image_versions.get("rg-images", "studio", "render", "1.4.0",
                                                   expand="ReplicationStatus")
        c.eq(after.replication_status.aggregated_state, "Completed", "replication completes")

        bad = cm.GalleryImageVersionUpdate(
            publishing_profile=cm.GalleryImageVersionPublishingProfile(
                target_regions=[cm.TargetRegion(name="East US", regional_replica_count=10,
                                                storage_account_type="Premium_LRS")]),
            storage_profile=cm.GalleryImageVersionStorageProfile())
        try:
            compute.gallery_image_versions.begin_update("rg-images", "studio", "render", "1.4.0",
                                                        bad).result()
            c.check(False, "storageAccountType change must fail")
        except HttpResponseError as e:
            c.eq((e.status_code, e.error.code), (400, "PropertyChangeNotAllowed"),
                 "storageAccountType change")
        try:
            compute.gallery_image_versions.get("rg-images", "studio", "render", "9.9.9")
            c.check(False, "missing version must fail")
        except ResourceNotFoundError as e:
            c.eq(e.error.code, "ResourceNotFound", "missing version code")

        wrong = ComputeManagementClient(
            SimCredential(sim, "https://batch.core.windows.net//.default"), SUB, **kw)
        try:
            wrong.gallery_images.get("rg-images", "studio", "render")
            c.check(False, "batch-audience token must be refused by ARM")
        except ClientAuthenticationError as e:
            c.eq(e.error.code, "InvalidAuthenticationTokenAudience", "wrong audience code")
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
