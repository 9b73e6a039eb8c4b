#pragma once
// Text encoders map prompts into the same feature space as an image encoder (zero-shot search,
// Multi-Sub). Specs:
//   clip:MODEL_DIR   the text tower of a Hugging Face CLIP folder (tokenizer from vocab.json +
//                    merges.txt or bpe_simple_vocab_16e6.txt.gz in the same folder)
// Like ImageEncoder::id(), id() names the weights: equal ids give equal features.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/job.h"
#include "corral/core/matrix.h"

namespace corral {

class TextEncoder {
public:
    virtual ~TextEncoder() = default;
    virtual std::string id() const = 0;
    // One row per text, in order; not L2-normalised. Texts longer than the model's context are
    // cut to it (CLIP: 77 tokens). Fails with not_found/corrupt_data when the model folder is bad.
    virtual Expected<FloatMatrix> encode(const std::vector<std::string>& texts, const JobContext& job = {}) = 0;
};

Expected<std::unique_ptr<TextEncoder>> create_text_encoder(std::string_view spec);

}  // namespace corral
