"""Conformance: Debian's azure-batch SDK (BatchServiceClient) against poolwarden-sim."""
import datetime
import sys

from msrest.authentication import BasicTokenAuthentication
import azure.batch.models as m
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials

from simproc import ACCOUNT, KEY, VERSION_ID, Checker, Sim

POPULATED = ["id", "url", "e_tag", "last_modified", "creation_time", "state",
             "state_transition_time", "allocation_state", "allocation_state_transition_time",
             "vm_size", "virtual_machine_configuration", "resize_timeout",
             "current_dedicated_nodes", "current_low_priority_nodes", "target_dedicated_nodes",
             "target_low_priority_nodes", "enable_auto_scale", "enable_inter_node_communication",
             "task_slots_per_node", "task_scheduling_policy", "target_node_communication_mode",
             "current_node_communication_mode", "metadata", "start_task"]


def gallery_pool(pool_id, dedicated, timeout=datetime.timedelta(minutes=15)):
    return m.PoolAddParameter(
        id=pool_id, vm_size="Standard_D4s_v3",
        virtual_machine_configuration=m.VirtualMachineConfiguration(
            image_reference=m.ImageReference(virtual_machine_image_id=VERSION_ID),
            node_agent_sku_id="batch.node.ubuntu 22.04"),
        target_dedicated_nodes=dedicated, resize_timeout=timeout, task_slots_per_node=4,
        start_task=m.StartTask(command_line="/bin/true"),
        metadata=[m.MetadataItem(name="team", value="vfx")])


def error_code(fn):
    try:
        fn()
    except m.BatchErrorException as e:
        return e.error.code, e
    return None, None


