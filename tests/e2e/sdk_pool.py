#!/usr/bin/python3
"""Creates a pool the way a user would outside poolwarden: Debian's azure-batch SDK
(BatchServiceClient.pool.add) against poolwarden-sim. Used by adopt_sdk_test.cpp.

Usage: sdk_pool.py SIM_URL POOL_ID VARIANT
  VARIANT same:      the intent of adopt_sdk_test.cpp's pool file (other spellings and list
                     orders, a registry password the pool file does not have)
  emptyonly:         as `same`, but the data disk has 128 GB (the file says 256)
  patchable:         as `same`, but application package version 4.0 and classic
                     communication mode (the file says 4.1 and simplified)
"""
import datetime
import json
import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim",
                                "conformance"))
from simproc import ACCOUNT, CLIENT, SECRET, TENANT, VERSION_ID  # noqa: E402

from msrest.authentication import BasicTokenAuthentication  # noqa: E402
import azure.batch.models as m  # noqa: E402
from azure.batch import BatchServiceClient  # noqa: E402

SUBNET = ("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-batch/providers/"
          "Microsoft.Network/virtualNetworks/vnet-batch/subnets/nodes")


def token(url):
    data = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT,
                                   "client_secret": SECRET,
                                   "scope": "https://batch.core.windows.net//.default"}).encode()
    req = urllib.request.Request(f"{url}/{TENANT}/oauth2/v2.0/token", data=data)
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.load(r)["access_token"]


def main(url, pool_id, variant):
    client = BatchServiceClient(BasicTokenAuthentication({"access_token": token(url)}),
                                batch_url=f"{url}/batch/{ACCOUNT}")
    disk_gb = 128 if variant == "emptyonly" else 256
    app_version = "4.0" if variant == "patchable" else "4.1"
    mode = m.NodeCommunicationMode.classic if variant == "patchable" else \
        m.NodeCommunicationMode.simplified
    client.pool.add(m.PoolAddParameter(
        id=pool_id, display_name="Render (SDK)", vm_size="STANDARD_D4S_V3",
        virtual_machine_configuration=m.VirtualMachineConfiguration(
            image_reference=m.ImageReference(virtual_machine_image_id=VERSION_ID),
            node_agent_sku_id="batch.node.ubuntu 22.04",
            data_disks=[m.DataDisk(lun=0, disk_size_gb=disk_gb,
                                   storage_account_type=m.StorageAccountType.premium_lrs)],
            container_configuration=m.ContainerConfiguration(
                type=m.ContainerType.docker_compatible,
                container_image_names=["studiocr.azurecr.io/sim/post:1.0",
                                       "studiocr.azurecr.io/sim/solver:2.3"],
                container_registries=[m.ContainerRegistry(
                    registry_server="studiocr.azurecr.io", user_name="studio-pull",
                    password="sdk-made-registry-password")])),
        network_configuration=m.NetworkConfiguration(
            subnet_id=SUBNET,
            public_ip_address_configuration=m.PublicIPAddressConfiguration(
                provision=m.IPAddressProvisioningType.no_public_ip_addresses)),
        application_package_references=[
            m.ApplicationPackageReference(application_id="blender", version=app_version)],
        target_node_communication_mode=mode,
        task_scheduling_policy=m.TaskSchedulingPolicy(node_fill_type=m.ComputeNodeFillType.pack),
        target_dedicated_nodes=5, resize_timeout=datetime.timedelta(minutes=15),
        task_slots_per_node=4,
        metadata=[m.MetadataItem(name="team", value="vfx")]))
    print(f"created {pool_id} ({variant})")


if __name__ == "__main__":
    main(*sys.argv[1:4])
