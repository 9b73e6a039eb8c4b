#pragma once
// "Show more of this group" from a question: every image of one candidate cluster, the most
// typical (nearest its centre) first, in a scrolling grid, beside the image asked about. Enter
// (or the button) says the image belongs with this group; Esc closes; a double-click opens an
// image large. Shows plain values: the items and names it is given.
#include <QDialog>

#include <vector>

class QLabel;
class QListView;
class QPushButton;

namespace corral::ui {

class ClusterImagesModel;
class ThumbnailCache;

class ClusterPreviewDialog : public QDialog {
    Q_OBJECT
public:
    // `members`: the cluster's images in the order shown; `query_item`: the image asked about.
    ClusterPreviewDialog(ThumbnailCache* thumbnails, const QString& cluster_name, std::vector<qint64> members,
                         qint64 query_item, QWidget* parent = nullptr);

    QListView* image_view() const { return images_view_; }
    ClusterImagesModel* image_model() const { return images_; }
    QPushButton* belongs_button() const { return belongs_; }

Q_SIGNALS:
    // The user said the image belongs with this group (the dialog closes as accepted).
    void belongs_here();
    void image_opened(qint64 item);

private:
    ClusterImagesModel* images_;
    QListView* images_view_;
    QPushButton* belongs_;
};

}  // namespace corral::ui
