#include "cluster_models.h"

#include <QColor>
#include <QPixmap>

#include <algorithm>

#include "thumbnail_cache.h"

namespace corral::ui {

void ClusterListModel::set_clustering(const ClusteringSnapshot& clustering) {
    beginResetModel();
    names_ = clustering.names;
    details_ = clustering.details;
    details_.resize(names_.size());
    sizes_.assign(names_.size(), 0);
    for (int cluster : clustering.assignment) {
        if (cluster >= 0 && static_cast<std::size_t>(cluster) < sizes_.size()) ++sizes_[static_cast<std::size_t>(cluster)];
    }
    endResetModel();
}

int ClusterListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(names_.size());
}

QVariant ClusterListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const auto row = static_cast<std::size_t>(index.row());
    switch (role) {
        case Qt::DisplayRole: {
            const QString line = tr("%1  (%2)").arg(names_[row]).arg(sizes_[row]);
            return details_[row].isEmpty() ? line : line + QLatin1Char('\n') + details_[row];
        }
        case Qt::EditRole: return names_[row];
        case Qt::ToolTipRole: {
            const QString tip = tr("%1: %n image(s)", nullptr, static_cast<int>(sizes_[row])).arg(names_[row]);
            return details_[row].isEmpty() ? tip : tip + QLatin1Char('\n') + details_[row];
        }
        default: return {};
    }
}

QString ClusterListModel::detail(int cluster) const { return details_.at(static_cast<std::size_t>(cluster)); }

bool ClusterListModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || role != Qt::EditRole) return false;
    const QString name = value.toString().trimmed();
    if (name.isEmpty() || name == names_[static_cast<std::size_t>(index.row())]) return false;
    names_[static_cast<std::size_t>(index.row())] = name;
    Q_EMIT dataChanged(index, index);
    Q_EMIT cluster_renamed(index.row(), name);
    return true;
}

Qt::ItemFlags ClusterListModel::flags(const QModelIndex& index) const {
    return QAbstractListModel::flags(index) | Qt::ItemIsEditable;
}

ClusterImagesModel::ClusterImagesModel(ThumbnailCache* thumbnails, QObject* parent)
    : QAbstractListModel(parent), thumbnails_(thumbnails) {
    connect(thumbnails_, &ThumbnailCache::thumbnail_ready, this, &ClusterImagesModel::on_thumbnail_ready);
}

void ClusterImagesModel::show_cluster(const std::vector<int>& assignment, int cluster) {
    std::vector<qint64> items;
    for (std::size_t i = 0; i < assignment.size(); ++i) {
        if (cluster < 0 || assignment[i] == cluster) items.push_back(static_cast<qint64>(i));
    }
    show_items(std::move(items));
}

void ClusterImagesModel::show_items(std::vector<qint64> items) {
    // Dataset order, so that on_thumbnail_ready finds a row by binary search.
    std::sort(items.begin(), items.end());
    beginResetModel();
    items_ = std::move(items);
    endResetModel();
}

int ClusterImagesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QVariant ClusterImagesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const qint64 item = items_[static_cast<std::size_t>(index.row())];
    switch (role) {
        case Qt::DecorationRole: {
            const QImage image = thumbnails_->thumbnail(item);
            if (image.isNull()) {
                // A neutral placeholder of the final size keeps the grid from jumping.
                QPixmap placeholder(thumbnails_->side_px(), thumbnails_->side_px());
                placeholder.fill(QColor(128, 128, 128, 40));
                return placeholder;
            }
            return QPixmap::fromImage(image);
        }
        case Qt::ToolTipRole: return QString::fromStdString(thumbnails_->dataset().item_name(item));
        case Qt::UserRole: return item;
        default: return {};
    }
}

void ClusterImagesModel::on_thumbnail_ready(qint64 item) {
    const auto it = std::lower_bound(items_.begin(), items_.end(), item);
    if (it == items_.end() || *it != item) return;
    const QModelIndex changed = index(static_cast<int>(it - items_.begin()));
    Q_EMIT dataChanged(changed, changed, {Qt::DecorationRole});
}

}  // namespace corral::ui
