#include "corral/ui/view_models.h"

namespace corral::ui {

std::vector<qint64> ClusteringView::sizes() const {
    std::vector<qint64> counts(names.size(), 0);
    for (const int cluster : assignment) {
        if (cluster >= 0 && static_cast<std::size_t>(cluster) < counts.size()) ++counts[static_cast<std::size_t>(cluster)];
    }
    return counts;
}

std::vector<qint64> ClusteringView::members(int cluster) const {
    std::vector<qint64> items;
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        if (assignment[i] == cluster) items.push_back(static_cast<qint64>(i));
    }
    return items;
}

}  // namespace corral::ui
