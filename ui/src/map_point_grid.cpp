#include "map_point_grid.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace corral::ui {

void PointGrid::build(const std::vector<QPointF>& points) {
    points_ = &points;
    items_.clear();
    cell_start_.clear();
    columns_ = rows_ = 0;
    if (points.empty()) return;
    double left = points[0].x(), right = left, top = points[0].y(), bottom = top;
    for (const QPointF& p : points) {
        left = std::min(left, p.x());
        right = std::max(right, p.x());
        top = std::min(top, p.y());
        bottom = std::max(bottom, p.y());
    }
    bounds_ = QRectF(QPointF(left, top), QPointF(right, bottom));
    // About four points per cell on average: few enough to scan, few enough cells to skip.
    const int side = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(points.size()) / 4.0)), 1, 1024);
    columns_ = rows_ = side;
    std::vector<qint64> counts(static_cast<std::size_t>(columns_) * rows_ + 1, 0);
    std::vector<int> cell_of(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        cell_of[i] = row_of(points[i].y()) * columns_ + column_of(points[i].x());
        ++counts[static_cast<std::size_t>(cell_of[i]) + 1];
    }
    for (std::size_t c = 1; c < counts.size(); ++c) counts[c] += counts[c - 1];
    cell_start_ = counts;
    items_.resize(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) items_[static_cast<std::size_t>(counts[static_cast<std::size_t>(cell_of[i])]++)] = static_cast<qint64>(i);
}

int PointGrid::column_of(double x) const {
    if (bounds_.width() <= 0) return 0;
    return std::clamp(static_cast<int>((x - bounds_.left()) / bounds_.width() * columns_), 0, columns_ - 1);
}

int PointGrid::row_of(double y) const {
    if (bounds_.height() <= 0) return 0;
    return std::clamp(static_cast<int>((y - bounds_.top()) / bounds_.height() * rows_), 0, rows_ - 1);
}

void PointGrid::for_each_candidate(const QRectF& area, const std::function<void(qint64)>& visit) const {
    if (empty() || !area.intersects(bounds_.adjusted(-1e-9, -1e-9, 1e-9, 1e-9))) return;
    const int first_column = column_of(area.left()), last_column = column_of(area.right());
    const int first_row = row_of(area.top()), last_row = row_of(area.bottom());
    for (int row = first_row; row <= last_row; ++row) {
        for (int column = first_column; column <= last_column; ++column) {
            const auto cell = static_cast<std::size_t>(row * columns_ + column);
            for (qint64 k = cell_start_[cell]; k < cell_start_[cell + 1]; ++k) visit(items_[static_cast<std::size_t>(k)]);
        }
    }
}

qint64 PointGrid::nearest(QPointF at, double radius, const std::function<bool(qint64)>& accept) const {
    qint64 best = -1;
    double best_squared = radius * radius;
    for_each_candidate(QRectF(at.x() - radius, at.y() - radius, 2 * radius, 2 * radius), [&](qint64 index) {
        const QPointF d = (*points_)[static_cast<std::size_t>(index)] - at;
        const double squared = d.x() * d.x() + d.y() * d.y();
        if (squared <= best_squared && (best < 0 || squared < best_squared || index < best) && accept(index)) {
            best_squared = squared;
            best = index;
        }
    });
    return best;
}

}  // namespace corral::ui