def main(binary, world):
    c = Checker()
    with Sim(binary, world) as sim:
        base = f"{sim.url}/batch/{ACCOUNT}"
        tok = sim.token("https://batch.core.windows.net//.default")
        aad = BatchServiceClient(BasicTokenAuthentication({"access_token": tok["access_token"]}),
                                 batch_url=base)
        sk = BatchServiceClient(SharedKeyCredentials(ACCOUNT, KEY), batch_url=base)

        aad.pool.add(gallery_pool("render-linux", 10))
        pool = aad.pool.get("render-linux")
        for attr in POPULATED:
            c.check(getattr(pool, attr) is not None, f"CloudPool.{attr} is populated")
        extra = set((pool.additional_properties or {}).keys()) - {"odata.metadata"}
        c.eq(extra, set(), "nothing lands in CloudPool.additional_properties")
        c.eq(pool.virtual_machine_configuration.image_reference.virtual_machine_image_id,
             VERSION_ID, "image id round-trips")
        c.eq(pool.resize_timeout, datetime.timedelta(minutes=15), "resize_timeout parses")
        c.eq(pool.allocation_state, m.AllocationState.resizing, "new pool is resizing")
        c.check(aad.pool.exists("render-linux"), "exists() is True for a pool")
        c.check(not aad.pool.exists("missing"), "exists() is False for a missing pool")

        code, _ = error_code(lambda: aad.pool.add(gallery_pool("render-linux", 1)))
        c.eq(code, "PoolExists", "duplicate add")
        code, _ = error_code(lambda: aad.pool.get("missing"))
        c.eq(code, "PoolNotFound", "get missing pool")
        code, _ = error_code(lambda: aad.pool.resize("render-linux", m.PoolResizeParameter(
            target_dedicated_nodes=20)))
        c.eq(code, "PoolBeingResized", "resize while resizing")

        aad.pool.stop_resize("render-linux")
        c.eq(aad.pool.get("render-linux").allocation_state, m.AllocationState.stopping,
             "stop_resize -> stopping")
        sim.admin("POST", "advance?seconds=60")
        steady = aad.pool.get("render-linux")
        c.eq(steady.allocation_state, m.AllocationState.steady, "stopping -> steady")
        c.check(steady.resize_errors and steady.resize_errors[0].code == "ResizeStopped",
                "resize_errors carries ResizeStopped")
        code, _ = error_code(lambda: aad.pool.stop_resize("render-linux"))
        c.eq(code, "OperationInvalidForCurrentState", "stop_resize while steady")
        code, _ = error_code(lambda: aad.pool.resize("render-linux", m.PoolResizeParameter(
            target_dedicated_nodes=5, resize_timeout=datetime.timedelta(minutes=4))))
        c.eq(code, "InvalidPropertyValue", "resizeTimeout under 5 minutes")
        code, _ = error_code(lambda: aad.pool.resize(
            "render-linux", m.PoolResizeParameter(target_dedicated_nodes=5),
            pool_resize_options=m.PoolResizeOptions(if_match="0xDEADBEEF")))
        c.eq(code, "ConditionNotMet", "resize with a stale If-Match")
        aad.pool.resize("render-linux", m.PoolResizeParameter(
            target_dedicated_nodes=12, resize_timeout=datetime.timedelta(minutes=30)),
            pool_resize_options=m.PoolResizeOptions(if_match=steady.e_tag))
        sim.admin("POST", "advance?seconds=1800")
        done = aad.pool.get("render-linux")
        c.eq((done.allocation_state, done.current_dedicated_nodes),
             (m.AllocationState.steady, 12), "resize reaches its target")
        nodes = list(aad.compute_node.list(
            "render-linux", compute_node_list_options=m.ComputeNodeListOptions(max_results=5)))
        c.eq(len({n.id for n in nodes}), 12, "node list follows odata.nextLink, unique ids")
        c.check(all(n.state == m.ComputeNodeState.idle and n.vm_size and n.is_dedicated
                    and n.virtual_machine_info.image_reference.virtual_machine_image_id
                    for n in nodes), "ComputeNode parses: state, vmSize, isDedicated, image")
        c.check(all(not (n.additional_properties or {}) for n in nodes),
                "nothing in ComputeNode.additional_properties")

        for i in range(5):
            sk.pool.add(m.PoolAddParameter(
                id=f"mkt-{i}", vm_size="standard_a1", target_dedicated_nodes=0,
                virtual_machine_configuration=m.VirtualMachineConfiguration(
                    image_reference=m.ImageReference(publisher="canonical",
                                                     offer="0001-com-ubuntu-server-jammy",
                                                     sku="22_04-lts"),
                    node_agent_sku_id="batch.node.ubuntu 22.04")))
        ids = [p.id for p in sk.pool.list(pool_list_options=m.PoolListOptions(max_results=2))]
        c.eq(sorted(ids), sorted(["render-linux"] + [f"mkt-{i}" for i in range(5)]),
             "SharedKey list follows odata.nextLink across pages")
        filtered = [p.id for p in aad.pool.list(pool_list_options=m.PoolListOptions(
            filter="startswith(id,'mkt-1')", select="id,state"))]
        c.eq(filtered, ["mkt-1"], "$filter startswith")
        sk.pool.resize("mkt-0", m.PoolResizeParameter(target_dedicated_nodes=2))
        sk.pool.stop_resize("mkt-0")

        code, err = error_code(lambda: sk.pool.add(gallery_pool("sk-gallery", 1)))
        c.eq(code, "AuthenticationFailed", "SharedKey cannot create a gallery-image pool")
        detail = {v.key: v.value for v in (err.error.values or [])} if err else {}
        c.check("SharedKey" in detail.get("AuthenticationErrorDetail", ""),
                "AuthenticationErrorDetail names SharedKey")
        c.eq(err.response.status_code if err else None, 403, "status 403")

        bad = BatchServiceClient(SharedKeyCredentials(ACCOUNT, "d3Jvbmcta2V5"), batch_url=base)
        code, _ = error_code(lambda: list(bad.pool.list()))
        c.eq(code, "AuthenticationFailed", "wrong SharedKey")

        images = list(aad.account.list_supported_images())
        c.check(images and all(i.node_agent_sku_id and i.image_reference and i.os_type
                               for i in images), "supported images populated")
        c.check(all(not (i.additional_properties or {}) for i in images),
                "nothing in ImageInformation.additional_properties")

        aad.pool.delete("mkt-4")
        code, _ = error_code(lambda: aad.pool.resize("mkt-4", m.PoolResizeParameter(
            target_dedicated_nodes=1)))
        c.eq(code, "PoolBeingDeleted", "resize a deleting pool")

        log = sim.admin("GET", "requests")["requests"]
        kinds = {e["auth"] for e in log}
        c.check({"bearer-batch", "sharedkey"} <= kinds, f"request log auth kinds {kinds}")
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
