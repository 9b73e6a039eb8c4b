#pragma once
// Private to the store: what the clustering and array exports share (project_export.cpp,
// export_arrays.cpp, export_target.cpp).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>

#include "corral/core/expected.h"

namespace corral::store {

// The hidden file that marks a folder as a Corral export, so that `overwrite` may replace it
// (and nothing else: a folder the user made is never deleted).
inline constexpr const char* kExportMarker = ".corral-export";

bool is_valid_utf8(std::string_view text);
// JSON text that never throws on bytes that are not UTF-8 (they become U+FFFD).
std::string json_text(const nlohmann::json& value, int indent);
// Lowercase hex of the bytes, for the exact form of a name JSON cannot hold.
std::string hex_bytes(std::string_view bytes);
std::string csv_field(const std::string& text);

// Writes `text` to `path` atomically (a temporary beside it, renamed).
Status write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace corral::store
