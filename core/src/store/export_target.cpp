// Where an export may write: never into a project, never over something the user did not agree
// to replace. Also the small helpers the exports share.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <span>

#include "corral/core/project_export.h"
#include "store/export_support.h"
#include "store/project_impl.h"
#include "store/stored_file.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

fs::path resolved(const fs::path& path) {
    std::error_code error;
    const fs::path absolute = fs::absolute(path, error);
    const fs::path canonical = fs::weakly_canonical(error ? path : absolute, error);
    return (error ? absolute : canonical).lexically_normal();
}

bool is_within(const fs::path& path, const fs::path& folder) {
    auto [folder_end, path_end] = std::mismatch(folder.begin(), folder.end(), path.begin(), path.end());
    // A trailing separator shows up as an empty last element of `folder`.
    return folder_end == folder.end() || (std::next(folder_end) == folder.end() && folder_end->empty());
}

// The nearest folder at or above `path` that holds a project database, if any.
std::optional<fs::path> enclosing_project(const fs::path& path) {
    std::error_code error;
    for (fs::path folder = path; !folder.empty(); folder = folder.parent_path()) {
        if (fs::exists(folder / store::kDatabaseFile, error)) return folder;
        if (folder == folder.root_path()) break;
    }
    return std::nullopt;
}

}  // namespace

Status check_export_target(const Project& project, const fs::path& output, bool as_folder, bool overwrite) {
    if (output.empty()) return make_error(ErrorCode::invalid_argument, "export needs an output path");
    const fs::path target = resolved(output);
    const fs::path project_folder = resolved(project.folder());
    if (is_within(target, project_folder)) {
        return make_error(ErrorCode::invalid_argument,
                          output.string() + ": refused, it is inside the project folder " + project_folder.string() +
                              "; an export there could destroy the project. Choose a place outside it");
    }
    return check_output_target(output, as_folder, overwrite);
}

Status check_output_target(const fs::path& output, bool as_folder, bool overwrite) {
    if (output.empty()) return make_error(ErrorCode::invalid_argument, "an output path is needed");
    const fs::path target = resolved(output);
    const std::string refused = output.string() + ": refused, ";
    if (auto other = enclosing_project(target)) {
        return make_error(ErrorCode::invalid_argument, refused + "it is inside the Corral project " + other->string() +
                                                           "; an export there could destroy that project");
    }
    std::error_code error;
    const auto status = fs::symlink_status(output, error);
    if (!fs::exists(status)) {
        if (!as_folder) {
            const fs::path folder = target.parent_path();
            if (!fs::is_directory(folder, error)) {
                return make_error(ErrorCode::not_found, output.string() + ": cannot be written, the folder " +
                                                            folder.string() + " does not exist");
            }
        }
        return ok();
    }
    const bool is_folder = fs::is_directory(fs::status(output, error));
    if (!as_folder) {
        if (is_folder) return make_error(ErrorCode::invalid_argument, refused + "it is a folder; name a file");
        if (!overwrite) {
            return make_error(ErrorCode::invalid_argument,
                              refused + "the file exists. Replace it only on purpose: --force on the command line, "
                                        "or confirm in the application");
        }
        return ok();
    }
    if (!is_folder) return make_error(ErrorCode::invalid_argument, refused + "it is a file, not a folder");
    if (fs::is_empty(output, error)) return ok();
    if (!overwrite) {
        return make_error(ErrorCode::invalid_argument,
                          refused + "the folder exists and is not empty. Choose a new or empty folder, or (for an "
                                    "earlier Corral export) replace it on purpose: --force, or confirm in the application");
    }
    if (!fs::exists(output / store::kExportMarker, error)) {
        return make_error(ErrorCode::invalid_argument,
                          refused + "the folder is not an earlier Corral export, so it is never replaced; choose a "
                                    "new or empty folder");
    }
    return ok();
}

namespace store {

bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        int extra = 0;
        std::uint32_t code = 0;
        if (byte < 0x80) {
            ++i;
            continue;
        } else if ((byte & 0xE0) == 0xC0) {
            extra = 1;
            code = byte & 0x1F;
        } else if ((byte & 0xF0) == 0xE0) {
            extra = 2;
            code = byte & 0x0F;
        } else if ((byte & 0xF8) == 0xF0) {
            extra = 3;
            code = byte & 0x07;
        } else {
            return false;
        }
        if (i + static_cast<std::size_t>(extra) >= text.size()) return false;
        for (int k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
            if ((next & 0xC0) != 0x80) return false;
            code = (code << 6) | (next & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
        static constexpr std::uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
        if (code < kSmallest[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
        i += static_cast<std::size_t>(extra) + 1;
    }
    return true;
}

std::string json_text(const nlohmann::json& value, int indent) {
    return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string hex_bytes(std::string_view bytes) {
    std::string hex;
    for (unsigned char byte : bytes) {
        char pair[3];
        std::snprintf(pair, sizeof pair, "%02x", byte);
        hex += pair;
    }
    return hex;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

Status write_text_file(const fs::path& path, const std::string& text) {
    auto sealed = write_file_atomically(path, {std::as_bytes(std::span(text.data(), text.size()))});
    if (!sealed) return sealed.error();
    return ok();
}

}  // namespace store
}  // namespace corral
