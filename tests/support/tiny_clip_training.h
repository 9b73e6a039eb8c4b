#pragma once
// Test support for Multi-Sub: a synthetic image set with two independent aspects (colour x shape)
// and a tiny CLIP trained on its captions here, saved as a real model folder (config.json,
// model.safetensors, the shared BPE vocabulary) so the product loads it through clip:DIR.
#include <filesystem>
#include <string>
#include <vector>

namespace corral::testing {

struct ColoredShapes {
    std::vector<std::string> colors;  // the colour words, also the image subfolders (ground truth)
    std::vector<std::string> shapes;
    std::filesystem::path folder;     // folder/COLOR/COLOR_SHAPE_NNN.png
    std::vector<std::filesystem::path> files;
    std::vector<int> color_of;        // per file
    std::vector<int> shape_of;
};

// `per_combination` images of every colour x shape at 32x32 pixels, jittered in position, size
// and brightness on a noisy background; writes folder/shape.csv (path,label) for the shapes.
ColoredShapes render_colored_shapes(const std::filesystem::path& folder, int per_combination, unsigned seed);

// Trains a 2-layer ViT (patch 8) and a 2-layer text transformer contrastively on captions
// "a red circle", "a red object", "a circle shape" (a caption's positives are all images it
// describes) and writes the model folder. Returns the final training loss.
double train_tiny_clip(const ColoredShapes& data, const std::filesystem::path& model_folder, int epochs, unsigned seed);

}  // namespace corral::testing
