#include "map_view.h"

#include <QApplication>
#include <QContextMenuEvent>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QThread>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>
#include <vector>

#include "plural.h"
#include "thumbnail_cache.h"

namespace corral::ui {
namespace {

const QColor kUncoloured(0x9a, 0xa0, 0xa6);

// The map's own colours for the palette's theme: the light set the map was designed with, or a
// dark one, chosen by the lightness of the palette's base (so a dark system palette works too).
struct MapInk {
    QColor background, text, secondary, faint, hidden, panel, panel_border, card, card_border, placeholder, lasso_fill;
};

MapInk ink_for(const QPalette& palette) {
    if (palette.color(QPalette::Base).lightness() >= 128) {
        return {QColor(0xfb, 0xfb, 0xfc), QColor(0x20, 0x24, 0x2a), QColor(0x60, 0x66, 0x6e), QColor(0x80, 0x86, 0x8e),
                QColor(0xa0, 0xa4, 0xaa), QColor(255, 255, 255, 235), QColor(0xd8, 0xdb, 0xe0), QColor(Qt::white),
                QColor(0xc8, 0xcc, 0xd2), QColor(0xee, 0xef, 0xf1), QColor(0x4e, 0x79, 0xa7, 40)};
    }
    return {QColor(0x1c, 0x1e, 0x22), QColor(0xe8, 0xea, 0xed), QColor(0xb4, 0xb9, 0xc0), QColor(0x94, 0x9a, 0xa2),
            QColor(0x62, 0x67, 0x6e), QColor(0x2a, 0x2d, 0x33, 235), QColor(0x44, 0x48, 0x50), QColor(0x2a, 0x2d, 0x33),
            QColor(0x50, 0x55, 0x5d), QColor(0x3a, 0x3e, 0x45), QColor(0x8a, 0xb4, 0xe8, 50)};
}
constexpr double kFitMarginPx = 24.0;
constexpr double kLegendMarginPx = 12.0;
constexpr int kAnimationMs = 90;  // a little under the interval between streamed layouts

// Coverage of a disc of `radius` device pixels, centred on the middle pixel of a square sprite.
struct Sprite {
    int half = 0;
    std::vector<quint32> alpha;  // (2 half + 1)^2 values in 0..255, opacity included
};

Sprite make_sprite(double radius, double opacity) {
    Sprite sprite;
    sprite.half = static_cast<int>(std::ceil(radius + 0.5));
    const int side = 2 * sprite.half + 1;
    sprite.alpha.resize(static_cast<std::size_t>(side) * side);
    for (int dy = -sprite.half; dy <= sprite.half; ++dy) {
        for (int dx = -sprite.half; dx <= sprite.half; ++dx) {
            const double coverage = std::clamp(radius + 0.5 - std::hypot(dx, dy), 0.0, 1.0);
            sprite.alpha[static_cast<std::size_t>((dy + sprite.half) * side + dx + sprite.half)] =
                static_cast<quint32>(std::lround(coverage * opacity * 255.0));
        }
    }
    return sprite;
}

// x * a/255 + y * b/255 per channel of two premultiplied ARGB pixels, a + b = 255 (Qt's
// INTERPOLATE_PIXEL_255): two channels per multiply keeps 100k blended points within a few ms.
inline quint32 interpolate_255(quint32 x, quint32 a, quint32 y, quint32 b) {
    quint32 t = (x & 0xff00ff) * a + (y & 0xff00ff) * b;
    t = (t + ((t >> 8) & 0xff00ff) + 0x800080) >> 8;
    t &= 0xff00ff;
    x = ((x >> 8) & 0xff00ff) * a + ((y >> 8) & 0xff00ff) * b;
    x = (x + ((x >> 8) & 0xff00ff) + 0x800080);
    x &= 0xff00ff00;
    return x | t;
}

}  // namespace

MapView::MapView(ThumbnailCache* thumbnails, QWidget* parent) : QWidget(parent), thumbnails_(thumbnails) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    setMinimumSize(200, 150);
    animation_timer_.setInterval(16);
    connect(&animation_timer_, &QTimer::timeout, this, &MapView::advance_animation);
    render_timer_.setSingleShot(true);
    render_timer_.setInterval(0);
    connect(&render_timer_, &QTimer::timeout, this, &MapView::render_slice);
    if (thumbnails_) {
        connect(thumbnails_, &ThumbnailCache::thumbnail_ready, this, [this](qint64 item) {
            if (item == hovered_) update();
        });
    }
}

