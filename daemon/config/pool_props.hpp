#pragma once
// Internal to pw_config: the table-driven part of a pool file (model/pool_fields.hpp) and the
// cross-field rules Batch's spec states, each a named function (pool_props.cpp,
// pool_rules.cpp).

#include <filesystem>
#include <string_view>

#include "config/checker.hpp"
#include "config/yaml_tree.hpp"
#include "model/desired.hpp"
#include "model/pool_fields.hpp"

namespace pw::config::detail {

/// Reads the members of `map` that `spec` declares into an Object PropValue, reporting wrong
/// types, ranges, enums, missing required members, literal secrets (naming the `...File` key)
/// and SAS URLs. `check_keys`: also report keys `spec` does not declare (nested objects; the
/// pool and startTask levels check theirs with KnownKeys). Secret file paths are resolved
/// against `base_dir` and not read.
model::PropValue ParseProps(Checker& c, const YamlNode& map, const model::ObjectSpec& spec,
                            const std::filesystem::path& base_dir, bool check_keys);

/// The message for a literal secret key such as `password:`; `file_key` is the key to use.
std::string LiteralSecretMessage(std::string_view file_key);

/// The cross-field rules of one object, by ObjectSpec name (called by ParseProps after the
/// object's own members are read).
void CheckObjectRules(Checker& c, const model::ObjectSpec& spec, const YamlNode& node,
                      const model::PropValue& value);

/// Rules spanning the whole pool (unique mount paths, NSG priorities, container settings
/// against containerConfiguration, elevated against userIdentity, ...).
void CheckPoolRules(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool);

/// Reads `identity: {type: UserAssigned, userAssignedIdentities: [ARM id, ...]}` into
/// `pool.identities` (pool_identity.cpp).
void ParseIdentity(Checker& c, const YamlNode& node, model::PoolSpec& pool);

/// An identity needs `poolApi: arm` on the pool's account (nullptr: unknown account, already
/// reported); every identityReference.resourceId names one of the pool's identities.
void CheckIdentityRules(Checker& c, const YamlNode& pool_node, const model::PoolSpec& pool,
                        const model::AccountSpec* account);

}  // namespace pw::config::detail
