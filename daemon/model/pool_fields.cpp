// The pool property tables. Names, shapes, enums, ranges and required members follow Batch's
// data-plane spec: 2025-06-01.21.0 BatchService.json (shared/azure-specs/batch-data-plane/
// data-plane/Azure.Batch/stable/2025-06-01.21.0), definitions named in each ObjectSpec. Every
// member here also exists at the daemon's api-version 2024-07-01.20.0 (the 2025 spec's
// additions such as ipFamilies and proxyAgentSettings are not declared). Update classes follow
// BatchPoolUpdateOptions ("This field can be updated only when the pool is empty") and the
// patchable members of BatchPoolUpdateOptions / PATCH (startTask, applicationPackageReferences,
// metadata, targetNodeCommunicationMode).
#include "model/pool_fields.hpp"

#include <algorithm>

namespace pw::model {

const PropValue* PropValue::find(std::string_view key) const {
    for (const auto& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

bool operator==(const PropValue& a, const PropValue& b) {
    return a.kind == b.kind && a.boolean == b.boolean && a.integer == b.integer &&
           a.text == b.text && a.resolved == b.resolved && a.items == b.items &&
           a.members == b.members;
}

bool operator==(const PropMember& a, const PropMember& b) {
    return a.key == b.key && a.value == b.value;
}

const FieldSpec* ObjectSpec::find(std::string_view key) const {
    for (const auto& f : fields)
        if (f.key == key) return &f;
    return nullptr;
}

namespace {

using K = FieldKind;
using U = UpdateClass;
using SV = std::string_view;

constexpr SV kCaching[] = {"none", "readonly", "readwrite"};
constexpr SV kStorageAccountType[] = {"standard_lrs", "premium_lrs", "standardssd_lrs"};
constexpr SV kSecurityEncryptionType[] = {"DiskWithVMGuestState", "NonPersistedTPM",
                                          "VMGuestStateOnly"};
constexpr SV kContainerType[] = {"dockerCompatible", "criCompatible"};
constexpr SV kDiskEncryptionTarget[] = {"osdisk", "temporarydisk"};
constexpr SV kPlacementPolicy[] = {"regional", "zonal"};
constexpr SV kDiffDiskPlacement[] = {"cachedisk"};
constexpr SV kSecurityType[] = {"trustedLaunch", "confidentialVM"};
constexpr SV kProtocol[] = {"tcp", "udp"};
constexpr SV kAccess[] = {"allow", "deny"};
constexpr SV kIpProvisioning[] = {"batchmanaged", "usermanaged", "nopublicipaddresses"};
constexpr SV kVNetScope[] = {"none", "job"};
constexpr SV kElevation[] = {"nonadmin", "admin"};
constexpr SV kLoginMode[] = {"batch", "interactive"};
constexpr SV kFillType[] = {"spread", "pack"};
constexpr SV kCommunicationMode[] = {"default", "classic", "simplified"};
constexpr SV kUpgradeMode[] = {"automatic", "manual", "rolling"};
constexpr SV kAutoUserScope[] = {"task", "pool"};
constexpr SV kWorkingDirectory[] = {"taskWorkingDirectory", "containerImageDefault"};

// ARM's spellings of the same enums (BatchManagement.json 2025-06-01 #/definitions/CachingType,
// StorageAccountType, ContainerConfiguration/type, DiskEncryptionConfiguration/targets,
// NodePlacementPolicyType, DiffDiskPlacement, InboundNatPool/protocol,
// NetworkSecurityGroupRule/access, IPAddressProvisioningType, ElevationLevel,
// WindowsUserConfiguration/loginMode, TaskSchedulingPolicy/nodeFillType,
// AutoUserSpecification/scope, TaskContainerSettings/workingDirectory, PoolProperties/
// interNodeCommunication), parallel to the arrays above.
constexpr SV kArmCaching[] = {"None", "ReadOnly", "ReadWrite"};
constexpr SV kArmStorageAccountType[] = {"Standard_LRS", "Premium_LRS", "StandardSSD_LRS"};
constexpr SV kArmContainerType[] = {"DockerCompatible", "CriCompatible"};
constexpr SV kArmDiskEncryptionTarget[] = {"OsDisk", "TemporaryDisk"};
constexpr SV kArmPlacementPolicy[] = {"Regional", "Zonal"};
constexpr SV kArmDiffDiskPlacement[] = {"CacheDisk"};
constexpr SV kArmProtocol[] = {"TCP", "UDP"};
constexpr SV kArmAccess[] = {"Allow", "Deny"};
constexpr SV kArmIpProvisioning[] = {"BatchManaged", "UserManaged", "NoPublicIPAddresses"};
constexpr SV kArmElevation[] = {"NonAdmin", "Admin"};
constexpr SV kArmLoginMode[] = {"Batch", "Interactive"};
constexpr SV kArmFillType[] = {"Spread", "Pack"};
constexpr SV kArmAutoUserScope[] = {"Task", "Pool"};
constexpr SV kArmWorkingDirectory[] = {"TaskWorkingDirectory", "ContainerImageDefault"};
constexpr SV kArmInterNode[] = {"Disabled", "Enabled"};

// BatchNodeIdentityReference.
constexpr FieldSpec kIdentityReferenceFields[] = {
    {.key = "resourceId",
     .required = true,
     .doc = "ARM id of a user-assigned identity assigned to the pool"},
};
constexpr ObjectSpec kIdentityReference{"identityReference", "BatchNodeIdentityReference",
                                        kIdentityReferenceFields};

// ContainerRegistryReference.
constexpr FieldSpec kContainerRegistryFields[] = {
    {.key = "username", .doc = "user name for the registry (with passwordFile)"},
    {.key = "passwordFile",
     .rest = "password",
     .kind = K::SecretFile,
     .doc = "file holding the registry password (with username)"},
    {.key = "registryServer",
     .rest_default = "\"docker.io\"",
     .doc = "registry host; default docker.io"},
    {.key = "identityReference",
     .kind = K::Object,
     .object = &kIdentityReference,
     .doc = "identity for an Azure Container Registry instead of username/passwordFile"},
};
constexpr ObjectSpec kContainerRegistry{"containerRegistry", "ContainerRegistryReference",
                                        kContainerRegistryFields};

// BatchContainerConfiguration.
constexpr FieldSpec kContainerConfigurationFields[] = {
    {.key = "type",
     .kind = K::Enum,
     .required = true,
     .values = kContainerType,
     .doc = "container technology",
     .arm_values = kArmContainerType},
    {.key = "containerImageNames",
     .kind = K::StringList,
     .doc = "images pulled onto every node as it joins"},
    {.key = "containerRegistries",
     .kind = K::ObjectList,
     .object = &kContainerRegistry,
     .doc = "private registries the images come from"},
};
constexpr ObjectSpec kContainerConfiguration{
    "containerConfiguration", "BatchContainerConfiguration", kContainerConfigurationFields};

// DiskEncryptionSetParameters, BatchVmDiskSecurityProfile, ManagedDisk.
constexpr FieldSpec kDiskEncryptionSetFields[] = {
    {.key = "id", .required = true, .doc = "ARM id of the disk encryption set"},
};
constexpr ObjectSpec kDiskEncryptionSet{"diskEncryptionSet", "DiskEncryptionSetParameters",
                                        kDiskEncryptionSetFields};
constexpr FieldSpec kDiskSecurityProfileFields[] = {
    {.key = "securityEncryptionType",
     .kind = K::Enum,
     .values = kSecurityEncryptionType,
     .doc = "managed disk encryption for confidential VMs"},
};
constexpr ObjectSpec kDiskSecurityProfile{"diskSecurityProfile", "BatchVmDiskSecurityProfile",
                                          kDiskSecurityProfileFields};
constexpr FieldSpec kManagedDiskFields[] = {
    {.key = "diskEncryptionSet",
     .kind = K::Object,
     .object = &kDiskEncryptionSet,
     .doc = "customer-managed key for the disk"},
    {.key = "storageAccountType",
     .kind = K::Enum,
     .values = kStorageAccountType,
     .doc = "disk storage type",
     .arm_values = kArmStorageAccountType},
    {.key = "securityProfile",
     .kind = K::Object,
     .object = &kDiskSecurityProfile,
     .doc = "disk security settings"},
};
constexpr ObjectSpec kManagedDisk{"managedDisk", "ManagedDisk", kManagedDiskFields};

// DataDisk.
constexpr FieldSpec kDataDiskFields[] = {
    {.key = "lun",
     .kind = K::Int,
     .required = true,
     .min = 0,
     .max = 63,
     .doc = "logical unit number, 0-63, unique in the pool"},
    {.key = "caching",
     .kind = K::Enum,
     .values = kCaching,
     .rest_default = "\"readwrite\"",
     .doc = "host caching; default readwrite",
     .arm_values = kArmCaching},
    {.key = "diskSizeGB",
     .kind = K::Int,
     .required = true,
     .min = 1,
     .doc = "initial size in GB (> 0)"},
    {.key = "storageAccountType",
     .kind = K::Enum,
     .values = kStorageAccountType,
     .rest_default = "\"standard_lrs\"",
     .doc = "disk storage type; default standard_lrs",
     .arm_values = kArmStorageAccountType},
    {.key = "managedDisk",
     .kind = K::Object,
     .object = &kManagedDisk,
     .doc = "managed disk parameters"},
};
constexpr ObjectSpec kDataDisk{"dataDisk", "DataDisk", kDataDiskFields};

// BatchDiffDiskSettings, BatchOsDisk.
constexpr FieldSpec kDiffDiskFields[] = {
    {.key = "placement",
     .kind = K::Enum,
     .values = kDiffDiskPlacement,
     .doc = "where the ephemeral OS disk lives",
     .arm_values = kArmDiffDiskPlacement},
};
constexpr ObjectSpec kDiffDisk{"ephemeralOSDiskSettings", "BatchDiffDiskSettings", kDiffDiskFields};
constexpr FieldSpec kOsDiskFields[] = {
    {.key = "ephemeralOSDiskSettings",
     .kind = K::Object,
     .object = &kDiffDisk,
     .doc = "ephemeral OS disk (placement: cachedisk)"},
    {.key = "caching",
     .kind = K::Enum,
     .values = kCaching,
     .doc = "host caching",
     .arm_values = kArmCaching},
    {.key = "diskSizeGB", .kind = K::Int, .min = 1, .doc = "OS disk size in GB (> 0)"},
    {.key = "managedDisk",
     .kind = K::Object,
     .object = &kManagedDisk,
     .doc = "managed disk parameters"},
    {.key = "writeAcceleratorEnabled", .kind = K::Bool, .doc = "write accelerator"},
};
constexpr ObjectSpec kOsDisk{"osDisk", "BatchOsDisk", kOsDiskFields};

// BatchUefiSettings, SecurityProfile.
constexpr FieldSpec kUefiFields[] = {
    {.key = "secureBootEnabled", .kind = K::Bool, .doc = "secure boot"},
    {.key = "vTpmEnabled", .kind = K::Bool, .doc = "virtual TPM"},
};
constexpr ObjectSpec kUefi{"uefiSettings", "BatchUefiSettings", kUefiFields};
constexpr FieldSpec kSecurityProfileFields[] = {
    {.key = "encryptionAtHost", .kind = K::Bool, .doc = "encrypt every disk at the host"},
    {.key = "securityType",
     .kind = K::Enum,
     .values = kSecurityType,
     .doc = "trustedLaunch or confidentialVM; needed for uefiSettings"},
    {.key = "uefiSettings",
     .kind = K::Object,
     .object = &kUefi,
     .doc = "secure boot and vTPM (needs securityType)"},
};
constexpr ObjectSpec kSecurityProfile{"securityProfile", "SecurityProfile", kSecurityProfileFields};

// VMExtension.
constexpr FieldSpec kExtensionFields[] = {
    {.key = "name", .required = true, .doc = "extension name, unique in the pool"},
    {.key = "publisher", .required = true, .doc = "extension publisher"},
    {.key = "type", .required = true, .doc = "extension type"},
    {.key = "typeHandlerVersion", .doc = "extension version"},
    {.key = "autoUpgradeMinorVersion", .kind = K::Bool, .doc = "take newer minor versions"},
    {.key = "enableAutomaticUpgrade", .kind = K::Bool, .doc = "automatic upgrades"},
    {.key = "settings", .kind = K::Json, .doc = "public settings (any map)"},
    {.key = "protectedSettingsFile",
     .rest = "protectedSettings",
     .kind = K::JsonSecretFile,
     .doc = "file holding the protected settings as a JSON object"},
    {.key = "provisionAfterExtensions",
     .kind = K::StringList,
     .doc = "names of extensions of this pool to provision first"},
};
constexpr ObjectSpec kExtension{"extension", "VMExtension", kExtensionFields};

constexpr FieldSpec kWindowsConfigurationFields[] = {
    {.key = "enableAutomaticUpdates",
     .kind = K::Bool,
     .rest_default = "true",
     .doc = "Windows Update on the nodes; default true"},
};
constexpr ObjectSpec kWindowsConfiguration{"windowsConfiguration", "WindowsConfiguration",
                                           kWindowsConfigurationFields};
constexpr FieldSpec kNodePlacementFields[] = {
    {.key = "policy",
     .kind = K::Enum,
     .values = kPlacementPolicy,
     .rest_default = "\"regional\"",
     .doc = "regional or zonal; default regional",
     .arm_values = kArmPlacementPolicy},
};
constexpr ObjectSpec kNodePlacement{"nodePlacementConfiguration", "BatchNodePlacementConfiguration",
                                    kNodePlacementFields};
constexpr FieldSpec kServiceArtifactFields[] = {
    {.key = "id", .required = true, .doc = "ARM id of the service artifact reference"},
};
constexpr ObjectSpec kServiceArtifact{"serviceArtifactReference", "ServiceArtifactReference",
                                      kServiceArtifactFields};
constexpr FieldSpec kDiskEncryptionFields[] = {
    {.key = "targets",
     .kind = K::EnumList,
     .values = kDiskEncryptionTarget,
     .doc = "disks Batch encrypts (osdisk, temporarydisk)",
     .arm_values = kArmDiskEncryptionTarget},
};
constexpr ObjectSpec kDiskEncryption{"diskEncryptionConfiguration", "DiskEncryptionConfiguration",
                                     kDiskEncryptionFields};

// VirtualMachineConfiguration, without imageReference and nodeAgentSKUId (the pool's `image`
// and `nodeAgentSkuId` keys).
constexpr FieldSpec kVmConfigurationFields[] = {
    {.key = "dataDisks",
     .kind = K::ObjectList,
     .object = &kDataDisk,
     .doc = "data disks attached to every node"},
    {.key = "osDisk", .kind = K::Object, .object = &kOsDisk, .doc = "OS disk settings"},
    {.key = "containerConfiguration",
     .kind = K::Object,
     .object = &kContainerConfiguration,
     .doc = "container runtime, images and registries"},
    {.key = "nodePlacementConfiguration",
     .kind = K::Object,
     .object = &kNodePlacement,
     .doc = "regional or zonal allocation"},
    {.key = "securityProfile",
     .kind = K::Object,
     .object = &kSecurityProfile,
     .doc = "Trusted Launch / confidential VM, encryption at host"},
    {.key = "extensions",
     .kind = K::ObjectList,
     .object = &kExtension,
     .doc = "VM extensions installed on every node"},
    {.key = "licenseType", .doc = "Windows_Server or Windows_Client (Azure Hybrid Benefit)"},
    {.key = "windowsConfiguration",
     .kind = K::Object,
     .object = &kWindowsConfiguration,
     .doc = "Windows settings"},
    {.key = "serviceArtifactReference",
     .kind = K::Object,
     .object = &kServiceArtifact,
     .doc = "service artifact reference (same image version on every node)"},
    {.key = "diskEncryptionConfiguration",
     .kind = K::Object,
     .object = &kDiskEncryption,
     .doc = "disk encryption by Batch"},
};
constexpr ObjectSpec kVmConfiguration{"virtualMachineConfiguration", "VirtualMachineConfiguration",
                                      kVmConfigurationFields};

// NetworkSecurityGroupRule, BatchInboundNatPool, BatchPoolEndpointConfiguration.
constexpr FieldSpec kNsgRuleFields[] = {
    {.key = "priority",
     .kind = K::Int,
     .required = true,
     .min = 150,
     .max = 4096,
     .doc = "150-4096, unique in the pool"},
    {.key = "access",
     .kind = K::Enum,
     .required = true,
     .values = kAccess,
     .doc = "allow or deny",
     .arm_values = kArmAccess},
    {.key = "sourceAddressPrefix", .required = true, .doc = "IP, CIDR, service tag or *"},
    {.key = "sourcePortRanges", .kind = K::StringList, .doc = "ports or ranges; default *"},
};
constexpr ObjectSpec kNsgRule{"networkSecurityGroupRule", "NetworkSecurityGroupRule",
                              kNsgRuleFields};
constexpr FieldSpec kInboundNatPoolFields[] = {
    {.key = "name", .required = true, .max = 77, .doc = "endpoint name, unique in the pool"},
    {.key = "protocol",
     .kind = K::Enum,
     .required = true,
     .values = kProtocol,
     .doc = "tcp or udp",
     .arm_values = kArmProtocol},
    {.key = "backendPort",
     .kind = K::Int,
     .required = true,
     .min = 1,
     .max = 65535,
     .doc = "node port 1-65535, not 29876 or 29877"},
    {.key = "frontendPortRangeStart",
     .kind = K::Int,
     .required = true,
     .min = 1,
     .max = 65534,
     .doc = "first public port (not 50000-55000)"},
    {.key = "frontendPortRangeEnd",
     .kind = K::Int,
     .required = true,
     .min = 1,
     .max = 65534,
     .doc = "last public port; the range holds at least 40 ports"},
    {.key = "networkSecurityGroupRules",
     .kind = K::ObjectList,
     .object = &kNsgRule,
     .max_items = 25,
     .doc = "NSG rules (at most 25 per pool)"},
};
constexpr ObjectSpec kInboundNatPool{"inboundNATPool", "BatchInboundNatPool",
                                     kInboundNatPoolFields};
constexpr FieldSpec kEndpointConfigurationFields[] = {
    {.key = "inboundNATPools",
     .kind = K::ObjectList,
     .required = true,
     .object = &kInboundNatPool,
     .max_items = 5,
     .doc = "at most 5 inbound NAT pools",
     .arm = "inboundNatPools"},
};
constexpr ObjectSpec kEndpointConfiguration{
    "endpointConfiguration", "BatchPoolEndpointConfiguration", kEndpointConfigurationFields};
constexpr FieldSpec kPublicIpFields[] = {
    {.key = "provision",
     .kind = K::Enum,
     .values = kIpProvisioning,
     .rest_default = "\"batchmanaged\"",
     .doc = "batchmanaged (default), usermanaged or nopublicipaddresses",
     .arm_values = kArmIpProvisioning},
    {.key = "ipAddressIds",
     .kind = K::StringList,
     .doc = "public IP resource ids (provision usermanaged)"},
};
constexpr ObjectSpec kPublicIp{"publicIPAddressConfiguration", "BatchPublicIpAddressConfiguration",
                               kPublicIpFields};
constexpr FieldSpec kNetworkConfigurationFields[] = {
    {.key = "subnetId", .doc = "ARM id of the subnet the nodes join"},
    {.key = "dynamicVNetAssignmentScope",
     .kind = K::Enum,
     .values = kVNetScope,
     .rest_default = "\"none\"",
     .doc = "none (default) or job",
     .arm = "dynamicVnetAssignmentScope"},
    {.key = "endpointConfiguration",
     .kind = K::Object,
     .object = &kEndpointConfiguration,
     .doc = "inbound NAT pools"},
    {.key = "publicIPAddressConfiguration",
     .kind = K::Object,
     .object = &kPublicIp,
     .doc = "public IP addresses of the nodes"},
    {.key = "enableAcceleratedNetworking",
     .kind = K::Bool,
     .rest_default = "false",
     .doc = "accelerated networking; default false"},
};
constexpr ObjectSpec kNetworkConfiguration{"networkConfiguration", "NetworkConfiguration",
                                           kNetworkConfigurationFields};

// MountConfiguration and its four file systems.
constexpr FieldSpec kBlobfuseFields[] = {
    {.key = "accountName", .required = true, .doc = "storage account"},
    {.key = "containerName", .required = true, .doc = "blob container"},
    {.key = "accountKeyFile",
     .rest = "accountKey",
     .kind = K::SecretFile,
     .doc = "file holding the account key (one of accountKeyFile, sasKeyFile, "
            "identityReference)"},
    {.key = "sasKeyFile",
     .rest = "sasKey",
     .kind = K::SecretFile,
     .doc = "file holding a SAS token"},
    {.key = "blobfuseOptions", .doc = "extra blobfuse options"},
    {.key = "relativeMountPath",
     .required = true,
     .doc = "mount path under AZ_BATCH_NODE_MOUNTS_DIR, unique in the pool"},
    {.key = "identityReference",
     .kind = K::Object,
     .object = &kIdentityReference,
     .doc = "identity with access to the container"},
};
constexpr ObjectSpec kBlobfuse{"azureBlobFileSystemConfiguration",
                               "AzureBlobFileSystemConfiguration", kBlobfuseFields};
constexpr FieldSpec kNfsFields[] = {
    {.key = "source", .required = true, .doc = "NFS source"},
    {.key = "relativeMountPath", .required = true, .doc = "mount path, unique in the pool"},
    {.key = "mountOptions", .doc = "extra mount options"},
};
constexpr ObjectSpec kNfs{"nfsMountConfiguration", "NfsMountConfiguration", kNfsFields};
constexpr FieldSpec kCifsFields[] = {
    {.key = "username", .required = true, .doc = "CIFS user", .arm = "userName"},
    {.key = "source", .required = true, .doc = "CIFS source"},
    {.key = "relativeMountPath", .required = true, .doc = "mount path, unique in the pool"},
    {.key = "mountOptions", .doc = "extra mount options"},
    {.key = "passwordFile",
     .rest = "password",
     .kind = K::SecretFile,
     .required = true,
     .doc = "file holding the CIFS password"},
};
constexpr ObjectSpec kCifs{"cifsMountConfiguration", "CifsMountConfiguration", kCifsFields};
constexpr FieldSpec kFileShareFields[] = {
    {.key = "accountName", .required = true, .doc = "storage account"},
    {.key = "azureFileUrl", .required = true, .doc = "https://ACCOUNT.file.core.windows.net/SHARE"},
    {.key = "accountKeyFile",
     .rest = "accountKey",
     .kind = K::SecretFile,
     .required = true,
     .doc = "file holding the account key"},
    {.key = "relativeMountPath", .required = true, .doc = "mount path, unique in the pool"},
    {.key = "mountOptions", .doc = "extra mount options"},
};
constexpr ObjectSpec kFileShare{"azureFileShareConfiguration", "AzureFileShareConfiguration",
                                kFileShareFields};
constexpr FieldSpec kMountFields[] = {
    {.key = "azureBlobFileSystemConfiguration",
     .kind = K::Object,
     .object = &kBlobfuse,
     .doc = "blobfuse mount"},
    {.key = "nfsMountConfiguration", .kind = K::Object, .object = &kNfs, .doc = "NFS mount"},
    {.key = "cifsMountConfiguration", .kind = K::Object, .object = &kCifs, .doc = "CIFS mount"},
    {.key = "azureFileShareConfiguration",
     .kind = K::Object,
     .object = &kFileShare,
     .doc = "Azure Files mount"},
};
constexpr ObjectSpec kMount{"mountConfiguration", "MountConfiguration", kMountFields};

// UserAccount.
constexpr FieldSpec kLinuxUserFields[] = {
    {.key = "uid", .kind = K::Int, .min = 0, .doc = "user id (with gid)"},
    {.key = "gid", .kind = K::Int, .min = 0, .doc = "group id (with uid)"},
    {.key = "sshPrivateKeyFile",
     .rest = "sshPrivateKey",
     .kind = K::SecretFile,
     .doc = "file holding an unencrypted SSH private key"},
};
constexpr ObjectSpec kLinuxUser{"linuxUserConfiguration", "LinuxUserConfiguration",
                                kLinuxUserFields};
constexpr FieldSpec kWindowsUserFields[] = {
    {.key = "loginMode",
     .kind = K::Enum,
     .values = kLoginMode,
     .doc = "batch or interactive",
     .arm_values = kArmLoginMode},
};
constexpr ObjectSpec kWindowsUser{"windowsUserConfiguration", "WindowsUserConfiguration",
                                  kWindowsUserFields};
constexpr FieldSpec kUserAccountFields[] = {
    {.key = "name", .required = true, .max = 20, .doc = "user name (<= 20), unique in the pool"},
    {.key = "passwordFile",
     .rest = "password",
     .kind = K::SecretFile,
     .required = true,
     .doc = "file holding the password"},
    {.key = "elevationLevel",
     .kind = K::Enum,
     .values = kElevation,
     .rest_default = "\"nonadmin\"",
     .doc = "nonadmin (default) or admin",
     .arm_values = kArmElevation},
    {.key = "linuxUserConfiguration",
     .kind = K::Object,
     .object = &kLinuxUser,
     .doc = "Linux uid/gid and SSH key"},
    {.key = "windowsUserConfiguration",
     .kind = K::Object,
     .object = &kWindowsUser,
     .doc = "Windows login mode"},
};
constexpr ObjectSpec kUserAccount{"userAccount", "UserAccount", kUserAccountFields};

constexpr FieldSpec kAppPackageFields[] = {
    {.key = "applicationId",
     .required = true,
     .doc = "application id (fully qualified ARM id when creating)",
     .arm = "id"},
    {.key = "version", .doc = "version; default the application's default version"},
};
constexpr ObjectSpec kAppPackage{"applicationPackageReference", "BatchApplicationPackageReference",
                                 kAppPackageFields};
constexpr FieldSpec kSchedulingFields[] = {
    {.key = "nodeFillType",
     .kind = K::Enum,
     .required = true,
     .values = kFillType,
     .rest_default = "\"spread\"",
     .doc = "spread or pack",
     .arm_values = kArmFillType},
};
constexpr ObjectSpec kScheduling{"taskSchedulingPolicy", "BatchTaskSchedulingPolicy",
                                 kSchedulingFields};

// UpgradePolicy.
constexpr FieldSpec kAutoOsUpgradeFields[] = {
    {.key = "disableAutomaticRollback", .kind = K::Bool, .doc = "no rollback on failure"},
    {.key = "enableAutomaticOSUpgrade", .kind = K::Bool, .doc = "automatic OS upgrades"},
    {.key = "useRollingUpgradePolicy", .kind = K::Bool, .doc = "upgrade with the rolling policy"},
    {.key = "osRollingUpgradeDeferral", .kind = K::Bool, .doc = "defer while tasks run"},
};
constexpr ObjectSpec kAutoOsUpgrade{"automaticOSUpgradePolicy", "AutomaticOsUpgradePolicy",
                                    kAutoOsUpgradeFields};
constexpr FieldSpec kRollingUpgradeFields[] = {
    {.key = "enableCrossZoneUpgrade", .kind = K::Bool, .doc = "batches across zones"},
    {.key = "maxBatchInstancePercent",
     .kind = K::Int,
     .min = 5,
     .max = 100,
     .doc = "5-100 percent of nodes per batch"},
    {.key = "maxUnhealthyInstancePercent",
     .kind = K::Int,
     .min = 5,
     .max = 100,
     .doc = "5-100 percent unhealthy allowed"},
    {.key = "maxUnhealthyUpgradedInstancePercent",
     .kind = K::Int,
     .min = 0,
     .max = 100,
     .doc = "0-100 percent unhealthy after upgrade"},
    {.key = "pauseTimeBetweenBatches", .doc = "ISO-8601 duration between batches"},
    {.key = "prioritizeUnhealthyInstances", .kind = K::Bool, .doc = "unhealthy nodes first"},
    {.key = "rollbackFailedInstancesOnPolicyBreach",
     .kind = K::Bool,
     .doc = "roll back failed nodes"},
};
constexpr ObjectSpec kRollingUpgrade{"rollingUpgradePolicy", "RollingUpgradePolicy",
                                     kRollingUpgradeFields};
constexpr FieldSpec kUpgradePolicyFields[] = {
    {.key = "mode",
     .kind = K::Enum,
     .required = true,
     .values = kUpgradeMode,
     .doc = "automatic, manual or rolling"},
    {.key = "automaticOSUpgradePolicy",
     .kind = K::Object,
     .object = &kAutoOsUpgrade,
     .doc = "automatic OS upgrade settings"},
    {.key = "rollingUpgradePolicy",
     .kind = K::Object,
     .object = &kRollingUpgrade,
     .doc = "rolling upgrade settings"},
};
constexpr ObjectSpec kUpgradePolicy{"upgradePolicy", "UpgradePolicy", kUpgradePolicyFields};

// BatchPoolCreateOptions: the table-declared top-level members.
constexpr FieldSpec kPoolFields[] = {
    {.key = "displayName",
     .update = U::EmptyOnly,
     .max = 1024,
     .doc = "display name (<= 1024 characters)"},
    {.key = "virtualMachineConfiguration",
     .kind = K::Object,
     .update = U::EmptyOnly,
     .object = &kVmConfiguration,
     .doc = "VM settings besides image and nodeAgentSkuId (disks, containers, security, ...)",
     .arm = "deploymentConfiguration/virtualMachineConfiguration"},
    {.key = "networkConfiguration",
     .kind = K::Object,
     .update = U::EmptyOnly,
     .object = &kNetworkConfiguration,
     .doc = "subnet, public IPs, endpoints"},
    {.key = "mountConfiguration",
     .kind = K::ObjectList,
     .update = U::EmptyOnly,
     .object = &kMount,
     .doc = "file systems mounted on every node"},
    {.key = "userAccounts",
     .kind = K::ObjectList,
     .update = U::EmptyOnly,
     .object = &kUserAccount,
     .doc = "user accounts created on every node"},
    {.key = "applicationPackageReferences",
     .kind = K::ObjectList,
     .update = U::Patchable,
     .object = &kAppPackage,
     .max_items = 10,
     .doc = "at most 10 application packages",
     .arm = "applicationPackages"},
    {.key = "taskSchedulingPolicy",
     .kind = K::Object,
     .update = U::EmptyOnly,
     .object = &kScheduling,
     .doc = "how tasks spread over nodes"},
    {.key = "enableInterNodeCommunication",
     .kind = K::Bool,
     .update = U::EmptyOnly,
     .rest_default = "false",
     .doc = "direct node-to-node traffic; default false",
     .arm = "interNodeCommunication",
     .arm_values = kArmInterNode},
    {.key = "targetNodeCommunicationMode",
     .kind = K::Enum,
     .update = U::Patchable,
     .values = kCommunicationMode,
     .rest_default = "\"default\"",
     .doc = "default, classic or simplified",
     .arm = "-"},
    {.key = "resourceTags",
     .kind = K::StringMap,
     .update = U::EmptyOnly,
     .doc = "tags on the pool's Azure resources (UserSubscription accounts)",
     .arm = "-"},
    {.key = "upgradePolicy",
     .kind = K::Object,
     .update = U::EmptyOnly,
     .object = &kUpgradePolicy,
     .doc = "OS upgrade policy"},
};
constexpr ObjectSpec kPool{"pool", "BatchPoolCreateOptions", kPoolFields};

// BatchStartTask additions: ResourceFile, BatchTaskContainerSettings, UserIdentity.
constexpr FieldSpec kResourceFileFields[] = {
    {.key = "autoStorageContainerName",
     .doc = "container in the account's auto-storage (one of the three sources)"},
    {.key = "storageContainerUrl", .doc = "blob container URL without a SAS"},
    {.key = "httpUrl", .doc = "file URL without a SAS (needs filePath)"},
    {.key = "blobPrefix", .doc = "only blobs with this prefix (container sources)"},
    {.key = "filePath", .doc = "where the file(s) go, relative to the task directory"},
    {.key = "fileMode", .doc = "octal mode on Linux, e.g. 0755; default 0770"},
    {.key = "identityReference",
     .kind = K::Object,
     .object = &kIdentityReference,
     .doc = "identity with read access to the URL"},
};
constexpr ObjectSpec kResourceFile{"resourceFile", "ResourceFile", kResourceFileFields};
constexpr FieldSpec kContainerSettingsFields[] = {
    {.key = "imageName", .required = true, .doc = "image the start task runs in"},
    {.key = "containerRunOptions", .doc = "extra docker create options"},
    {.key = "registry",
     .kind = K::Object,
     .object = &kContainerRegistry,
     .doc = "registry of the image (if not given in containerConfiguration)"},
    {.key = "workingDirectory",
     .kind = K::Enum,
     .values = kWorkingDirectory,
     .rest_default = "\"taskWorkingDirectory\"",
     .doc = "taskWorkingDirectory (default) or containerImageDefault",
     .arm_values = kArmWorkingDirectory},
};
constexpr ObjectSpec kContainerSettings{"containerSettings", "BatchTaskContainerSettings",
                                        kContainerSettingsFields};
constexpr FieldSpec kAutoUserFields[] = {
    {.key = "scope",
     .kind = K::Enum,
     .values = kAutoUserScope,
     .rest_default = "\"pool\"",
     .doc = "task or pool",
     .arm_values = kArmAutoUserScope},
    {.key = "elevationLevel",
     .kind = K::Enum,
     .values = kElevation,
     .rest_default = "\"nonadmin\"",
     .doc = "nonadmin (default) or admin",
     .arm_values = kArmElevation},
};
constexpr ObjectSpec kAutoUser{"autoUser", "AutoUserSpecification", kAutoUserFields};
constexpr FieldSpec kUserIdentityFields[] = {
    {.key = "userName",
     .rest = "username",
     .doc = "a user account of the pool (or autoUser, not both)",
     .arm = "userName"},
    {.key = "autoUser",
     .kind = K::Object,
     .object = &kAutoUser,
     .doc = "the auto user (or userName, not both)"},
};
constexpr ObjectSpec kUserIdentity{"userIdentity", "UserIdentity", kUserIdentityFields};
constexpr FieldSpec kStartTaskFields[] = {
    {.key = "resourceFiles",
     .kind = K::ObjectList,
     .object = &kResourceFile,
     .doc = "files downloaded before the command runs"},
    {.key = "containerSettings",
     .kind = K::Object,
     .object = &kContainerSettings,
     .doc = "run in a container (needs the pool's containerConfiguration)"},
    {.key = "userIdentity",
     .kind = K::Object,
     .object = &kUserIdentity,
     .doc = "user the task runs as (not with elevated)"},
};
constexpr ObjectSpec kStartTask{"startTask", "BatchStartTask", kStartTaskFields};

void Collect(const ObjectSpec& o, std::vector<const ObjectSpec*>& out) {
    if (std::find(out.begin(), out.end(), &o) != out.end()) return;
    out.push_back(&o);
    for (const auto& f : o.fields)
        if (f.object) Collect(*f.object, out);
}

}  // namespace

const ObjectSpec& PoolFields() { return kPool; }
const ObjectSpec& StartTaskFields() { return kStartTask; }

const std::vector<const ObjectSpec*>& AllPoolObjects() {
    static const std::vector<const ObjectSpec*> all = [] {
        std::vector<const ObjectSpec*> out;
        Collect(kPool, out);
        Collect(kStartTask, out);
        return out;
    }();
    return all;
}

}  // namespace pw::model