void MapView::set_layout(std::vector<QPointF> positions, bool animate) {
    const bool same_size = positions.size() == target_.size();
    // A glide redraws every point each frame: only for maps drawn in one go.
    if (animate && same_size && !shown_.empty() && positions.size() < progressive_min_points_) {
        animation_from_ = shown_;
        target_ = std::move(positions);
        animation_started_ms_ = QDateTime::currentMSecsSinceEpoch();
        animation_timer_.start();
    } else {
        animation_timer_.stop();
        target_ = std::move(positions);
        shown_ = target_;
    }
    if (!same_size) {
        hovered_ = -1;
        rebuild_draw_order();
    }
    grid_valid_ = false;
    if (auto_fit_) fit_to_points(); else invalidate();
}

void MapView::clear_layout() {
    set_layout({});
    auto_fit_ = true;
}

void MapView::advance_animation() {
    const double t = std::min(1.0, static_cast<double>(QDateTime::currentMSecsSinceEpoch() - animation_started_ms_) / kAnimationMs);
    if (t >= 1.0 || animation_from_.size() != target_.size()) {
        animation_timer_.stop();
        shown_ = target_;
    } else {
        const double eased = t * t * (3.0 - 2.0 * t);
        for (std::size_t i = 0; i < shown_.size(); ++i) shown_[i] = animation_from_[i] + (target_[i] - animation_from_[i]) * eased;
    }
    grid_valid_ = false;
    invalidate();
}

void MapView::set_colouring(MapColouring colouring) {
    const bool same_classes = colouring.names == colouring_.names;
    colouring_ = std::move(colouring);
    if (!same_classes) hidden_.assign(static_cast<std::size_t>(colouring_.names.size()), false);
    counts_.assign(static_cast<std::size_t>(colouring_.names.size()), 0);
    for (const int category : colouring_.category) {
        if (category >= 0 && category < colouring_.names.size()) ++counts_[static_cast<std::size_t>(category)];
    }
    rebuild_draw_order();
    // The legend's width can change what "fit" means.
    if (auto_fit_) fit_to_points(); else invalidate();
}

void MapView::rebuild_draw_order() {
    draw_order_.resize(target_.size());
    std::iota(draw_order_.begin(), draw_order_.end(), qint64{0});
    if (colouring_.layered && colouring_.category.size() == target_.size()) {
        std::stable_sort(draw_order_.begin(), draw_order_.end(), [this](qint64 a, qint64 b) {
            return colouring_.category[static_cast<std::size_t>(a)] > colouring_.category[static_cast<std::size_t>(b)];
        });
    }
}

void MapView::set_category_visible(int category, bool visible) {
    if (category < 0 || category >= static_cast<int>(hidden_.size())) return;
    hidden_[static_cast<std::size_t>(category)] = !visible;
    if (hovered_ >= 0 && !visible) set_hovered(-1);
    invalidate();
}

bool MapView::category_visible(int category) const {
    return category < 0 || category >= static_cast<int>(hidden_.size()) || !hidden_[static_cast<std::size_t>(category)];
}

void MapView::set_placeholder_text(const QString& text) {
    placeholder_ = text;
    update();
}

double MapView::legend_width_px() const {
    if (colouring_.names.isEmpty()) return 0.0;
    const QFontMetricsF metrics(font());
    double widest = metrics.horizontalAdvance(colouring_.title);
    for (int k = 0; k < colouring_.names.size(); ++k) {
        widest = std::max(widest, metrics.horizontalAdvance(colouring_.names[k]) + 28.0 +
                                      metrics.horizontalAdvance(QLocale().toString(counts_[static_cast<std::size_t>(k)])) + 12.0);
    }
    return std::min(widest + 20.0, 300.0);
}

