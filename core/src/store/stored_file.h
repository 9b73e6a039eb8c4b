#pragma once
// Large files of a project (embeddings, maps, checkpoints): written to a temporary name,
// fsynced and renamed, so a reader sees the old file or the new one, never half of one; read
// back only when their size and CRC-32 match, so a truncated file is detected, never used.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/matrix.h"

namespace corral::store {

struct FileSeal {
    std::int64_t size_bytes = 0;
    std::uint32_t checksum = 0;  // CRC-32 of the whole file
};

std::uint32_t crc32_of(std::span<const std::byte> bytes, std::uint32_t running = 0);

// The Error for a failed system call on `path` (errno ENOSPC -> disk_full, EACCES -> io_error ...).
Error error_from_errno(int error_number, const std::filesystem::path& path, std::string_view operation);

// Writes `parts` one after another into `path` via PATH.tmp-PID; on failure `path` is untouched
// and the temporary file removed.
Expected<FileSeal> write_file_atomically(const std::filesystem::path& path,
                                         std::initializer_list<std::span<const std::byte>> parts);
// Reads the whole file; corrupt_data when its size or checksum differ from `seal`.
Expected<std::vector<std::byte>> read_sealed_file(const std::filesystem::path& path, const FileSeal& seal);

// Matrix files: a 48-byte header (magic "CORRALMX", version, rows, cols, payload CRC-32,
// header CRC-32) then rows*cols little-endian float32. Self-checking: read_matrix_file verifies
// the size implied by the header and both checksums.
Expected<FileSeal> write_matrix_file(const std::filesystem::path& path, const FloatMatrix& matrix);
Expected<FloatMatrix> read_matrix_file(const std::filesystem::path& path);
// The same checks, but the matrix shares a read-only mapping of the file instead of a copy (files
// under 1 MiB are read). The store replaces files by renaming, so a mapping keeps the old contents.
Expected<FloatMatrix> map_matrix_file(const std::filesystem::path& path);

// A file name for an arbitrary id: safe characters kept, anything else '_', plus a short hash
// of the id so two ids never share a file.
std::string file_name_for(std::string_view id);

}  // namespace corral::store
