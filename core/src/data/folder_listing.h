#pragma once
// Private to core: which files of an image folder are its images. Walks the folder and reports
// what it cannot look into, never dropping it silently: a subfolder without read permission, a
// broken symbolic link named like an image, a symbolic link to a folder (not followed, so no
// cycle can form). Finds duplicates: links that resolve to a file already listed, and files with
// identical bytes (only files of equal size are read, so a folder without duplicates costs one
// listing).
#include <filesystem>
#include <vector>

#include "corral/core/dataset.h"

namespace corral::detail {

struct FolderListing {
    std::vector<std::filesystem::path> files;  // sorted; duplicates left out unless kept
    std::int64_t image_files = 0;              // every file with an image name, duplicates included
    std::vector<DuplicateFile> duplicates;
    std::vector<SkippedFile> skipped;          // unreadable folders, broken links, links to folders
};

// Progress runs from 0 to 1 over the listing and the reading of same-size files.
Expected<FolderListing> list_image_folder(const std::filesystem::path& root, bool keep_duplicates,
                                          const JobContext& job);

}  // namespace corral::detail
