#include "data/folder_listing.h"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "data/image_decoding.h"

namespace corral::detail {
namespace {

namespace fs = std::filesystem;

struct Candidate {
    fs::path path;
    bool is_link = false;
    fs::path canonical;
    std::uintmax_t size = 0;
};

// 64-bit FNV-1a of a file's bytes; nullopt when it cannot be read.
std::optional<std::uint64_t> content_hash(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::uint64_t hash = 1469598103934665603ull;
    std::array<char, 1 << 16> buffer;
    while (in) {
        in.read(buffer.data(), buffer.size());
        for (std::streamsize i = 0; i < in.gcount(); ++i) {
            hash = (hash ^ static_cast<unsigned char>(buffer[static_cast<std::size_t>(i)])) * 1099511628211ull;
        }
    }
    if (in.bad()) return std::nullopt;
    return hash;
}

// Equal hashes are confirmed byte by byte: a duplicate is only ever an exact copy.
bool same_bytes(const fs::path& a, const fs::path& b) {
    std::ifstream first(a, std::ios::binary), second(b, std::ios::binary);
    if (!first || !second) return false;
    std::array<char, 1 << 16> left, right;
    while (first && second) {
        first.read(left.data(), left.size());
        second.read(right.data(), right.size());
        if (first.gcount() != second.gcount() ||
            !std::equal(left.begin(), left.begin() + first.gcount(), right.begin())) {
            return false;
        }
    }
    return !first.bad() && !second.bad() && first.eof() && second.eof();
}

std::string broken_link_reason(const fs::path& link) {
    std::error_code error;
    const fs::path target = fs::read_symlink(link, error);
    std::string reason = "broken symbolic link: its target ";
    if (error) return reason + "cannot be read";
    reason += '\'';
    reason += target.string();
    reason += "' does not exist";
    return reason;
}

// recursive_directory_iterator with skip_permission_denied passes over a folder it may not read
// without a word; opening it ourselves tells the user why its images are missing.
std::optional<std::string> unreadable_folder_reason(const fs::path& folder) {
    if (DIR* opened = ::opendir(folder.c_str())) {
        ::closedir(opened);
        return std::nullopt;
    }
    return std::string("unreadable folder, its images were left out (") + std::strerror(errno) + ")";
}

// Of a group of files with one content, the one kept: a plain file before a link, then the
// shortest path ("photo.jpg" before "photo (copy).jpg"), then the first in path order.
std::size_t keeper_of(const std::vector<const Candidate*>& group) {
    const auto better = [](const Candidate* a, const Candidate* b) {
        if (a->is_link != b->is_link) return !a->is_link;
        const auto a_length = a->path.native().size(), b_length = b->path.native().size();
        if (a_length != b_length) return a_length < b_length;
        return a->path < b->path;
    };
    return static_cast<std::size_t>(std::min_element(group.begin(), group.end(), better) - group.begin());
}

}  // namespace

// Of the listing's progress, walking the folder; comparing the bytes of same-size files is the rest.
constexpr double kWalkShare = 0.2;

Expected<FolderListing> list_image_folder(const fs::path& root, bool keep_duplicates, const JobContext& job) {
    FolderListing listing;
    std::vector<Candidate> candidates;
    std::error_code error;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
    if (error) return make_error(ErrorCode::io_error, root.string() + ": " + error.message());
    // The walk's progress is the share of the root's entries passed: category folders are
    // walked one by one, so it moves as evenly as they are large.
    std::int64_t root_entries = 0, root_passed = 0;
    {
        std::error_code count_error;
        for (fs::directory_iterator top(root, fs::directory_options::skip_permission_denied, count_error);
             !count_error && top != fs::directory_iterator(); top.increment(count_error)) {
            ++root_entries;
        }
    }
    std::int64_t entries = 0;
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (error) {
            listing.skipped.push_back({it->path(), error.message()});
            error.clear();
            continue;
        }
        if (job.stop_requested()) return cancelled_error();
        if (it.depth() == 0) ++root_passed;
        if (++entries % 256 == 0 || it.depth() == 0) {
            job.report(kWalkShare * static_cast<double>(std::max<std::int64_t>(0, root_passed - 1)) /
                           static_cast<double>(std::max<std::int64_t>(1, root_entries)),
                       "listing images");
        }
        const fs::path& path = it->path();
        const std::string name = path.filename().string();
        std::error_code entry_error;  // a failed query reads as "not a link", "not found"
        const bool is_link = it->is_symlink(entry_error);
        const auto target = it->status(entry_error);  // follows links
        // Hidden files and our own temporaries; hidden folders are still searched, as always.
        if (!name.empty() && name.front() == '.' && !fs::is_directory(target)) continue;
        if (is_link && !fs::exists(target)) {
            if (has_image_extension(path)) listing.skipped.push_back({path, broken_link_reason(path)});
            continue;
        }
        if (fs::is_directory(target)) {
            if (is_link) {
                listing.skipped.push_back({path, "symbolic link to a folder: links to folders are not followed "
                                                 "(link the images, or the folder's parent, instead)"});
            } else if (auto reason = unreadable_folder_reason(path)) {
                listing.skipped.push_back({path, std::move(*reason)});
            }
            continue;
        }
        if (!fs::is_regular_file(target) || !has_image_extension(path)) continue;
        candidates.push_back({path, is_link, {}, 0});
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
    listing.image_files = static_cast<std::int64_t>(candidates.size());

    // What each file is: the file a link resolves to, and its size.
    std::vector<Candidate> resolved;
    for (auto& candidate : candidates) {
        candidate.canonical = fs::canonical(candidate.path, error);
        if (!error) candidate.size = fs::file_size(candidate.canonical, error);
        if (error) {
            listing.skipped.push_back({candidate.path, "cannot be read: " + error.message()});
            error.clear();
            continue;
        }
        resolved.push_back(std::move(candidate));
    }
    // Links to one file first, then identical bytes among the files left.
    std::vector<char> duplicate(resolved.size(), 0);
    std::map<fs::path, std::vector<const Candidate*>> by_target;
    for (const auto& candidate : resolved) by_target[candidate.canonical].push_back(&candidate);
    std::map<std::uintmax_t, std::vector<const Candidate*>> by_size;
    const auto index_of = [&resolved](const Candidate* candidate) {
        return static_cast<std::size_t>(candidate - resolved.data());
    };
    for (const auto& [target, group] : by_target) {
        const std::size_t keep = keeper_of(group);
        for (std::size_t i = 0; i < group.size(); ++i) {
            if (i == keep) continue;
            duplicate[index_of(group[i])] = 1;
            listing.duplicates.push_back({group[i]->path, group[keep]->path, DuplicateFile::Kind::link});
        }
        by_size[group[keep]->size].push_back(group[keep]);
    }
    std::uintmax_t bytes_to_read = 0, bytes_read = 0;
    for (const auto& [size, group] : by_size) {
        if (group.size() > 1) bytes_to_read += size * group.size();
    }
    for (auto& [size, group] : by_size) {
        if (group.size() < 2) continue;
        std::sort(group.begin(), group.end(), [](const Candidate* a, const Candidate* b) { return a->path < b->path; });
        std::map<std::uint64_t, std::vector<const Candidate*>> by_hash;
        for (const Candidate* candidate : group) {
            if (job.stop_requested()) return cancelled_error();
            if (auto hash = content_hash(candidate->canonical)) by_hash[*hash].push_back(candidate);
            bytes_read += size;
            job.report(kWalkShare + (1.0 - kWalkShare) * static_cast<double>(bytes_read) / static_cast<double>(bytes_to_read),
                       "looking for duplicate images");
        }
        for (const auto& [hash, same] : by_hash) {
            const std::size_t keep = keeper_of(same);
            for (std::size_t i = 0; i < same.size(); ++i) {
                if (i == keep || !same_bytes(same[keep]->canonical, same[i]->canonical)) continue;
                duplicate[index_of(same[i])] = 1;
                listing.duplicates.push_back({same[i]->path, same[keep]->path, DuplicateFile::Kind::identical_copy});
            }
        }
    }
    for (std::size_t i = 0; i < resolved.size(); ++i) {
        if (keep_duplicates || !duplicate[i]) listing.files.push_back(resolved[i].path);
    }
    // Links that repeat a copy repeat the file kept for that copy.
    std::map<fs::path, fs::path> kept_for;
    for (const auto& entry : listing.duplicates) {
        if (entry.kind == DuplicateFile::Kind::identical_copy) kept_for[entry.path] = entry.same_as;
    }
    for (auto& entry : listing.duplicates) {
        if (auto found = kept_for.find(entry.same_as); found != kept_for.end()) entry.same_as = found->second;
    }
    std::sort(listing.duplicates.begin(), listing.duplicates.end(),
              [](const DuplicateFile& a, const DuplicateFile& b) { return a.path < b.path; });
    job.report(1.0, "looking for duplicate images");
    return listing;
}

}  // namespace corral::detail