void MapView::fit_to_points() {
    auto_fit_ = true;
    if (target_.empty()) {
        invalidate();
        return;
    }
    double left = target_[0].x(), right = left, top = target_[0].y(), bottom = top;
    for (const QPointF& p : target_) {
        left = std::min(left, p.x());
        right = std::max(right, p.x());
        top = std::min(top, p.y());
        bottom = std::max(bottom, p.y());
    }
    const double legend = legend_width_px();
    QRectF area(kFitMarginPx, kFitMarginPx, width() - 2 * kFitMarginPx - (legend > 0 ? legend + kLegendMarginPx : 0.0),
                height() - 2 * kFitMarginPx - 18.0);  // the hint line at the bottom
    area.setWidth(std::max(area.width(), 20.0));
    area.setHeight(std::max(area.height(), 20.0));
    const double span_x = std::max(right - left, 1e-9), span_y = std::max(bottom - top, 1e-9);
    scale_ = fit_scale_ = std::min(area.width() / span_x, area.height() / span_y);
    // Centre the map's middle on the area's middle.
    const QPointF middle((left + right) / 2, (top + bottom) / 2);
    centre_ = middle - (area.center() - QPointF(width() / 2.0, height() / 2.0)) / scale_;
    invalidate();
}

QPointF MapView::to_widget(QPointF map) const {
    return (map - centre_) * scale_ + QPointF(width() / 2.0, height() / 2.0);
}

QPointF MapView::to_map(QPointF widget) const {
    return (widget - QPointF(width() / 2.0, height() / 2.0)) / scale_ + centre_;
}

QPointF MapView::widget_position(qint64 item) const {
    if (item < 0 || item >= static_cast<qint64>(shown_.size())) return {};
    return to_widget(shown_[static_cast<std::size_t>(item)]);
}

double MapView::point_radius_px() const {
    // Fewer points get larger marks; zooming in grows them, more slowly than the map.
    const double count = std::max<double>(2000.0, static_cast<double>(shown_.size()));
    const double base = std::clamp(3.2 - 0.35 * std::log2(count / 2000.0), 1.5, 3.2);
    return base * std::clamp(std::sqrt(scale_ / std::max(fit_scale_, 1e-12)), 1.0, 4.0);
}

const PointGrid& MapView::grid() const {
    if (!grid_valid_) {
        grid_.build(shown_);
        grid_valid_ = true;
    }
    return grid_;
}

qint64 MapView::nearest_point(QPointF position, double radius_px) const {
    if (shown_.empty()) return -1;
    const bool coloured = colouring_.category.size() == shown_.size();
    return grid().nearest(to_map(position), radius_px / scale_, [this, coloured](qint64 item) {
        return !coloured || category_visible(colouring_.category[static_cast<std::size_t>(item)]);
    });
}

std::vector<qint64> MapView::points_in_polygon(const QPolygonF& widget_polygon) const {
    std::vector<qint64> inside;
    if (widget_polygon.size() < 3 || shown_.empty()) return inside;
    QPolygonF polygon;
    for (const QPointF& corner : widget_polygon) polygon << to_map(corner);
    const bool coloured = colouring_.category.size() == shown_.size();
    grid().for_each_candidate(polygon.boundingRect(), [&](qint64 item) {
        if (coloured && !category_visible(colouring_.category[static_cast<std::size_t>(item)])) return;
        if (polygon.containsPoint(shown_[static_cast<std::size_t>(item)], Qt::OddEvenFill)) inside.push_back(item);
    });
    std::sort(inside.begin(), inside.end());
    return inside;
}

bool MapView::progressive() const { return shown_.size() >= progressive_min_points_; }

void MapView::invalidate() {
    layer_valid_ = false;
    if (progressive()) {
        // Restart: whatever was half drawn belongs to a view or data that no longer is.
        pending_.next = 0;
        pending_.elapsed_ms = 0.0;
        pending_.active = true;
        render_timer_.start();
    } else {
        pending_.active = false;
        render_timer_.stop();
    }
    update();
}

void MapView::set_progressive_min_points(std::size_t points) {
    progressive_min_points_ = std::max<std::size_t>(1, points);
    invalidate();
}

