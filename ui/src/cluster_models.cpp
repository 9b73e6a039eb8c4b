#include "cluster_models.h"

#include <QColor>
#include <QDataStream>
#include <QIODevice>
#include <QMimeData>
#include <QPixmap>

#include <algorithm>

#include "plural.h"
#include "thumbnail_cache.h"

namespace corral::ui {

QMimeData* encode_image_items(const std::vector<qint64>& items) {
    QByteArray bytes;
    QDataStream stream(&bytes, QIODevice::WriteOnly);
    stream << static_cast<qint64>(items.size());
    for (const qint64 item : items) stream << item;
    auto* data = new QMimeData;
    data->setData(QString::fromLatin1(kImageItemsMimeType), bytes);
    return data;
}

std::vector<qint64> decode_image_items(const QMimeData* data) {
    std::vector<qint64> items;
    if (!data || !data->hasFormat(QString::fromLatin1(kImageItemsMimeType))) return items;
    const QByteArray bytes = data->data(QString::fromLatin1(kImageItemsMimeType));
    QDataStream stream(bytes);
    qint64 count = 0;
    stream >> count;
    if (count < 0 || count > bytes.size() / static_cast<qint64>(sizeof(qint64))) return items;
    items.resize(static_cast<std::size_t>(count));
    for (qint64& item : items) stream >> item;
    if (stream.status() != QDataStream::Ok) items.clear();
    return items;
}

void ClusterListModel::set_clustering(const ClusteringView& clustering) {
    const bool same_rows = clustering.names.size() == names_.size();
    if (!same_rows) beginResetModel();
    names_ = clustering.names;
    details_ = clustering.details;
    details_.resize(names_.size());
    sizes_ = clustering.sizes();
    if (!same_rows) {
        endResetModel();
    } else if (!names_.empty()) {
        Q_EMIT dataChanged(index(0), index(static_cast<int>(names_.size()) - 1));
    }
}

int ClusterListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(names_.size());
}

QVariant ClusterListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const auto row = static_cast<std::size_t>(index.row());
    switch (role) {
        case Qt::DisplayRole: {
            const QString line = sizes_[row] == 0 ? tr("%1  (empty)").arg(names_[row]) : tr("%1  (%2)").arg(names_[row]).arg(sizes_[row]);
            return details_[row].isEmpty() ? line : line + QLatin1Char('\n') + details_[row];
        }
        case Qt::EditRole: return names_[row];
        case Qt::ToolTipRole: {
            const QString tip = tr("%1: %2").arg(names_[row], count_text(sizes_[row], tr("%1 image"), tr("%1 images")));
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
    // The controller decides (a name in use is refused) and the clustering it sends back is shown.
    Q_EMIT cluster_renamed(index.row(), name);
    return true;
}

Qt::ItemFlags ClusterListModel::flags(const QModelIndex& index) const {
    const Qt::ItemFlags base = QAbstractListModel::flags(index);
    return index.isValid() ? base | Qt::ItemIsEditable | Qt::ItemIsDropEnabled : base;
}

QStringList ClusterListModel::mimeTypes() const { return {QString::fromLatin1(kImageItemsMimeType)}; }

bool ClusterListModel::canDropMimeData(const QMimeData* data, Qt::DropAction, int row, int, const QModelIndex& parent) const {
    // Onto a cluster's row, not between rows.
    return data && data->hasFormat(QString::fromLatin1(kImageItemsMimeType)) && row < 0 && parent.isValid();
}

bool ClusterListModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                                    const QModelIndex& parent) {
    if (!canDropMimeData(data, action, row, column, parent)) return false;
    const auto items = decode_image_items(data);
    if (items.empty()) return false;
    Q_EMIT images_dropped(items, parent.row());
    // false: the dragging view must not remove the rows itself; the controller moves the images.
    return false;
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

void ClusterImagesModel::show_items(std::vector<qint64> items, bool keep_order) {
    // Dataset order unless asked otherwise, so that on_thumbnail_ready finds a row by binary search.
    if (!keep_order) std::sort(items.begin(), items.end());
    notes_.clear();
    if (!captions_.empty()) {
        captions_.clear();
        if (!items_.empty()) Q_EMIT dataChanged(index(0), index(rowCount() - 1), {Qt::DisplayRole});
    }
    if (items == items_ && sorted_ == !keep_order) return;  // selection and scroll position stay
    beginResetModel();
    items_ = std::move(items);
    sorted_ = !keep_order;
    endResetModel();
}

int ClusterImagesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(items_.size());
}

QVariant ClusterImagesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    const auto row = static_cast<std::size_t>(index.row());
    const qint64 item = items_[row];
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
        case Qt::ToolTipRole: {
            const QString name = QString::fromStdString(thumbnails_->dataset().item_name(item));
            return row < notes_.size() && !notes_[row].isEmpty() ? name + QLatin1Char('\n') + notes_[row] : name;
        }
        case Qt::DisplayRole:
            if (row < captions_.size()) return captions_[row];
            return {};
        case Qt::UserRole: return item;
        default: return {};
    }
}

void ClusterImagesModel::set_item_captions(std::vector<QString> captions) {
    captions_ = std::move(captions);
    if (!items_.empty()) Q_EMIT dataChanged(index(0), index(rowCount() - 1), {Qt::DisplayRole});
}

Qt::ItemFlags ClusterImagesModel::flags(const QModelIndex& index) const {
    const Qt::ItemFlags base = QAbstractListModel::flags(index);
    return index.isValid() ? base | Qt::ItemIsDragEnabled : base;
}

QStringList ClusterImagesModel::mimeTypes() const { return {QString::fromLatin1(kImageItemsMimeType)}; }

QMimeData* ClusterImagesModel::mimeData(const QModelIndexList& indexes) const {
    std::vector<qint64> items;
    for (const QModelIndex& index : indexes) {
        if (index.isValid()) items.push_back(items_[static_cast<std::size_t>(index.row())]);
    }
    std::sort(items.begin(), items.end());
    return encode_image_items(items);
}

void ClusterImagesModel::on_thumbnail_ready(qint64 item) {
    qint64 row = -1;
    if (sorted_) {
        const auto it = std::lower_bound(items_.begin(), items_.end(), item);
        if (it != items_.end() && *it == item) row = it - items_.begin();
    } else if (const auto it = std::find(items_.begin(), items_.end(), item); it != items_.end()) {
        row = it - items_.begin();
    }
    if (row < 0) return;
    const QModelIndex changed = index(static_cast<int>(row));
    Q_EMIT dataChanged(changed, changed, {Qt::DecorationRole});
}

}  // namespace corral::ui
