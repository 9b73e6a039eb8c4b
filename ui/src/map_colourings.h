#pragma once
// The map's colourings, built from plain session data: by cluster, by ground-truth class, by
// what the user answered, and by the value score the query selection gave each queried image.
#include <QColor>

#include <cstdint>
#include <map>
#include <vector>

#include "corral/core/project_types.h"
#include "map_view.h"

namespace corral::ui {

// A distinct colour for class `k`: 20 hand-picked ones, then evenly spread hues.
QColor category_colour(int k);

// `assignment` per point (-1 = unassigned, shown as its own grey class when present).
MapColouring cluster_colouring(const std::vector<int>& assignment, const QStringList& names);
// `labels` per point (-1 = unknown).
MapColouring ground_truth_colouring(const std::vector<int>& labels, const QStringList& class_names);
// Active answers (newest last) and the images queried so far; the rest are "not queried".
MapColouring answer_colouring(std::int64_t points, const std::vector<AnswerRecord>& answers,
                              const std::vector<std::int64_t>& queried);
// Value score per queried image, in five equal bins between the lowest and highest score.
MapColouring value_colouring(std::int64_t points, const std::map<std::int64_t, double>& value_by_item);

}  // namespace corral::ui
