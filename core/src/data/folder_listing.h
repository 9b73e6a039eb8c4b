#pragma once
// Private to core: the files of an image folder. What cannot be looked into is reported, never
// dropped silently: a subfolder without read permission, a broken symbolic link named like an
// image, a symbolic link to a folder (not followed, so a link loop cannot recurse forever).
#include <filesystem>
#include <vector>

#include "corral/core/dataset.h"

namespace corral::detail {

struct FolderListing {
    std::vector<std::filesystem::path> images;  // regular files (or links to them) with an image extension, sorted
    std::vector<SkippedFile> skipped;
};

Expected<FolderListing> list_image_files(const std::filesystem::path& root, const JobContext& job);

}  // namespace corral::detail
