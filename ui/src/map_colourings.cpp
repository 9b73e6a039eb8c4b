#include "map_colourings.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace corral::ui {
namespace {

const QColor kNeutral(0xc4, 0xc8, 0xce);

QString tr(const char* text) { return QCoreApplication::translate("MapColourings", text); }

}  // namespace

QColor category_colour(int k) {
    static const QColor kPalette[] = {
        {0x4e, 0x79, 0xa7}, {0xf2, 0x8e, 0x2b}, {0xe1, 0x57, 0x59}, {0x76, 0xb7, 0xb2}, {0x59, 0xa1, 0x4f},
        {0xed, 0xc9, 0x48}, {0xb0, 0x7a, 0xa1}, {0xff, 0x9d, 0xa7}, {0x9c, 0x75, 0x5f}, {0x17, 0xbe, 0xcf},
        {0x1f, 0x3f, 0x77}, {0xa0, 0xcb, 0xe8}, {0xff, 0xbe, 0x7d}, {0x8c, 0xd1, 0x7d}, {0xb6, 0x99, 0x2d},
        {0x49, 0x98, 0x94}, {0xd3, 0x72, 0x95}, {0x86, 0xbc, 0xb6}, {0xd4, 0xa6, 0xc8}, {0x79, 0x70, 0x6e},
    };
    constexpr int kPaletteSize = static_cast<int>(std::size(kPalette));
    if (k >= 0 && k < kPaletteSize) return kPalette[k];
    // The golden angle keeps consecutive hues far apart however many classes there are.
    const int hue = static_cast<int>(std::lround(std::fmod((k - kPaletteSize) * 137.508, 360.0)));
    return QColor::fromHsv(hue, 150 + (k % 3) * 35, 200 - (k % 2) * 40);
}

namespace {

MapColouring categorical(const QString& title, const std::vector<int>& per_point, const QStringList& names,
                         const QString& unknown_name) {
    MapColouring colouring;
    colouring.title = title;
    colouring.names = names;
    for (int k = 0; k < names.size(); ++k) colouring.colours.push_back(category_colour(k));
    const int unknown = static_cast<int>(names.size());
    bool has_unknown = false;
    colouring.category.reserve(per_point.size());
    for (const int value : per_point) {
        const bool known = value >= 0 && value < unknown;
        has_unknown = has_unknown || !known;
        colouring.category.push_back(known ? value : unknown);
    }
    if (has_unknown) {
        colouring.names << unknown_name;
        colouring.colours.push_back(kNeutral);
    }
    return colouring;
}

}  // namespace

MapColouring cluster_colouring(const std::vector<int>& assignment, const QStringList& names) {
    return categorical(tr("Clusters"), assignment, names, tr("Unassigned"));
}

MapColouring ground_truth_colouring(const std::vector<int>& labels, const QStringList& class_names) {
    return categorical(tr("True classes"), labels, class_names, tr("Unknown"));
}

MapColouring answer_colouring(std::int64_t points, const std::vector<AnswerRecord>& answers,
                              const std::vector<std::int64_t>& queried) {
    enum Kind { confirmed, rejected, moved, skipped, waiting, not_queried };
    MapColouring colouring;
    colouring.title = tr("Answers");
    colouring.layered = true;
    colouring.names = {tr("Confirmed a cluster"), tr("Rejected all candidates"), tr("Moved by hand"), tr("Skipped"),
                       tr("Queried, not answered"), tr("Not queried")};
    colouring.colours = {QColor(0x2e, 0x9e, 0x4f), QColor(0xd6, 0x3b, 0x3b), QColor(0x3a, 0x6e, 0xc4),
                         QColor(0xf0, 0x9a, 0x2a), QColor(0x8e, 0x5b, 0xb5), kNeutral};
    colouring.category.assign(static_cast<std::size_t>(std::max<std::int64_t>(points, 0)), not_queried);
    const auto mark = [&](std::int64_t item, int kind) {
        if (item >= 0 && item < points) colouring.category[static_cast<std::size_t>(item)] = kind;
    };
    for (const std::int64_t item : queried) mark(item, waiting);
    // The newest answer for an image decides its colour.
    for (const AnswerRecord& answer : answers) {
        switch (answer.kind) {
            case AnswerKind::positive: mark(answer.sample, confirmed); break;
            case AnswerKind::negative: mark(answer.sample, rejected); break;
            case AnswerKind::manual_move: mark(answer.sample, moved); break;
            case AnswerKind::skip: mark(answer.sample, skipped); break;
        }
    }
    return colouring;
}

MapColouring value_colouring(std::int64_t points, const std::map<std::int64_t, double>& value_by_item) {
    MapColouring colouring;
    colouring.title = tr("Value score");
    colouring.layered = true;
    constexpr int kBins = 5;
    // Light to dark: the most valuable queries stand out (a sequential, colour-blind-safe ramp).
    const QColor ramp[kBins] = {{0xfc, 0xc5, 0x5e}, {0xf4, 0x8b, 0x3a}, {0xdf, 0x52, 0x3c}, {0xa8, 0x2a, 0x56}, {0x5c, 0x1a, 0x6b}};
    double low = 0.0, high = 0.0;
    if (!value_by_item.empty()) {
        low = high = value_by_item.begin()->second;
        for (const auto& [item, value] : value_by_item) {
            low = std::min(low, value);
            high = std::max(high, value);
        }
    }
    const double width = (high - low) / kBins;
    // Highest bin first in the legend and on top when drawn.
    for (int bin = kBins - 1; bin >= 0; --bin) {
        colouring.names << QStringLiteral("%1 – %2").arg(low + bin * width, 0, 'f', 3).arg(low + (bin + 1) * width, 0, 'f', 3);
        colouring.colours.push_back(ramp[bin]);
    }
    colouring.names << tr("Not queried");
    colouring.colours.push_back(kNeutral);
    colouring.category.assign(static_cast<std::size_t>(std::max<std::int64_t>(points, 0)), kBins);
    for (const auto& [item, value] : value_by_item) {
        if (item < 0 || item >= points) continue;
        const int bin = width > 0 ? std::clamp(static_cast<int>((value - low) / width), 0, kBins - 1) : kBins - 1;
        colouring.category[static_cast<std::size_t>(item)] = kBins - 1 - bin;
    }
    return colouring;
}

}  // namespace corral::ui
