#pragma once
// Item models over one clustering: the list of clusters (name, size, editable name, a drop
// target for images) and the images of one cluster (dragged as a list of dataset items). Both
// are virtual: a 70k-image cluster costs one index vector, and thumbnails are fetched only for
// rows a view asks to paint.
#include <QAbstractListModel>
#include <QString>

#include <vector>

#include "corral/ui/view_models.h"

class QMimeData;

namespace corral::ui {

class ThumbnailCache;

// The MIME type of dragged images: their dataset items, as a list of 64-bit integers.
inline constexpr char kImageItemsMimeType[] = "application/x-corral-image-items";
QMimeData* encode_image_items(const std::vector<qint64>& items);
std::vector<qint64> decode_image_items(const QMimeData* data);

class ClusterListModel : public QAbstractListModel {
    Q_OBJECT
public:
    explicit ClusterListModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}
    // Same number of clusters: rows are updated in place (the selection, the current row and an
    // open editor stay); otherwise the model is reset.
    void set_clustering(const ClusteringView& clustering);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    Qt::DropActions supportedDropActions() const override { return Qt::MoveAction | Qt::CopyAction; }
    bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                         const QModelIndex& parent) const override;
    // Images dropped on a cluster's row are reported by images_dropped; the model itself is unchanged.
    bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column, const QModelIndex& parent) override;
    const std::vector<qint64>& sizes() const { return sizes_; }
    QString name(int cluster) const { return names_.at(static_cast<std::size_t>(cluster)); }
    QString detail(int cluster) const;

Q_SIGNALS:
    // The user typed a new name (the view shows it until the controller's answer).
    void cluster_renamed(int cluster, const QString& name);
    void images_dropped(const std::vector<qint64>& items, int cluster);

private:
    std::vector<QString> names_;
    std::vector<QString> details_;
    std::vector<qint64> sizes_;
};

class ClusterImagesModel : public QAbstractListModel {
    Q_OBJECT
public:
    ClusterImagesModel(ThumbnailCache* thumbnails, QObject* parent = nullptr);
    // Shows the items of `cluster` (all items when cluster < 0), in dataset order.
    void show_cluster(const std::vector<int>& assignment, int cluster);
    // Shows an explicit list of items (a lasso selection on the map, for example), in dataset
    // order unless `keep_order` (search results, best first). The same items again: no reset.
    void show_items(std::vector<qint64> items, bool keep_order = false);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    Qt::DropActions supportedDragActions() const override { return Qt::MoveAction; }
    qint64 item_at(int row) const { return items_.at(static_cast<std::size_t>(row)); }
    const std::vector<qint64>& items() const { return items_; }
    // A second line under each thumbnail's tooltip, per item (search scores); empty for none.
    void set_item_notes(std::vector<QString> notes) { notes_ = std::move(notes); }
    // A short line shown under each thumbnail, per item (a search result's similarity); empty for
    // none. Cleared, like the notes, by the next show_items or show_cluster.
    void set_item_captions(std::vector<QString> captions);
    bool has_captions() const { return !captions_.empty(); }

private:
    void on_thumbnail_ready(qint64 item);

    ThumbnailCache* thumbnails_;
    std::vector<qint64> items_;
    std::vector<QString> notes_;  // per row, or empty
    std::vector<QString> captions_;  // per row, or empty
    bool sorted_ = true;
};

}  // namespace corral::ui
