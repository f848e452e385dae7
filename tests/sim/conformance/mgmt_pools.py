"""Conformance: Debian's azure-mgmt-batch creates, lists, updates and deletes pools through the
simulator's ARM pool endpoints (BatchManagement.json, issue 15), with a user-assigned identity,
and every model it reads back has nothing in additional_properties."""
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.batch import models as bm

from simproc import ACCOUNT, SUB, VERSION_ID, Checker, Sim

IDENTITY = (f"/subscriptions/{SUB}/resourceGroups/rg-batch/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/render-nodes")


class SimCredential:
    def __init__(self, sim):
        self.sim = sim

    def get_token(self, *scopes, **kwargs):
        tok = self.sim.token(scopes[0])
        return AccessToken(tok["access_token"], int(time.time()) + int(tok["expires_in"]))


def extras(model, path, out):
    """Every additional_properties entry of a model tree, as 'path.key'."""
    for key in (getattr(model, "additional_properties", None) or {}):
        out.append(f"{path}.{key}")
    for attr in getattr(model, "_attribute_map", {}):
        value = getattr(model, attr, None)
        items = value if isinstance(value, list) else (
            list(value.values()) if isinstance(value, dict) else [value])
        for item in items:
            if hasattr(item, "_attribute_map"):
                extras(item, f"{path}.{attr}", out)
    return out


def main(binary, world):
    c = Checker()
    with Sim(binary, world, tls=True, extra=["--time-scale", "60"]) as sim:
        batch = BatchManagementClient(SimCredential(sim), SUB, base_url=sim.url,
                                      connection_verify=sim.ca)
        pool = bm.Pool(
            identity=bm.BatchPoolIdentity(
                type="UserAssigned",
                user_assigned_identities={IDENTITY: bm.UserAssignedIdentities()}),
            vm_size="Standard_D4s_v3",
            deployment_configuration=bm.DeploymentConfiguration(
                virtual_machine_configuration=bm.VirtualMachineConfiguration(
                    image_reference=bm.ImageReference(id=VERSION_ID),
                    node_agent_sku_id="batch.node.ubuntu 22.04")),
            scale_settings=bm.ScaleSettings(fixed_scale=bm.FixedScaleSettings(
                target_dedicated_nodes=2, resize_timeout="PT15M")),
            inter_node_communication="Enabled",
            metadata=[bm.MetadataItem(name="team", value="render")],
            mount_configuration=[bm.MountConfiguration(
                azure_blob_file_system_configuration=bm.AzureBlobFileSystemConfiguration(
                    account_name="assets", container_name="scenes", relative_mount_path="scenes",
                    identity_reference=bm.ComputeNodeIdentityReference(resource_id=IDENTITY)))])
        created = batch.pool.create("rg-batch", ACCOUNT, "sdk-arm", pool, if_none_match="*")
        c.eq(created.name, "sdk-arm", "create returns the pool")
        c.eq(created.allocation_state, "Resizing", "a new pool allocates")
        ids = created.identity.user_assigned_identities
        c.eq(list(ids), [IDENTITY], "identity kept")
        c.check(bool(ids[IDENTITY].client_id and ids[IDENTITY].principal_id),
                "clientId and principalId filled")
        c.eq(extras(created, "pool", []), [], "nothing in additional_properties (create)")
        try:
            batch.pool.create("rg-batch", ACCOUNT, "sdk-arm", pool, if_none_match="*")
            c.check(False, "If-None-Match: * on an existing pool must fail")
        except HttpResponseError as e:
            c.eq(e.status_code, 412, "create-only on an existing pool")

        listed = list(batch.pool.list_by_batch_account("rg-batch", ACCOUNT, maxresults=1))
        c.check(any(p.name == "sdk-arm" for p in listed), "list (paged) finds the pool")
        for p in listed:
            c.eq(extras(p, p.name, []), [], f"nothing in additional_properties ({p.name})")

        sim.admin("POST", "advance?seconds=3600")  # the first allocation finishes
        got = batch.pool.get("rg-batch", ACCOUNT, "sdk-arm")
        c.eq(got.allocation_state, "Steady", "allocation finishes")
        try:
            batch.pool.update("rg-batch", ACCOUNT, "sdk-arm", bm.Pool(
                scale_settings=bm.ScaleSettings(fixed_scale=bm.FixedScaleSettings(
                    target_dedicated_nodes=5))), if_match='W/"0xdead"')
            c.check(False, "stale If-Match must fail")
        except HttpResponseError as e:
            c.eq(e.status_code, 412, "stale If-Match")
        updated = batch.pool.update("rg-batch", ACCOUNT, "sdk-arm", bm.Pool(
            scale_settings=bm.ScaleSettings(fixed_scale=bm.FixedScaleSettings(
                target_dedicated_nodes=5, resize_timeout="PT20M")),
            metadata=[bm.MetadataItem(name="team", value="lighting")]), if_match=got.etag)
        c.eq(updated.scale_settings.fixed_scale.target_dedicated_nodes, 5, "resize by PATCH")
        c.eq(updated.metadata[0].value, "lighting", "metadata by PATCH")
        c.check(updated.etag != got.etag, "etag changes")
        sim.admin("POST", "advance?seconds=3600")
        auto = batch.pool.update("rg-batch", ACCOUNT, "sdk-arm", bm.Pool(
            scale_settings=bm.ScaleSettings(auto_scale=bm.AutoScaleSettings(
                formula="$TargetDedicatedNodes=1;", evaluation_interval="PT5M"))))
        c.eq(auto.scale_settings.auto_scale.formula, "$TargetDedicatedNodes=1;",
             "autoscale by PATCH")
        c.check(auto.scale_settings.fixed_scale is None, "fixedScale gone under autoscale")
        c.eq(extras(auto, "pool", []), [], "nothing in additional_properties (update)")

        poller = batch.pool.begin_delete("rg-batch", ACCOUNT, "sdk-arm", polling_interval=1)
        sim.admin("POST", "advance?seconds=600")
        poller.result(timeout=60)
        c.eq(poller.status(), "Succeeded", "delete LRO finishes")
        try:
            batch.pool.get("rg-batch", ACCOUNT, "sdk-arm")
            c.check(False, "deleted pool must be gone")
        except HttpResponseError as e:
            c.eq((e.status_code, e.error.code), (404, "ResourceNotFound"), "gone after delete")
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
