#include "query_reason.h"

#include <QCoreApplication>
#include <QStringList>

#include <algorithm>

#include <cmath>

#include "plural.h"

namespace corral::ui {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("QueryReason", text); }

QString where_it_lies(const QueryReasonFacts& facts) {
    if (facts.nearest_cluster.isEmpty()) return {};
    if (facts.second_cluster.isEmpty()) return tr("nearest %1").arg(facts.nearest_cluster);
    const double nearest_distance = 1.0 - facts.nearest_similarity;
    const double second_distance = 1.0 - facts.second_similarity;
    // Equal distances (or a degenerate second centre on top of the image) read as the border.
    const double ratio = second_distance > 0.0 ? std::clamp(nearest_distance / second_distance, 0.0, 1.0) : 1.0;
    if (ratio >= kBorderRatio) return tr("on the border between %1 and %2").arg(facts.nearest_cluster, facts.second_cluster);
    if (ratio >= kBetweenRatio) {
        return tr("between %1 and %2, nearer %1").arg(facts.nearest_cluster, facts.second_cluster);
    }
    return tr("clearly nearer %1 than %2").arg(facts.nearest_cluster, facts.second_cluster);
}

QString how_typical(const QueryReasonFacts& facts) {
    const std::int64_t n = facts.similar_images;
    if (n < 0) return {};
    if (n >= kTypicalCount) return count_text(n, tr("typical of %1 similar image"), tr("typical of %1 similar images"));
    if (n >= 1) return count_text(n, tr("with only %1 similar image"), tr("with only %1 similar images"));
    return tr("unlike any other image");
}

QString how_new(const QueryReasonFacts& facts) {
    if (facts.earlier_questions <= 0) return tr("the first question");
    // Unit features: ||a - b||^2 = 2 (1 - cos) = 2 e^d for the nearest earlier question.
    const double distance_squared = 2.0 * std::exp(facts.diversity);
    // Without the round's typical distance, "close" means a cosine of 0.9 or more.
    const double close = facts.neighbour_distance_squared > 0.0 ? facts.neighbour_distance_squared : 0.2;
    return distance_squared <= close ? tr("close to an earlier question") : tr("unlike earlier questions");
}

}  // namespace

QueryReasonFacts reason_facts(const SessionQuery& query, const ClusteringView& clustering) {
    QueryReasonFacts facts;
    facts.strategy = query.strategy;
    if (!query.candidates.empty()) {
        facts.nearest_cluster = clustering.cluster_name(query.candidates[0].cluster);
        facts.nearest_similarity = query.candidates[0].similarity;
    }
    if (query.candidates.size() >= 2) {
        facts.second_cluster = clustering.cluster_name(query.candidates[1].cluster);
        facts.second_similarity = query.candidates[1].similarity;
    }
    facts.similar_images = query.similar_images;
    facts.neighbour_distance_squared = query.neighbour_distance_squared;
    facts.earlier_questions = query.earlier_questions;
    facts.diversity = query.diversity;
    return facts;
}

QString query_reason(const QueryReasonFacts& facts) {
    QStringList parts;
    const auto add = [&parts](const QString& part) {
        if (!part.isEmpty()) parts << part;
    };
    switch (facts.strategy) {
        case SelectionStrategy::random:
            add(tr("picked at random"));
            add(where_it_lies(facts));
            break;
        case SelectionStrategy::hard:
            add(where_it_lies(facts));
            break;
        case SelectionStrategy::hard_representative:
            add(where_it_lies(facts));
            add(how_typical(facts));
            break;
        case SelectionStrategy::hard_representative_diverse:
            add(where_it_lies(facts));
            add(how_typical(facts));
            add(how_new(facts));
            break;
    }
    return parts.join(QStringLiteral("; "));
}

}  // namespace corral::ui