void MapView::prepare_layer(QImage& image) const {
    const qreal ratio = devicePixelRatioF();
    const QSize device_size = size() * ratio;
    if (image.size() != device_size) image = QImage(device_size, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(ratio);
    image.fill(ink_for(palette()).background);
}

void MapView::blend_points(QImage& image, std::size_t begin, std::size_t end) const {
    const qreal ratio = image.devicePixelRatio();
    // Per category: its colour, or 0 when hidden (every drawn colour is opaque, so 0 is free).
    const bool coloured = colouring_.category.size() == shown_.size();
    std::vector<quint32> colour_of(static_cast<std::size_t>(colouring_.names.size()), 0);
    for (std::size_t k = 0; k < colour_of.size(); ++k) {
        const QColor colour = k < colouring_.colours.size() ? colouring_.colours[k] : kUncoloured;
        if (category_visible(static_cast<int>(k))) colour_of[k] = colour.rgba() | 0xff000000u;
    }
    const quint32 fallback = kUncoloured.rgba();
    const double opacity = shown_.size() > 20000 ? 0.7 : 0.85;
    const Sprite sprite = make_sprite(point_radius_px() * ratio, opacity);
    const int half = sprite.half;
    const int side = 2 * half + 1;
    const int columns = image.width(), rows = image.height();
    auto* pixels = reinterpret_cast<quint32*>(image.bits());
    const qsizetype stride = image.bytesPerLine() / 4;
    const double offset_x = width() / 2.0 * ratio, offset_y = height() / 2.0 * ratio;
    const double device_scale = scale_ * ratio;
    const std::size_t categories = colour_of.size();
    end = std::min(end, draw_order_.size());

    // Horizontal bands in parallel: each band sees every point in draw order and writes only its
    // own rows, so the picture is the same for any number of bands (and of slices).
    const auto blend_band = [&](int band_top, int band_bottom) {
        for (std::size_t position = begin; position < end; ++position) {
            const auto index = static_cast<std::size_t>(draw_order_[position]);
            if (index >= shown_.size()) continue;
            const QPointF& p = shown_[index];
            const double y = (p.y() - centre_.y()) * device_scale + offset_y;
            if (y < band_top - half - 1 || y >= band_bottom + half) continue;
            const double x = (p.x() - centre_.x()) * device_scale + offset_x;
            if (x < -half - 1 || x >= columns + half) continue;
            quint32 colour = fallback;
            if (coloured) {
                const auto category = static_cast<std::size_t>(colouring_.category[index]);
                colour = category < categories ? colour_of[category] : fallback;
                if (colour == 0) continue;
            }
            const int left = static_cast<int>(std::floor(x)) - half, top = static_cast<int>(std::floor(y)) - half;
            // Clip the sprite once per point, not per pixel.
            const int first_column = std::max(0, -left), last_column = std::min(side, columns - left);
            const int first_row = std::max(0, band_top - top), last_row = std::min(side, band_bottom - top);
            for (int sy = first_row; sy < last_row; ++sy) {
                quint32* row = pixels + (top + sy) * stride + left;
                const quint32* alpha = sprite.alpha.data() + sy * side;
                for (int sx = first_column; sx < last_column; ++sx) {
                    const quint32 a = alpha[sx];
                    if (a != 0) row[sx] = interpolate_255(colour, a, row[sx], 255 - a);
                }
            }
        }
    };
    const int bands = shown_.size() > 20000 ? std::clamp(QThread::idealThreadCount(), 1, 8) : 1;
    if (bands == 1) {
        blend_band(0, rows);
    } else {
        // Threads of its own, joined before the layer is used: starting and joining them orders
        // the bands' writes for ThreadSanitizer too, which Qt's pool (synchronising inside
        // uninstrumented Qt) did not; a few threads per slice cost microseconds against its
        // milliseconds.
        std::vector<std::thread> helpers;
        helpers.reserve(static_cast<std::size_t>(bands - 1));
        for (int band = 1; band < bands; ++band) {
            helpers.emplace_back([&blend_band, rows, bands, band] { blend_band(rows * band / bands, rows * (band + 1) / bands); });
        }
        blend_band(0, rows / bands);
        for (auto& helper : helpers) helper.join();
    }
}

void MapView::remember_layer_view() {
    layer_centre_ = centre_;
    layer_scale_ = scale_;
    layer_widget_size_ = size();
    layer_valid_ = true;
}

void MapView::render_points() {
    QElapsedTimer clock;
    clock.start();
    prepare_layer(layer_);
    blend_points(layer_, 0, draw_order_.size());
    remember_layer_view();
    last_render_ms_ = static_cast<double>(clock.nsecsElapsed()) / 1e6;
}

void MapView::render_slice() {
    if (!pending_.active) return;
    QElapsedTimer clock;
    clock.start();
    if (pending_.next == 0) prepare_layer(pending_.image);
    // Slices of points until the budget is spent, so the event loop runs between them: a million
    // points take 70-150 ms on two cores, more than a frame may stall.
    constexpr std::size_t kSlicePoints = 50000;
    constexpr qint64 kBudgetNs = 12'000'000;
    while (pending_.next < draw_order_.size() && clock.nsecsElapsed() < kBudgetNs) {
        blend_points(pending_.image, pending_.next, pending_.next + kSlicePoints);
        pending_.next += kSlicePoints;
    }
    pending_.elapsed_ms += static_cast<double>(clock.nsecsElapsed()) / 1e6;
    if (pending_.next < draw_order_.size()) {
        render_timer_.start();
        return;
    }
    layer_.swap(pending_.image);
    remember_layer_view();
    last_render_ms_ = pending_.elapsed_ms;
    pending_.active = false;
    update();
}

// The last complete layer moved and scaled from the view it was drawn for to the current one:
// what the user sees while the new one is drawn in slices.
void MapView::paint_previous_layer(QPainter& painter) const {
    painter.fillRect(rect(), ink_for(palette()).background);
    if (layer_.isNull() || layer_scale_ <= 0.0) return;
    const double factor = scale_ / layer_scale_;
    const QPointF old_half(layer_widget_size_.width() / 2.0, layer_widget_size_.height() / 2.0);
    const QPointF new_half(width() / 2.0, height() / 2.0);
    const QPointF offset = new_half - old_half * factor + (layer_centre_ - centre_) * scale_;
    painter.save();
    painter.translate(offset);
    painter.scale(factor, factor);
    painter.drawImage(QPointF(0, 0), layer_);
    painter.restore();
}

MapView::LegendLayout MapView::legend_layout() const {
    LegendLayout legend;
    if (colouring_.names.isEmpty()) return legend;
    const QFontMetricsF metrics(font());
    const double row_height = std::ceil(metrics.height() + 6.0);
    const double width_px = legend_width_px();
    const double left = width() - kLegendMarginPx - width_px;
    double y = kLegendMarginPx + 8.0;
    legend.title = QRectF(left + 10.0, y, width_px - 20.0, row_height);
    y += row_height + 2.0;
    const double bottom_limit = height() - kLegendMarginPx - 8.0;
    legend.entries.resize(static_cast<std::size_t>(colouring_.names.size()));
    for (int k = 0; k < colouring_.names.size(); ++k) {
        if (y + row_height > bottom_limit) break;
        legend.entries[static_cast<std::size_t>(k)] = QRectF(left + 4.0, y, width_px - 8.0, row_height);
        y += row_height;
        ++legend.shown;
    }
    legend.panel = QRectF(left, kLegendMarginPx, width_px, y - kLegendMarginPx + 8.0);
    return legend;
}

QRectF MapView::legend_entry_rect(int category) const {
    const auto legend = legend_layout();
    if (category < 0 || category >= static_cast<int>(legend.entries.size())) return {};
    return legend.entries[static_cast<std::size_t>(category)];
}

int MapView::legend_entry_at(QPointF position) const {
    const auto legend = legend_layout();
    for (std::size_t k = 0; k < legend.entries.size(); ++k) {
        if (legend.entries[k].contains(position)) return static_cast<int>(k);
    }
    return -1;
}

void MapView::paint_legend(QPainter& painter) const {
    const auto legend = legend_layout();
    if (legend.panel.isEmpty()) return;
    const MapInk ink = ink_for(palette());
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(ink.panel_border);
    painter.setBrush(ink.panel);
    painter.drawRoundedRect(legend.panel, 6, 6);
    QFont bold = font();
    bold.setBold(true);
    painter.setFont(bold);
    painter.setPen(ink.text);
    painter.drawText(legend.title, Qt::AlignLeft | Qt::AlignVCenter, colouring_.title);
    painter.setFont(font());
    for (std::size_t k = 0; k < legend.entries.size(); ++k) {
        const QRectF& entry = legend.entries[k];
        if (entry.isEmpty()) continue;
        const bool visible = !hidden_[k];
        const QColor colour = k < colouring_.colours.size() ? colouring_.colours[k] : kUncoloured;
        const QRectF swatch(entry.left() + 6.0, entry.center().y() - 5.0, 10.0, 10.0);
        painter.setPen(QPen(colour, 1.5));
        painter.setBrush(visible ? QBrush(colour) : Qt::NoBrush);
        painter.drawEllipse(swatch);
        painter.setPen(visible ? ink.text : ink.hidden);
        const QRectF text(swatch.right() + 8.0, entry.top(), entry.width() - 30.0, entry.height());
        painter.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, colouring_.names[static_cast<int>(k)]);
        painter.setPen(ink.faint);
        painter.drawText(text.adjusted(0, 0, -4, 0), Qt::AlignRight | Qt::AlignVCenter, QLocale().toString(counts_[k]));
    }
    const int missing = colouring_.names.size() - legend.shown;
    if (missing > 0) {
        painter.setPen(ink.faint);
        painter.drawText(QRectF(legend.panel.left() + 10, legend.panel.bottom() - 4, legend.panel.width(), 16),
                         tr("+ %n more", nullptr, missing));
    }
}

