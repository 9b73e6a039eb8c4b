#pragma once
// A uniform grid over 2-D points (map units) for the map's hover and lasso: rebuilt in O(N),
// queried in time proportional to the points near the query. Holds indices only; the caller
// keeps the positions alive and unchanged between build() and the queries.
#include <QPointF>
#include <QRectF>

#include <functional>
#include <vector>

namespace corral::ui {

class PointGrid {
public:
    void build(const std::vector<QPointF>& points);
    bool empty() const { return points_ == nullptr || points_->empty(); }

    // The accepted point nearest `at` within `radius` (map units), or -1 when there is none.
    qint64 nearest(QPointF at, double radius, const std::function<bool(qint64)>& accept) const;
    // Calls `visit` for every point whose grid cell overlaps `area` (a superset of those inside it).
    void for_each_candidate(const QRectF& area, const std::function<void(qint64)>& visit) const;

private:
    int column_of(double x) const;
    int row_of(double y) const;

    const std::vector<QPointF>* points_ = nullptr;
    QRectF bounds_;
    int columns_ = 0;
    int rows_ = 0;
    std::vector<qint64> cell_start_;  // columns_ * rows_ + 1 offsets into items_
    std::vector<qint64> items_;       // point indices grouped by cell
};

}  // namespace corral::ui
