#pragma once
// Item models over one clustering: the list of clusters (name, size, editable name) and the
// images of one cluster. Both are virtual: a 70k-image cluster costs one index vector, and
// thumbnails are fetched only for rows a view asks to paint.
#include <QAbstractListModel>
#include <QString>

#include <vector>

namespace corral::ui {

class ThumbnailCache;

struct ClusteringSnapshot {
    std::vector<int> assignment;      // cluster per dataset item
    std::vector<QString> names;       // one per cluster
    std::vector<QString> details;     // per cluster, a second line (an aspect's top words); may be empty
};

class ClusterListModel : public QAbstractListModel {
    Q_OBJECT
public:
    explicit ClusterListModel(QObject* parent = nullptr) : QAbstractListModel(parent) {}
    void set_clustering(const ClusteringSnapshot& clustering);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    const std::vector<qint64>& sizes() const { return sizes_; }
    QString name(int cluster) const { return names_.at(static_cast<std::size_t>(cluster)); }
    QString detail(int cluster) const;

Q_SIGNALS:
    void cluster_renamed(int cluster, const QString& name);

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
    // Shows an explicit list of items (a lasso selection on the map, for example).
    void show_items(std::vector<qint64> items);
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    qint64 item_at(int row) const { return items_.at(static_cast<std::size_t>(row)); }

private:
    void on_thumbnail_ready(qint64 item);

    ThumbnailCache* thumbnails_;
    std::vector<qint64> items_;
};

}  // namespace corral::ui