void MapView::paint_hover_card(QPainter& painter) {
    if (hovered_ < 0 || hovered_ >= static_cast<qint64>(shown_.size())) return;
    const QPointF at = widget_position(hovered_);
    const MapInk ink = ink_for(palette());
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(ink.text, 1.5));
    painter.setBrush(Qt::NoBrush);
    const double ring = point_radius_px() + 3.0;
    painter.drawEllipse(at, ring, ring);

    QString name = QStringLiteral("#%1").arg(hovered_);
    if (thumbnails_) name = QString::fromStdString(thumbnails_->dataset().item_name(hovered_));
    QString category;
    if (colouring_.category.size() == shown_.size()) {
        const int k = colouring_.category[static_cast<std::size_t>(hovered_)];
        if (k >= 0 && k < colouring_.names.size()) category = colouring_.names[k];
    }
    const QImage thumbnail = thumbnails_ ? thumbnails_->thumbnail(hovered_) : QImage();
    const int image_side = thumbnails_ ? thumbnails_->side_px() : 0;
    const QFontMetricsF metrics(font());
    const double text_width = std::max(metrics.horizontalAdvance(name), metrics.horizontalAdvance(category));
    const double card_width = std::min(320.0, std::max<double>(image_side, text_width) + 16.0);
    const double card_height = image_side + (image_side > 0 ? 8.0 : 0.0) + 2 * metrics.height() + 14.0;
    QPointF corner = hover_position_ + QPointF(16, 16);
    if (corner.x() + card_width > width() - 4) corner.setX(hover_position_.x() - 16 - card_width);
    if (corner.y() + card_height > height() - 4) corner.setY(hover_position_.y() - 16 - card_height);
    corner.setX(std::max(4.0, corner.x()));
    corner.setY(std::max(4.0, corner.y()));
    const QRectF card(corner, QSizeF(card_width, card_height));
    painter.setPen(ink.card_border);
    painter.setBrush(ink.card);
    painter.drawRoundedRect(card, 6, 6);
    double y = card.top() + 8.0;
    if (image_side > 0) {
        const QRectF frame(card.center().x() - image_side / 2.0, y, image_side, image_side);
        if (thumbnail.isNull()) {
            painter.fillRect(frame, ink.placeholder);
        } else {
            const QSizeF fitted = QSizeF(thumbnail.size()).scaled(frame.size(), Qt::KeepAspectRatio);
            painter.drawImage(QRectF(frame.center() - QPointF(fitted.width() / 2, fitted.height() / 2), fitted), thumbnail);
        }
        y += image_side + 6.0;
    }
    painter.setPen(ink.text);
    painter.drawText(QRectF(card.left() + 8, y, card_width - 16, metrics.height()), Qt::AlignHCenter,
                     metrics.elidedText(name, Qt::ElideMiddle, card_width - 16));
    painter.setPen(ink.secondary);
    painter.drawText(QRectF(card.left() + 8, y + metrics.height() + 2, card_width - 16, metrics.height()), Qt::AlignHCenter,
                     category);
}

