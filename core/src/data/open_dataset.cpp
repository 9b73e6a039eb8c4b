#include <cstdlib>
#include <optional>
#include <string>

#include "data/packed_dataset.h"
#include "guard.h"

namespace corral {
namespace {

namespace fs = std::filesystem;

std::pair<std::string_view, std::string_view> split_scheme(std::string_view spec) {
    const auto colon = spec.find(':');
    if (colon == std::string_view::npos) return {{}, spec};
    return {spec.substr(0, colon), spec.substr(colon + 1)};
}

Expected<std::unique_ptr<Dataset>> open_path(const fs::path& path, bool fine_labels, const DatasetOptions& options,
                                             const JobContext& job) {
    std::error_code error;
    if (!fs::exists(path, error)) return make_error(ErrorCode::not_found, path.string() + ": no such file or folder");
    if (fs::is_regular_file(path, error)) return detail::open_idx(path, {}, path.filename().string());
    if (detail::folder_has_idx(path)) return detail::open_idx_folder(path, "");
    if (detail::folder_has_cifar(path)) return detail::open_cifar_folder(path, fine_labels);
    return detail::open_image_folder(path, false, options, job);
}

constexpr std::string_view kKeepDuplicatesScheme = "folder-keep-duplicates";

Expected<std::unique_ptr<Dataset>> open_unlimited(std::string_view spec, const DatasetOptions& options,
                                                  const JobContext& job) {
    auto [scheme, rest] = split_scheme(spec);
    if (scheme == "fashion-mnist" || spec == "fashion-mnist") {
        auto folder = find_fashion_mnist();
        if (!folder) {
            return make_error(ErrorCode::not_found,
                              "Fashion-MNIST is not installed: run scripts/install-deps.sh "
                              "(Debian package dataset-fashion-mnist)");
        }
        auto dataset = detail::open_idx_folder(*folder, spec == "fashion-mnist" ? "" : rest);
        return dataset;
    }
    if (scheme == "idx") {
        const std::string value(rest);
        const auto comma = value.find(',');
        if (comma != std::string::npos) {
            return detail::open_idx(value.substr(0, comma), value.substr(comma + 1), fs::path(value.substr(0, comma)).filename());
        }
        if (fs::is_directory(value)) return detail::open_idx_folder(value, "");
        return detail::open_idx(value, {}, fs::path(value).filename());
    }
    if (scheme == "cifar") return detail::open_cifar_folder(fs::path(rest), false);
    if (scheme == "cifar100-fine") return detail::open_cifar_folder(fs::path(rest), true);
    if (scheme == "folder") return detail::open_image_folder(fs::path(rest), false, options, job);
    if (scheme == kKeepDuplicatesScheme) return detail::open_image_folder(fs::path(rest), true, options, job);
    if (spec.empty()) return make_error(ErrorCode::invalid_argument, "empty dataset spec");
    // No known scheme: a path (which may itself contain a colon).
    return open_path(fs::path(spec), false, options, job);
}

Expected<std::unique_ptr<Dataset>> open_limited(std::string_view spec, const DatasetOptions& options,
                                                const JobContext& job) {
    auto dataset = open_unlimited(spec, options, job);
    if (!dataset || options.limit <= 0 || (*dataset)->size() <= options.limit) return dataset;
    auto* packed = dynamic_cast<detail::PackedDataset*>(dataset->get());
    if (packed) {
        std::vector<std::int64_t> kept;
        const double stride = static_cast<double>(packed->size()) / options.limit;
        for (std::int64_t k = 0; k < options.limit; ++k) kept.push_back(static_cast<std::int64_t>(k * stride));
        packed->keep(kept);
    }
    return dataset;
}

}  // namespace

std::optional<ImageFolderSpec> parse_image_folder_spec(std::string_view spec) {
    auto [scheme, rest] = split_scheme(spec);
    if (scheme == "folder") return ImageFolderSpec{fs::path(rest), false};
    if (scheme == kKeepDuplicatesScheme) return ImageFolderSpec{fs::path(rest), true};
    if (spec == "fashion-mnist" || scheme == "fashion-mnist" || scheme == "idx" || scheme == "cifar" ||
        scheme == "cifar100-fine") {
        return std::nullopt;
    }
    std::error_code error;
    const fs::path path(spec);
    if (spec.empty() || !fs::is_directory(path, error) || detail::folder_has_idx(path) || detail::folder_has_cifar(path)) {
        return std::nullopt;
    }
    return ImageFolderSpec{path, false};
}

std::string image_folder_spec(const ImageFolderSpec& folder) {
    return std::string(folder.keep_duplicates ? kKeepDuplicatesScheme : "folder") + ":" + folder.folder.string();
}

std::optional<fs::path> find_fashion_mnist() {
    if (const char* override_path = std::getenv("CORRAL_FASHION_MNIST_DIR")) {
        if (detail::folder_has_idx(override_path)) return fs::path(override_path);
    }
    for (const char* candidate : {"/usr/share/datasets/fashion-mnist", "/usr/share/fashion-mnist"}) {
        if (detail::folder_has_idx(candidate)) return fs::path(candidate);
    }
    return std::nullopt;
}

Expected<std::unique_ptr<Dataset>> open_dataset(std::string_view spec, const DatasetOptions& options,
                                                const JobContext& job) {
    return detail::guarded(spec, [&] { return open_limited(spec, options, job); });
}

Expected<std::unique_ptr<Dataset>> check_images(std::unique_ptr<Dataset> dataset, const JobContext& job) {
    return detail::guarded("checking the images", [&] { return detail::check_folder_images(std::move(dataset), job); });
}

}  // namespace corral
