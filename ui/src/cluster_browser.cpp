#include "cluster_browser.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QSplitter>
#include <QVBoxLayout>

#include "thumbnail_cache.h"

namespace corral::ui {

ClusterBrowser::ClusterBrowser(ThumbnailCache* thumbnails, QWidget* parent)
    : QWidget(parent), thumbnails_(thumbnails), clusters_(new ClusterListModel(this)),
      images_(new ClusterImagesModel(thumbnails, this)) {
    clusters_view_ = new QListView(this);
    clusters_view_->setModel(clusters_);
    clusters_view_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    clusters_view_->setAccessibleName(tr("Clusters"));
    clusters_view_->setSpacing(2);  // clusters of an aspect take two lines: name and top words
    clusters_view_->setWordWrap(true);
    clusters_view_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    images_view_ = new QListView(this);
    images_view_->setModel(images_);
    images_view_->setViewMode(QListView::IconMode);
    images_view_->setResizeMode(QListView::Adjust);
    images_view_->setMovement(QListView::Static);
    images_view_->setUniformItemSizes(true);  // lets the view lay out 70k items without asking each
    images_view_->setLayoutMode(QListView::Batched);
    images_view_->setBatchSize(2000);
    const int side = thumbnails_->side_px();
    images_view_->setIconSize(QSize(side, side));
    images_view_->setGridSize(QSize(side + 8, side + 8));
    images_view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    images_view_->setContextMenuPolicy(Qt::CustomContextMenu);
    images_view_->setAccessibleName(tr("Images of the cluster"));

    header_ = new QLabel(this);
    auto* right = new QWidget(this);
    auto* right_layout = new QVBoxLayout(right);
    right_layout->setContentsMargins(0, 0, 0, 0);
    right_layout->addWidget(header_);
    right_layout->addWidget(images_view_);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(clusters_view_);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 4);
    splitter->setSizes({300, 900});
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(clusters_view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) { on_cluster_selected(current.isValid() ? current.row() : -1); });
    connect(clusters_, &ClusterListModel::cluster_renamed, this, &ClusterBrowser::cluster_renamed);
    connect(images_view_, &QListView::activated, this,
            [this](const QModelIndex& index) { Q_EMIT image_opened(images_->item_at(index.row())); });
    connect(images_view_, &QWidget::customContextMenuRequested, this, &ClusterBrowser::show_context_menu);
}

void ClusterBrowser::set_clustering(const ClusteringSnapshot& clustering) {
    const int previous = selected_cluster_;
    clustering_ = clustering;
    clusters_->set_clustering(clustering_);
    select_cluster(previous >= 0 && previous < clusters_->rowCount() ? previous : 0);
}

void ClusterBrowser::select_cluster(int cluster) {
    if (cluster < 0 || cluster >= clusters_->rowCount()) return;
    clusters_view_->setCurrentIndex(clusters_->index(cluster));
    on_cluster_selected(cluster);
}

void ClusterBrowser::on_cluster_selected(int cluster) {
    selected_cluster_ = cluster;
    if (cluster < 0) return;
    images_->show_cluster(clustering_.assignment, cluster);
    QString header = tr("<b>%1</b> — %n image(s)", nullptr, images_->rowCount()).arg(clusters_->name(cluster).toHtmlEscaped());
    if (const QString detail = clusters_->detail(cluster); !detail.isEmpty()) {
        header += tr(" — top words: %1").arg(detail.toHtmlEscaped());
    }
    header_->setText(header);
}

void ClusterBrowser::show_items(std::vector<qint64> items, const QString& title) {
    selected_cluster_ = -1;
    clusters_view_->clearSelection();
    images_->show_items(std::move(items));
    header_->setText(tr("<b>%1</b> — %n image(s)", nullptr, images_->rowCount()).arg(title.toHtmlEscaped()));
}

std::vector<qint64> ClusterBrowser::selected_items() const {
    std::vector<qint64> items;
    for (const QModelIndex& index : images_view_->selectionModel()->selectedIndexes()) items.push_back(images_->item_at(index.row()));
    return items;
}

void ClusterBrowser::show_context_menu(const QPoint& position) {
    const auto items = selected_items();
    if (items.empty()) return;
    QMenu menu(this);
    QAction* open = menu.addAction(tr("Open image"));
    QMenu* move = menu.addMenu(tr("Move %n image(s) to", nullptr, static_cast<int>(items.size())));
    for (int cluster = 0; cluster < clusters_->rowCount(); ++cluster) {
        if (cluster == selected_cluster_) continue;
        QAction* target = move->addAction(clusters_->name(cluster));
        connect(target, &QAction::triggered, this, [this, items, cluster] { Q_EMIT images_moved(items, cluster); });
    }
    connect(open, &QAction::triggered, this, [this, items] { Q_EMIT image_opened(items.front()); });
    menu.exec(images_view_->viewport()->mapToGlobal(position));
}

}  // namespace corral::ui
