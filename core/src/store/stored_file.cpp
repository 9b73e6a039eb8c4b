#include "store/stored_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <utility>

namespace corral::store {
namespace {

namespace fs = std::filesystem;

constexpr char kMatrixMagic[8] = {'C', 'O', 'R', 'R', 'A', 'L', 'M', 'X'};
constexpr std::uint32_t kMatrixVersion = 1;

struct MatrixHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t header_bytes;
    std::int64_t rows;
    std::int64_t cols;
    std::uint32_t payload_checksum;
    std::uint32_t reserved;
    std::uint32_t reserved2;
    std::uint32_t header_checksum;  // CRC-32 of all fields above
};
static_assert(sizeof(MatrixHeader) == 48);

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

Status write_all(int fd, std::span<const std::byte> bytes, const fs::path& path) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0) {
            if (errno == EINTR) continue;
            return error_from_errno(errno, path, "write");
        }
        bytes = bytes.subspan(static_cast<std::size_t>(written));
    }
    return ok();
}

Status sync_folder(const fs::path& given) {
    const fs::path folder = given.empty() ? fs::path(".") : given;
    FileDescriptor fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return error_from_errno(errno, folder, "open folder");
    if (::fsync(fd.get()) != 0 && errno != EINVAL) return error_from_errno(errno, folder, "fsync folder");
    return ok();
}

// Opens `path` for reading (not_found when it is missing) and tells its size.
struct OpenedFile {
    int fd = -1;
    std::size_t size_bytes = 0;
};

Expected<OpenedFile> open_for_reading(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return make_error(ErrorCode::not_found, path.string() + ": missing");
        return error_from_errno(errno, path, "open");
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int error_number = errno;
        ::close(fd);
        return error_from_errno(error_number, path, "stat");
    }
    return OpenedFile{fd, static_cast<std::size_t>(info.st_size)};
}

// Reads the `size_bytes` an open file had when it was opened (fewer when it shrank meanwhile).
Expected<std::vector<std::byte>> read_open_file(const FileDescriptor& fd, std::size_t size_bytes, const fs::path& path) {
    std::vector<std::byte> bytes(size_bytes);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t got = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return error_from_errno(errno, path, "read");
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    bytes.resize(done);
    return bytes;
}

Expected<std::vector<std::byte>> read_whole_file(const fs::path& path) {
    auto opened = open_for_reading(path);
    if (!opened) return opened.error();
    FileDescriptor fd(opened->fd);
    return read_open_file(fd, opened->size_bytes, path);
}

std::string hex32(std::uint32_t value) {
    char text[9];
    std::snprintf(text, sizeof text, "%08x", value);
    return text;
}

}  // namespace

std::uint32_t crc32_of(std::span<const std::byte> bytes, std::uint32_t running) {
    uLong crc = running;
    // zlib takes at most uInt bytes per call.
    constexpr std::size_t kChunk = 1u << 30;
    for (std::size_t offset = 0; offset < bytes.size(); offset += kChunk) {
        const std::size_t length = std::min(kChunk, bytes.size() - offset);
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(length));
    }
    return static_cast<std::uint32_t>(crc);
}

Error error_from_errno(int error_number, const fs::path& path, std::string_view operation) {
    const std::string where = path.string() + ": " + std::string(operation) + " failed: " + std::strerror(error_number);
    if (error_number == ENOSPC || error_number == EFBIG || error_number == EDQUOT) {
        return make_error(ErrorCode::disk_full, where + " (the disk is full; the file was not replaced)");
    }
    if (error_number == EACCES || error_number == EROFS || error_number == EPERM) {
        return make_error(ErrorCode::io_error, where + " (the folder is read-only or not writable by this user)");
    }
    if (error_number == ENOENT) return make_error(ErrorCode::not_found, where);
    return make_error(ErrorCode::io_error, where);
}

Expected<FileSeal> write_file_atomically(const fs::path& path, std::initializer_list<std::span<const std::byte>> parts) {
    // Unique per process and per call, so concurrent writers never share a temporary file.
    static std::atomic<unsigned> counter{0};
    const fs::path temporary =
        path.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    FileSeal seal;
    // Errors name `path`: the temporary file is ours, the user never asked for it.
    auto attempt = [&]() -> Status {
        FileDescriptor fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (fd.get() < 0) {
            const int error_number = errno;
            std::error_code ignored;
            const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
            if (error_number == ENOENT && !fs::is_directory(folder, ignored)) {
                return make_error(ErrorCode::not_found,
                                  path.string() + ": cannot be written, the folder " + folder.string() + " does not exist");
            }
            return error_from_errno(error_number, path, "create");
        }
        for (const auto& part : parts) {
            if (auto written = write_all(fd.get(), part, path); !written) return written.error();
            seal.size_bytes += static_cast<std::int64_t>(part.size());
            seal.checksum = crc32_of(part, seal.checksum);
        }
        if (::fsync(fd.get()) != 0) return error_from_errno(errno, path, "fsync");
        if (::close(fd.release()) != 0) return error_from_errno(errno, path, "close");
        if (::rename(temporary.c_str(), path.c_str()) != 0) return error_from_errno(errno, path, "rename");
        return sync_folder(path.parent_path());
    };
    if (auto done = attempt(); !done) {
        ::unlink(temporary.c_str());
        return done.error();
    }
    return seal;
}

Expected<std::vector<std::byte>> read_sealed_file(const fs::path& path, const FileSeal& seal) {
    auto bytes = read_whole_file(path);
    if (!bytes) return bytes.error();
    if (static_cast<std::int64_t>(bytes->size()) != seal.size_bytes) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": truncated or changed (" +
                                                       std::to_string(bytes->size()) + " bytes, expected " +
                                                       std::to_string(seal.size_bytes) + ")");
    }
    if (crc32_of(*bytes) != seal.checksum) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": damaged (checksum mismatch)");
    }
    return bytes;
}

