#pragma once
// Answers lent to their nearest neighbours: an image the user placed in cluster c makes its
// nearest unanswered neighbours (cosine, on the features the question was asked on) start the
// fine-tune with the label c in L_reg's pseudo-label table, instead of waiting for the model to
// become confident about them. Not in the IDC paper; docs/idc.md says why and what it measured.
#include <cstdint>
#include <span>
#include <vector>

#include "corral/core/expected.h"
#include "corral/core/matrix.h"
#include "corral/core/queries.h"

namespace corral {

struct LentLabel {
    std::int64_t sample = 0;
    int cluster = 0;
};

// For every positive answer, its `neighbours` most similar images (rows of `features`, N x D,
// rows unit length) that no answer (positive or negative) is about. An image claimed by answers
// of different clusters is left out; skip and negative answers lend nothing. Sorted by sample.
// invalid_argument for an answered sample outside the features or a negative `neighbours`.
Expected<std::vector<LentLabel>> propagate_answers(const FloatMatrix& features, std::span<const Answer> answers,
                                                     int neighbours);

}  // namespace corral
