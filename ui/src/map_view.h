#pragma once
// The map: one point per image (point index = dataset item) at a 2-D position in map units.
// Points are painted into a cached image that is redrawn only when the data, colours or view
// change, so 100k points pan and zoom smoothly. Colours come from a MapColouring whose legend
// entries toggle a category's visibility. Wheel zooms about the cursor, drag pans, double-click
// on empty space fits the map; hovering shows the image's thumbnail, clicking a point opens it,
// a right-click on a point asks for its context menu, and Shift+drag (or the lasso mode) selects
// the points inside the drawn polygon. Background, panels and text follow the palette (themes).
#include <QImage>
#include <QPolygonF>
#include <QTimer>
#include <QWidget>

#include <vector>

#include "map_point_grid.h"

namespace corral::ui {

class ThumbnailCache;

struct MapColouring {
    QString title;               // shown above the legend ("Clusters", "True classes", ...)
    std::vector<int> category;   // per point, in [0, names.size())
    QStringList names;           // per category
    std::vector<QColor> colours; // per category
    // Lower categories are drawn over higher ones (a few marked points over a grey rest);
    // otherwise points are drawn in item order so no class systematically hides another.
    bool layered = false;
};

class MapView : public QWidget {
    Q_OBJECT
public:
    explicit MapView(ThumbnailCache* thumbnails = nullptr, QWidget* parent = nullptr);

    // A new layout (one position per item). With `animate` and the same number of points, the
    // points glide there from where they are. The view re-fits unless the user zoomed or panned.
    void set_layout(std::vector<QPointF> positions, bool animate = false);
    void clear_layout();
    const std::vector<QPointF>& layout() const { return target_; }
    qint64 point_count() const { return static_cast<qint64>(target_.size()); }
    // Categories keep their hidden state when the new colouring has the same names.
    void set_colouring(MapColouring colouring);
    const MapColouring& colouring() const { return colouring_; }
    const std::vector<qint64>& category_counts() const { return counts_; }
    void set_category_visible(int category, bool visible);
    bool category_visible(int category) const;
    void set_lasso_mode(bool enabled) { lasso_mode_ = enabled; }
    bool lasso_mode() const { return lasso_mode_; }
    // Shown in the middle while there is no layout.
    void set_placeholder_text(const QString& text);
    void fit_to_points();

    // Geometry in widget coordinates, for callers and tests.
    QPointF widget_position(qint64 item) const;
    // The visible point nearest `position` within `radius_px`, or -1.
    qint64 nearest_point(QPointF position, double radius_px) const;
    // Visible points inside the polygon, in item order.
    std::vector<qint64> points_in_polygon(const QPolygonF& widget_polygon) const;
    QRectF legend_entry_rect(int category) const;
    qint64 hovered_item() const { return hovered_; }
    // The image a keyboard command means on the map: the one under the pointer, else the one last
    // clicked or right-clicked; -1 when none.
    qint64 current_item() const { return hovered_ >= 0 ? hovered_ : last_clicked_; }
    // Milliseconds the last redraw of the points layer took (all its slices).
    double last_render_ms() const { return last_render_ms_; }
    // Maps of at least this many points (default 250,000) are drawn in slices between events,
    // showing the previous picture moved and scaled meanwhile; fewer are drawn in one go.
    void set_progressive_min_points(std::size_t points);
    // True while a sliced redraw is under way.
    bool rendering() const { return pending_.active; }
    QSize sizeHint() const override { return {800, 600}; }

Q_SIGNALS:
    void point_opened(qint64 item);
    void selection_made(const std::vector<qint64>& items);
    // A right-click on a point (`global_position` for the menu).
    void point_menu_requested(qint64 item, QPoint global_position);

protected:
    void contextMenuEvent(QContextMenuEvent* event) override;
    void changeEvent(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    struct LegendLayout {
        QRectF panel;
        QRectF title;
        std::vector<QRectF> entries;  // per category shown; empty rect when it did not fit
        int shown = 0;
    };
    QPointF to_widget(QPointF map) const;
    QPointF to_map(QPointF widget) const;
    double point_radius_px() const;
    double legend_width_px() const;
    LegendLayout legend_layout() const;
    int legend_entry_at(QPointF position) const;
    bool progressive() const;
    void invalidate();
    void prepare_layer(QImage& image) const;
    // Blends the points at draw_order_[begin, end) into `image` for the current view.
    void blend_points(QImage& image, std::size_t begin, std::size_t end) const;
    void remember_layer_view();
    void render_points();
    void render_slice();
    void paint_previous_layer(QPainter& painter) const;
    void paint_legend(QPainter& painter) const;
    void paint_hover_card(QPainter& painter);
    void paint_hint(QPainter& painter) const;
    void rebuild_draw_order();
    void advance_animation();
    void set_hovered(qint64 item);
    const PointGrid& grid() const;

    ThumbnailCache* thumbnails_;
    std::vector<QPointF> shown_;   // what is drawn now (differs from target_ while animating)
    std::vector<QPointF> target_;
    std::vector<QPointF> animation_from_;
    QTimer animation_timer_;
    qint64 animation_started_ms_ = 0;
    MapColouring colouring_;
    std::vector<qint64> counts_;
    std::vector<bool> hidden_;
    std::vector<qint64> draw_order_;
    QString placeholder_;

    QPointF centre_;        // map units at the widget's centre
    double scale_ = 1.0;    // widget pixels per map unit
    double fit_scale_ = 1.0;
    bool auto_fit_ = true;

    QImage layer_;
    bool layer_valid_ = false;
    QPointF layer_centre_;  // the view layer_ was drawn for
    double layer_scale_ = 0.0;
    QSize layer_widget_size_;
    struct PendingRender {
        QImage image;
        std::size_t next = 0;  // position in draw_order_
        double elapsed_ms = 0.0;
        bool active = false;
    };
    PendingRender pending_;
    QTimer render_timer_;
    std::size_t progressive_min_points_ = 250000;
    double last_render_ms_ = 0.0;
    mutable PointGrid grid_;
    mutable bool grid_valid_ = false;

    qint64 hovered_ = -1;
    qint64 last_clicked_ = -1;
    QPointF hover_position_;
    bool lasso_mode_ = false;
    bool lassoing_ = false;
    bool panning_ = false;
    bool pressed_ = false;
    QPointF press_position_;
    QPointF press_centre_;
    QPolygonF lasso_;
};

}  // namespace corral::ui