Expected<FileSeal> write_matrix_file(const fs::path& path, const FloatMatrix& matrix) {
    static_assert(std::endian::native == std::endian::little, "matrix files are little-endian");
    const std::span<const std::byte> payload(reinterpret_cast<const std::byte*>(matrix.data()),
                                             matrix.values().size() * sizeof(float));
    MatrixHeader header{};
    std::memcpy(header.magic, kMatrixMagic, sizeof kMatrixMagic);
    header.version = kMatrixVersion;
    header.header_bytes = sizeof(MatrixHeader);
    header.rows = matrix.rows();
    header.cols = matrix.cols();
    header.payload_checksum = crc32_of(payload);
    header.header_checksum =
        crc32_of(std::span(reinterpret_cast<const std::byte*>(&header), offsetof(MatrixHeader, header_checksum)));
    return write_file_atomically(path, {std::span(reinterpret_cast<const std::byte*>(&header), sizeof header), payload});
}

namespace {

// Checks a whole matrix file held in `bytes` (header, implied size, both checksums); returns its header.
Expected<MatrixHeader> check_matrix_bytes(std::span<const std::byte> bytes, const fs::path& path) {
    const auto damaged = [&](const std::string& why) {
        return make_error(ErrorCode::corrupt_data, path.string() + ": " + why + "; it must be recomputed");
    };
    MatrixHeader header{};
    if (bytes.size() < sizeof header) return damaged("truncated (no complete header)");
    std::memcpy(&header, bytes.data(), sizeof header);
    if (std::memcmp(header.magic, kMatrixMagic, sizeof kMatrixMagic) != 0) return damaged("not a Corral matrix file");
    if (header.header_checksum !=
        crc32_of(std::span(reinterpret_cast<const std::byte*>(&header), offsetof(MatrixHeader, header_checksum)))) {
        return damaged("damaged header (checksum mismatch)");
    }
    if (header.version != kMatrixVersion || header.header_bytes != sizeof header) {
        return make_error(ErrorCode::version_too_new, path.string() + ": matrix file version " +
                                                          std::to_string(header.version) + " is not supported");
    }
    if (header.rows < 0 || header.cols < 0) return damaged("negative shape");
    const auto expected_bytes = sizeof header + static_cast<std::uint64_t>(header.rows) *
                                                    static_cast<std::uint64_t>(header.cols) * sizeof(float);
    if (bytes.size() != expected_bytes) {
        return damaged("truncated or extended (" + std::to_string(bytes.size()) + " bytes, the header says " +
                       std::to_string(expected_bytes) + ")");
    }
    if (crc32_of(bytes.subspan(sizeof header)) != header.payload_checksum) {
        return damaged("damaged contents (checksum mismatch)");
    }
    return header;
}

// A read-only shared mapping of a whole file, unmapped when the last matrix sharing it goes.
class FileMapping {
public:
    FileMapping(void* address, std::size_t size_bytes) : address_(address), size_bytes_(size_bytes) {}
    ~FileMapping() { ::munmap(address_, size_bytes_); }
    FileMapping(const FileMapping&) = delete;
    FileMapping& operator=(const FileMapping&) = delete;
    std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(address_), size_bytes_}; }

private:
    void* address_;
    std::size_t size_bytes_;
};

// The matrix a whole matrix file's bytes hold, copied out once they pass check_matrix_bytes.
Expected<FloatMatrix> matrix_from_bytes(std::span<const std::byte> bytes, const fs::path& path) {
    auto header = check_matrix_bytes(bytes, path);
    if (!header) return header.error();
    FloatMatrix matrix(header->rows, header->cols);
    if (matrix.size() > 0) std::memcpy(matrix.data(), bytes.data() + sizeof(MatrixHeader), matrix.size() * sizeof(float));
    return matrix;
}

}  // namespace

Expected<FloatMatrix> read_matrix_file(const fs::path& path) {
    auto bytes = read_whole_file(path);
    if (!bytes) return bytes.error();
    return matrix_from_bytes(*bytes, path);
}

Expected<FloatMatrix> map_matrix_file(const fs::path& path) {
    auto opened = open_for_reading(path);
    if (!opened) return opened.error();
    FileDescriptor fd(opened->fd);
    const std::size_t size_bytes = opened->size_bytes;
    // Small files are not worth a mapping (and an empty one cannot be mapped).
    if (size_bytes < (std::size_t{1} << 20)) {
        auto bytes = read_open_file(fd, size_bytes, path);
        if (!bytes) return bytes.error();
        return matrix_from_bytes(*bytes, path);
    }
    void* address = ::mmap(nullptr, size_bytes, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (address == MAP_FAILED) return error_from_errno(errno, path, "mmap");
    auto mapping = std::make_shared<FileMapping>(address, size_bytes);
    // The checksum pass reads the file once, in order: tell the kernel so it reads ahead.
    ::madvise(address, size_bytes, MADV_SEQUENTIAL);
    auto header = check_matrix_bytes(mapping->bytes(), path);
    if (!header) return header.error();
    ::madvise(address, size_bytes, MADV_NORMAL);
    const auto* values = reinterpret_cast<const float*>(mapping->bytes().data() + sizeof(MatrixHeader));
    return FloatMatrix::sharing(header->rows, header->cols, values, std::move(mapping));
}

std::string file_name_for(std::string_view id) {
    std::string name;
    for (char c : id) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') ? c : '_';
    if (name.size() > 80) name.resize(80);
    return name + "-" + hex32(crc32_of(std::as_bytes(std::span(id.data(), id.size()))));
}

}  // namespace corral::store
