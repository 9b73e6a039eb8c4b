#include "data/folder_listing.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "data/image_decoding.h"

namespace corral::detail {

namespace fs = std::filesystem;

Expected<FolderListing> list_image_files(const fs::path& root, const JobContext& job) {
    FolderListing listing;
    std::error_code error;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, error);
    if (error) return make_error(ErrorCode::io_error, root.string() + ": " + error.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (error) {
            listing.skipped.push_back({it->path(), error.message()});
            error.clear();
            continue;
        }
        if (job.stop_requested()) return cancelled_error();
        const fs::path& path = it->path();
        const std::string name = path.filename().string();
        const bool link = it->is_symlink(error);
        const auto target = it->status(error);  // follows links
        // Hidden files and our own temporaries (hidden folders are still searched, as always).
        if (!name.empty() && name.front() == '.' && !fs::is_directory(target)) continue;
        if (link && !fs::exists(target)) {
            if (has_image_extension(path)) {
                std::error_code ignored;
                listing.skipped.push_back({path, "broken symbolic link (to " + fs::read_symlink(path, ignored).string() + ")"});
            }
            continue;
        }
        if (fs::is_directory(target)) {
            if (link) {
                listing.skipped.push_back({path, "symbolic link to a folder, not followed (link the images, or the "
                                                 "folder's parent, instead)"});
                continue;
            }
            // skip_permission_denied would pass over it without a word.
            if (DIR* folder = ::opendir(path.c_str())) {
                ::closedir(folder);
            } else {
                listing.skipped.push_back({path, std::string("unreadable folder, its images were left out (") +
                                                     std::strerror(errno) + ")"});
            }
            continue;
        }
        if (fs::is_regular_file(target) && has_image_extension(path)) listing.images.push_back(path);
    }
    std::sort(listing.images.begin(), listing.images.end());
    return listing;
}

}  // namespace corral::detail
