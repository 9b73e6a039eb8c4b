#pragma once
// Image encoders turn a dataset into one feature row per image. Specs:
//   pixels[:SIDE]    PCA-whitened raw pixels (instant; a baseline and for tests)
//   clip:MODEL_DIR   CLIP image tower of a Hugging Face CLIP folder (docs/models.md)
//   convnet:DIR      backbone features of a convnet trained by train_convnet (corral-cli pretrain)
// An encoder's id() names the encoder, its weights and its preprocessing: equal ids give equal
// features, so the id is the cache key for stored embeddings.
#include <memory>
#include <string>
#include <string_view>

#include "corral/core/dataset.h"
#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

class ImageEncoder {
public:
    virtual ~ImageEncoder() = default;
    virtual std::string id() const = 0;
    // One row per dataset item, in dataset order. Not L2-normalised.
    virtual Expected<FloatMatrix> encode(const Dataset& dataset, const JobContext& job) = 0;
};

Expected<std::unique_ptr<ImageEncoder>> create_image_encoder(std::string_view spec);

}  // namespace corral
