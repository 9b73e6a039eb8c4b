#pragma once
// The cluster browser: clusters as a list with sizes (double-click renames), and a virtualised
// thumbnail grid of the selected cluster. Images can be opened large or moved to another
// cluster by hand; moves and renames are reported as signals for the session to store.
#include <QWidget>

#include <vector>

#include "cluster_models.h"

class QListView;
class QLabel;

namespace corral::ui {

class ThumbnailCache;

class ClusterBrowser : public QWidget {
    Q_OBJECT
public:
    ClusterBrowser(ThumbnailCache* thumbnails, QWidget* parent = nullptr);
    void set_clustering(const ClusteringSnapshot& clustering);
    void select_cluster(int cluster);
    void show_items(std::vector<qint64> items, const QString& title);
    int selected_cluster() const { return selected_cluster_; }
    QListView* image_view() const { return images_view_; }
    QListView* cluster_view() const { return clusters_view_; }
    ClusterListModel* cluster_model() const { return clusters_; }
    ClusterImagesModel* image_model() const { return images_; }

Q_SIGNALS:
    void cluster_renamed(int cluster, const QString& name);
    void images_moved(const std::vector<qint64>& items, int to_cluster);
    void image_opened(qint64 item);

private:
    void on_cluster_selected(int cluster);
    void show_context_menu(const QPoint& position);
    std::vector<qint64> selected_items() const;

    ThumbnailCache* thumbnails_;
    ClusteringSnapshot clustering_;
    int selected_cluster_ = -1;
    ClusterListModel* clusters_;
    ClusterImagesModel* images_;
    QListView* clusters_view_;
    QListView* images_view_;
    QLabel* header_;
};

}  // namespace corral::ui
