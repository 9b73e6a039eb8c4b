#include "metrics_chart.h"

#include <QPainter>
#include <QPainterPath>

namespace corral::ui {

MetricsChart::MetricsChart(QWidget* parent) : QWidget(parent) {
    setMinimumSize(240, 150);
    setAccessibleName(tr("Metrics per round"));
}

void MetricsChart::set_rounds(std::vector<RoundMetrics> rounds) {
    rounds_ = std::move(rounds);
    QStringList lines;
    for (const auto& round : rounds_) {
        lines << tr("%1: NMI %2, ACC %3, ARI %4").arg(round.label).arg(round.nmi, 0, 'f', 3).arg(round.acc, 0, 'f', 3).arg(round.ari, 0, 'f', 3);
    }
    setToolTip(lines.join(QLatin1Char('\n')));
    update();
}

void MetricsChart::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette& colours = palette();
    painter.fillRect(rect(), colours.base());
    const QRectF plot = QRectF(rect()).adjusted(36, 12, -12, -28);
    painter.setPen(QPen(colours.mid().color(), 1));
    for (int tick = 0; tick <= 4; ++tick) {
        const double y = plot.bottom() - plot.height() * tick / 4.0;
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        painter.setPen(colours.text().color());
        painter.drawText(QRectF(0, y - 8, 32, 16), Qt::AlignRight | Qt::AlignVCenter, QString::number(tick / 4.0, 'f', 2));
        painter.setPen(QPen(colours.mid().color(), 1));
    }
    if (rounds_.empty()) {
        painter.setPen(colours.text().color());
        painter.drawText(plot, Qt::AlignCenter, tr("Metrics appear when the dataset has ground truth."));
        return;
    }
    const auto x_of = [&](std::size_t i) {
        return rounds_.size() == 1 ? plot.center().x() : plot.left() + plot.width() * i / (rounds_.size() - 1.0);
    };
    const auto y_of = [&](double value) { return plot.bottom() - plot.height() * std::clamp(value, 0.0, 1.0); };
    struct Series { QString name; QColor colour; double RoundMetrics::*value; };
    const Series series[] = {{QStringLiteral("ACC"), QColor(0x1f77b4), &RoundMetrics::acc},
                             {QStringLiteral("NMI"), QColor(0xff7f0e), &RoundMetrics::nmi},
                             {QStringLiteral("ARI"), QColor(0x2ca02c), &RoundMetrics::ari}};
    for (std::size_t s = 0; s < 3; ++s) {
        QPainterPath path;
        for (std::size_t i = 0; i < rounds_.size(); ++i) {
            const QPointF point(x_of(i), y_of(rounds_[i].*series[s].value));
            if (i == 0) path.moveTo(point); else path.lineTo(point);
            painter.setPen(Qt::NoPen);
            painter.setBrush(series[s].colour);
            painter.drawEllipse(point, 3, 3);
        }
        painter.setBrush(Qt::NoBrush);
        painter.setPen(QPen(series[s].colour, 2));
        painter.drawPath(path);
        painter.drawText(QPointF(plot.left() + 8 + 48 * s, plot.top() + 12), series[s].name);
    }
    painter.setPen(colours.text().color());
    for (std::size_t i = 0; i < rounds_.size(); ++i) {
        // Labels stay inside the widget: the first and last align to the plot's edges.
        QRectF box(x_of(i) - 80, plot.bottom() + 4, 160, 20);
        int alignment = Qt::AlignCenter;
        if (rounds_.size() > 1 && i == 0) { box.moveLeft(plot.left() - 20); alignment = Qt::AlignLeft | Qt::AlignVCenter; }
        if (rounds_.size() > 1 && i + 1 == rounds_.size()) { box.moveRight(plot.right()); alignment = Qt::AlignRight | Qt::AlignVCenter; }
        painter.drawText(box, alignment, rounds_[i].label);
    }
}

}  // namespace corral::ui
