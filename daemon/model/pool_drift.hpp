#pragma once

#include <string>
#include <vector>

#include "model/desired.hpp"
#include "model/observed.hpp"
#include "model/pool_fields.hpp"

namespace pw::model {

/// One table-declared property whose live value differs from the pool file's.
///
/// Thread safety: a value type.
struct PropertyDrift {
    std::string path;    ///< YAML path, e.g. `virtualMachineConfiguration.osDisk.caching`.
    UpdateClass update;  ///< Of the top-level field (Patchable, EmptyOnly or Fixed).
    std::string want;    ///< Compact text of the pool file's value.
    std::string have;    ///< Compact text of the live value, `(absent)` when Batch has none.
};

/// Compares a pool file's table-declared properties (`want`, as loaded) with the live pool's
/// (`have`, as decoded from Batch), the way Azure's defaults read: a member absent from `want`
/// is not drift; a member of `want` that Batch does not return is drift unless it equals the
/// field's REST default; enum strings compare case-insensitively (Batch may return another
/// spelling); lists compare as multisets (the spec states no order for any of them); free-form
/// maps (extension settings, resourceTags) compare as JSON objects, members in any order;
/// secret files are never compared (Batch never returns a secret; poolwarden's spec hash covers
/// their paths). Nested differences are reported at the deepest differing member. Pure.
std::vector<PropertyDrift> DiffProperties(const PropValue& want, const PropValue& have,
                                          const ObjectSpec& spec);

/// DiffProperties of a pool's table-declared properties (PoolFields()) and, when the spec has a
/// start task, of its table-declared members (StartTaskFields(), paths `startTask.<key>`,
/// Patchable as the whole startTask is). Pure.
std::vector<PropertyDrift> PoolPropertyDrift(const PoolSpec& spec, const ObservedProperties& have);

/// YAML paths of the secret files `properties` names, in document order (the order of
/// PoolSpec::property_secret_digest's digests), e.g.
/// `mountConfiguration[0].azureBlobFileSystemConfiguration.accountKeyFile`. Pure.
std::vector<std::string> SecretFilePaths(const PropValue& properties);

/// `path old -> new` (the live value first, then the pool file's), for findings and reasons.
std::string DescribeDrift(const PropertyDrift& drift);

/// Compact one-line text of a value (for findings): `true`, `7`, `"text"`, `[...]`, `{...}`.
std::string DescribeProp(const PropValue& value);

}  // namespace pw::model
