#pragma once
// The cluster browser: clusters as a list with sizes (F2 or a double-click renames; a context
// menu merges one into another), and a virtualised thumbnail grid of the selected cluster, or of
// a list of images (a selection on the map, search results). Images can be opened large, found
// similar images for, and moved to another cluster or a new one, by the context menu or by
// dragging them onto a cluster. The browser changes nothing itself: it reports what the user
// asked for as signals for the controller.
#include <QWidget>

#include <vector>

#include "cluster_models.h"

class QListView;
class QLabel;
class QMenu;
class QTimer;
class QVBoxLayout;

namespace corral::ui {

class ThumbnailCache;

class ClusterBrowser : public QWidget {
    Q_OBJECT
public:
    ClusterBrowser(ThumbnailCache* thumbnails, QWidget* parent = nullptr);
    // Shows the clustering; the cluster (or list) shown, the selection and the focus stay.
    void set_clustering(const ClusteringView& clustering);
    void select_cluster(int cluster);
    // Shows `items` instead of a cluster (best first when `keep_order`), with a note per item
    // for the tooltips and a caption under each thumbnail (a search's similarity); both may be empty.
    void show_items(std::vector<qint64> items, const QString& title, bool keep_order = false,
                    std::vector<QString> notes = {}, std::vector<QString> captions = {});
    // The image the keyboard is on in the grid (the current one, else the first selected), or -1.
    qint64 current_item() const;
    int selected_cluster() const { return selected_cluster_; }
    bool showing_list() const { return selected_cluster_ < 0 && !list_title_.isEmpty(); }
    std::vector<qint64> selected_items() const;
    QListView* image_view() const { return images_view_; }
    QListView* cluster_view() const { return clusters_view_; }
    ClusterListModel* cluster_model() const { return clusters_; }
    ClusterImagesModel* image_model() const { return images_; }
    QLabel* header() const { return header_; }
    // A line under the header for a few seconds (a refused rename, say).
    void show_notice(const QString& message);
    QLabel* notice() const { return notice_; }
    // Puts `bar` above the grid's header (the search row); the browser takes it as a child.
    void set_top_bar(QWidget* bar);
    // The context menus as they would open now (for tests); the caller owns them.
    QMenu* make_image_menu(QWidget* parent);
    QMenu* make_cluster_menu(int cluster, QWidget* parent);

Q_SIGNALS:
    void cluster_renamed(int cluster, const QString& name);
    void images_moved(const std::vector<qint64>& items, int to_cluster);
    void images_to_new_cluster(const std::vector<qint64>& items);
    void clusters_merged(int from, int into);
    void image_opened(qint64 item);
    void similar_images_requested(qint64 item);

private:
    void on_cluster_selected(int cluster);
    void update_header();
    // Room under the thumbnails for captions when the images shown have them.
    void update_grid_size();

    ThumbnailCache* thumbnails_;
    ClusteringView clustering_;
    int selected_cluster_ = -1;
    QString list_title_;  // the list shown instead of a cluster, when not empty
    ClusterListModel* clusters_;
    ClusterImagesModel* images_;
    QListView* clusters_view_;
    QListView* images_view_;
    QLabel* header_;
    QLabel* notice_;
    QVBoxLayout* right_layout_;
    QTimer* notice_timer_;
};

}  // namespace corral::ui
