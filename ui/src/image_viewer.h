#pragma once
// The large view of one image (Enter or a double-click in the grid, the map or a question): the
// image at full size, transparent parts over a checkerboard (and a note saying so), and what is
// known about it: its cluster, its label when the collection has ground truth, and its file,
// selectable and copyable. Made from plain values; it never reads the session.
#include <QDialog>
#include <QImage>
#include <QString>

#include "corral/core/dataset.h"
#include "corral/ui/view_models.h"

class QLabel;
class QPushButton;

namespace corral::ui {

struct ImageFacts {
    QString title;    // the image's name in the collection
    QString cluster;  // "Cluster N" or the user's name; empty when not in a cluster
    QString label;    // the ground-truth class; empty when the collection has none
    QString file;     // the file the image is in (absolute path)
    QString place;    // for packed formats (IDX, CIFAR): which image of the file, e.g. "#123"; else empty
};

// What the viewer says about `item`: `clustering` may be null (a project still being built).
ImageFacts image_facts(const Dataset& dataset, qint64 item, const ClusteringView* clustering);

class ImageViewer : public QDialog {
    Q_OBJECT
public:
    // `image` at full size (null: the file can no longer be read, said instead).
    ImageViewer(const QImage& image, const ImageFacts& facts, QWidget* parent = nullptr);

    QLabel* cluster_field() const { return cluster_; }
    QLabel* label_field() const { return label_; }  // null without ground truth
    QLabel* file_field() const { return file_; }
    QPushButton* copy_path_button() const { return copy_path_; }

private:
    QLabel* cluster_;
    QLabel* label_ = nullptr;
    QLabel* file_;
    QPushButton* copy_path_;
};

}  // namespace corral::ui
