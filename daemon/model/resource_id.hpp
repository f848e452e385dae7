#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pw::model {

/// A parsed Azure Compute Gallery image version resource id:
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}/images/{i}/versions/{v}`.
/// Segment keywords compare case-insensitively (as ARM does); names keep their case.
///
/// Thread safety: a value type.
struct ImageVersionId {
    std::string subscription_id;
    std::string resource_group;
    std::string gallery;
    std::string image;
    std::string version;  ///< `<major>.<minor>.<patch>`, each within int32.

    /// Canonical text form of the version id.
    std::string str() const;
    /// The image definition this version belongs to (no `/versions/...`).
    std::string image_definition_id() const;
    /// Lower-case form used as a map key (ARM ids are case-insensitive).
    std::string key() const;

    friend bool operator==(const ImageVersionId&, const ImageVersionId&) = default;
};

/// Parses an image version id; nullopt with `*why` set to the reason when malformed.
std::optional<ImageVersionId> ParseImageVersionId(std::string_view text,
                                                  std::string* why = nullptr);

/// ASCII case-insensitive equality (ARM names and ids, Batch enumeration values).
bool IEquals(std::string_view a, std::string_view b);

/// ASCII lower case (as std::tolower in the "C" locale, which the daemon never changes), for
/// case-insensitive keys: ids, VM sizes, families, enumeration values.
std::string Lower(std::string_view s);

/// `gallery/image/version` of an image version id, or the text itself when it is not one.
std::string ShortImageVersion(std::string_view id);

/// Parses an image definition id (`.../galleries/{g}/images/{i}`, no `/versions/...`): the
/// result has an empty `version`. nullopt with `*why` set when malformed.
std::optional<ImageVersionId> ParseImageDefinitionId(std::string_view text,
                                                     std::string* why = nullptr);

/// Compares gallery image version names (`<major>.<minor>.<patch>`) numerically: -1, 0 or 1.
/// A malformed name sorts below every well-formed one. Pure.
int CompareVersionNames(std::string_view a, std::string_view b);

/// Lower-cases an ARM resource id for use as a map key.
std::string ResourceKey(std::string_view id);

/// Azure region names compare case- and space-insensitively: "East US" == "eastus".
std::string NormalizeRegion(std::string_view region);

}  // namespace pw::model