void MapView::paint_hint(QPainter& painter) const {
    painter.setPen(ink_for(palette()).faint);
    painter.drawText(QRectF(10, height() - 22, width() - 20, 18), Qt::AlignLeft | Qt::AlignVCenter,
                     count_text(static_cast<qint64>(shown_.size()), tr("%1 image"), tr("%1 images")) +
                         tr(" · scroll to zoom · drag to pan · Shift+drag to select · click to open · double-click to fit"));
}

void MapView::paintEvent(QPaintEvent*) {
    const bool layer_fits = layer_valid_ && layer_.size() == size() * devicePixelRatioF();
    if (!layer_fits && !progressive()) render_points();
    QPainter painter(this);
    if (layer_fits || !progressive()) {
        painter.drawImage(0, 0, layer_);
    } else {
        if (!pending_.active) invalidate();
        paint_previous_layer(painter);
    }
    const MapInk ink = ink_for(palette());
    if (shown_.empty()) {
        painter.setPen(ink.secondary);
        painter.drawText(rect().adjusted(40, 40, -40, -40), Qt::AlignCenter | Qt::TextWordWrap, placeholder_);
        return;
    }
    paint_hint(painter);
    paint_legend(painter);
    if (lasso_.size() > 1) {
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(QPen(ink.text, 1.2, Qt::DashLine));
        painter.setBrush(ink.lasso_fill);
        painter.drawPolygon(lasso_);
    }
    paint_hover_card(painter);
}

