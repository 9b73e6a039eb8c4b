#pragma once
// Why a question was asked, in words: the value-mining terms of its image (value_mining.h) told
// the way an expert reads them, e.g. "on the border between Cluster 3 and Cluster 6; typical of
// 140 similar images; unlike earlier questions". Pure: the words depend only on the facts.
//
// The bands (kept here so the tests and the user guide can name them):
//   hardness, from the cosine distances 1 - s of the image to the two nearest cluster centres
//   (d1 <= d2; the hardness term is log(1 - s1 + s2)): their ratio d1 / d2 is 1 on the border
//   and small deep inside a cluster. >= kBorderRatio: "on the border between A and B";
//   >= kBetweenRatio: "between A and B, nearer A"; otherwise "clearly nearer A than B".
//   representativeness, from the number of images within the round's typical neighbour distance
//   of it: >= kTypicalCount "typical of N similar images"; >= 1 "with only N similar images";
//   0 "unlike any other image".
//   diversity, from the squared distance 2 e^d to the nearest earlier question (d the diversity
//   term, unit features): within the typical neighbour distance "close to an earlier question",
//   else "unlike earlier questions"; no earlier question: "the first question".
#include <QString>

#include <cstdint>

#include "corral/core/interactive_session.h"
#include "corral/ui/view_models.h"

namespace corral::ui {

inline constexpr double kBorderRatio = 0.9;
inline constexpr double kBetweenRatio = 0.75;
inline constexpr std::int64_t kTypicalCount = 20;  // K of representativeness: more than an average image has

struct QueryReasonFacts {
    SelectionStrategy strategy = SelectionStrategy::hard_representative_diverse;
    // The two clusters most similar to the image, as the app names them, and the cosine
    // similarities of the image to their centres (nearest first). second_cluster empty: one only.
    QString nearest_cluster;
    QString second_cluster;
    double nearest_similarity = 0.0;
    double second_similarity = 0.0;
    std::int64_t similar_images = -1;         // -1: unknown (the strategy does not use it)
    double neighbour_distance_squared = 0.0;  // the round's typical neighbour distance; 0: unknown
    std::int64_t earlier_questions = 0;       // the diversity set S when the image was picked
    double diversity = 0.0;                   // the diversity term d = min over S of log(1 - cos)
};

// The facts of a question about a clustering (cluster names as the app shows them).
QueryReasonFacts reason_facts(const SessionQuery& query, const ClusteringView& clustering);

// The reason as a phrase list joined by "; ", without a leading "Asked because": e.g.
// "on the border between Cluster 3 and Cluster 6; typical of 140 similar images; unlike earlier
// questions". Only the terms the strategy used are told (random: "picked at random", then where
// the image lies).
QString query_reason(const QueryReasonFacts& facts);

}  // namespace corral::ui