void MapView::resizeEvent(QResizeEvent*) {
    if (auto_fit_) fit_to_points(); else invalidate();
}

void MapView::wheelEvent(QWheelEvent* event) {
    if (shown_.empty()) return;
    const QPointF cursor = event->position();
    const QPointF anchor = to_map(cursor);
    const double factor = std::pow(2.0, event->angleDelta().y() / 480.0);
    scale_ = std::clamp(scale_ * factor, fit_scale_ / 4.0, fit_scale_ * 400.0);
    centre_ = anchor - (cursor - QPointF(width() / 2.0, height() / 2.0)) / scale_;
    auto_fit_ = false;
    hover_position_ = cursor;
    set_hovered(nearest_point(cursor, point_radius_px() + 4.0));
    invalidate();
    event->accept();
}

void MapView::mousePressEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const QPointF position = event->position();
    if (const int entry = legend_entry_at(position); entry >= 0) {
        set_category_visible(entry, !category_visible(entry));
        return;
    }
    if (lasso_mode_ || event->modifiers().testFlag(Qt::ShiftModifier)) {
        lassoing_ = true;
        lasso_ = QPolygonF() << position;
        set_hovered(-1);
        return;
    }
    pressed_ = true;
    panning_ = false;
    press_position_ = position;
    press_centre_ = centre_;
}

void MapView::mouseMoveEvent(QMouseEvent* event) {
    const QPointF position = event->position();
    hover_position_ = position;
    if (lassoing_) {
        if (QLineF(lasso_.last(), position).length() >= 2.0) lasso_ << position;
        update();
        return;
    }
    if (pressed_) {
        if (!panning_ && QLineF(press_position_, position).length() >= QApplication::startDragDistance()) {
            panning_ = true;
            set_hovered(-1);
            setCursor(Qt::ClosedHandCursor);
        }
        if (panning_) {
            centre_ = press_centre_ - (position - press_position_) / scale_;
            auto_fit_ = false;
            invalidate();
        }
        return;
    }
    set_hovered(nearest_point(position, point_radius_px() + 4.0));
    if (hovered_ >= 0) update();
}

void MapView::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    if (lassoing_) {
        lassoing_ = false;
        const auto items = points_in_polygon(lasso_);
        lasso_.clear();
        update();
        if (!items.empty()) Q_EMIT selection_made(items);
        return;
    }
    if (!pressed_) return;
    pressed_ = false;
    if (panning_) {
        panning_ = false;
        unsetCursor();
        return;
    }
    if (const qint64 item = nearest_point(event->position(), point_radius_px() + 4.0); item >= 0) {
        last_clicked_ = item;
        Q_EMIT point_opened(item);
    }
}

void MapView::mouseDoubleClickEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton && legend_entry_at(event->position()) < 0 &&
        nearest_point(event->position(), point_radius_px() + 4.0) < 0) {
        fit_to_points();
    }
}

void MapView::leaveEvent(QEvent*) { set_hovered(-1); }

void MapView::contextMenuEvent(QContextMenuEvent* event) {
    const qint64 item = nearest_point(event->pos(), point_radius_px() + 4.0);
    if (item < 0) return;
    last_clicked_ = item;
    Q_EMIT point_menu_requested(item, event->globalPos());
    event->accept();
}

void MapView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    // A new theme: the points layer is drawn again on the new background.
    if (event->type() == QEvent::PaletteChange) invalidate();
}

void MapView::set_hovered(qint64 item) {
    if (item == hovered_) return;
    hovered_ = item;
    if (!panning_) {
        if (item >= 0) setCursor(Qt::PointingHandCursor); else unsetCursor();
    }
    update();
}

}  // namespace corral::ui
