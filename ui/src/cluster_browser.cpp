#include "cluster_browser.h"

#include <QAction>
#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QMenu>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include "plural.h"
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
    clusters_view_->setContextMenuPolicy(Qt::CustomContextMenu);
    // Images dragged from the grid are dropped onto a cluster.
    clusters_view_->setAcceptDrops(true);
    clusters_view_->setDragDropMode(QAbstractItemView::DropOnly);
    clusters_view_->setDropIndicatorShown(true);

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
    update_grid_size();
    images_view_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    images_view_->setContextMenuPolicy(Qt::CustomContextMenu);
    images_view_->setAccessibleName(tr("Images of the cluster"));
    // Pressing on a selected image and dragging drags the selection (on empty space: a rubber band).
    images_view_->setDragEnabled(true);
    images_view_->setDragDropMode(QAbstractItemView::DragOnly);
    images_view_->setDefaultDropAction(Qt::MoveAction);

    header_ = new QLabel(this);
    header_->setTextFormat(Qt::RichText);
    notice_ = new QLabel(this);
    notice_->setObjectName(QStringLiteral("browser_notice"));
    notice_->setWordWrap(true);
    notice_->setStyleSheet(QStringLiteral("color: #c0392b;"));
    notice_->hide();
    notice_timer_ = new QTimer(this);
    notice_timer_->setSingleShot(true);
    notice_timer_->setInterval(6000);
    connect(notice_timer_, &QTimer::timeout, notice_, &QWidget::hide);
    auto* right = new QWidget(this);
    right_layout_ = new QVBoxLayout(right);
    right_layout_->setContentsMargins(0, 0, 0, 0);
    right_layout_->addWidget(header_);
    right_layout_->addWidget(notice_);
    right_layout_->addWidget(images_view_);
    auto* splitter = new QSplitter(this);
    splitter->addWidget(clusters_view_);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 4);
    splitter->setSizes({300, 900});
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(splitter);

    connect(clusters_view_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        if (current.isValid() && current.row() != selected_cluster_) on_cluster_selected(current.row());
    });
    connect(clusters_view_, &QListView::clicked, this, [this](const QModelIndex& index) {
        // Back from a list to the cluster clicked, even when it is the current row already.
        if (index.isValid() && showing_list()) on_cluster_selected(index.row());
    });
    connect(clusters_, &ClusterListModel::cluster_renamed, this, &ClusterBrowser::cluster_renamed);
    connect(clusters_, &ClusterListModel::images_dropped, this, &ClusterBrowser::images_moved);
    connect(images_view_, &QListView::activated, this,
            [this](const QModelIndex& index) { Q_EMIT image_opened(images_->item_at(index.row())); });
    connect(images_view_, &QWidget::customContextMenuRequested, this, [this](const QPoint& position) {
        if (selected_items().empty()) return;
        std::unique_ptr<QMenu> menu(make_image_menu(this));
        menu->exec(images_view_->viewport()->mapToGlobal(position));
    });
    connect(clusters_view_, &QWidget::customContextMenuRequested, this, [this](const QPoint& position) {
        const QModelIndex index = clusters_view_->indexAt(position);
        if (!index.isValid()) return;
        std::unique_ptr<QMenu> menu(make_cluster_menu(index.row(), this));
        menu->exec(clusters_view_->viewport()->mapToGlobal(position));
    });
}

void ClusterBrowser::set_clustering(const ClusteringView& clustering) {
    const int previous = selected_cluster_;
    const bool list = showing_list();
    clustering_ = clustering;
    clusters_->set_clustering(clustering_);
    if (list) {
        update_header();  // the list stays: its images may have moved, it is still what was asked for
        return;
    }
    const int shown = previous >= 0 && previous < clusters_->rowCount() ? previous : 0;
    if (clusters_->rowCount() == 0) return;
    if (clusters_view_->currentIndex().row() != shown) {
        const QSignalBlocker blocker(clusters_view_->selectionModel());
        clusters_view_->setCurrentIndex(clusters_->index(shown));
    }
    on_cluster_selected(shown);
}

void ClusterBrowser::select_cluster(int cluster) {
    if (cluster < 0 || cluster >= clusters_->rowCount()) return;
    {
        const QSignalBlocker blocker(clusters_view_->selectionModel());
        clusters_view_->setCurrentIndex(clusters_->index(cluster));
    }
    on_cluster_selected(cluster);
}

void ClusterBrowser::on_cluster_selected(int cluster) {
    selected_cluster_ = cluster;
    list_title_.clear();
    if (cluster < 0) return;
    images_->show_cluster(clustering_.assignment, cluster);
    update_grid_size();
    update_header();
}

void ClusterBrowser::update_grid_size() {
    const int side = thumbnails_->side_px();
    const QSize grid = images_->has_captions() ? QSize(side + 16, side + 12 + fontMetrics().height()) : QSize(side + 8, side + 8);
    if (images_view_->gridSize() != grid) images_view_->setGridSize(grid);
}

qint64 ClusterBrowser::current_item() const {
    const QModelIndex current = images_view_->currentIndex();
    if (current.isValid()) return images_->item_at(current.row());
    const auto selected = selected_items();
    return selected.empty() ? -1 : selected.front();
}

void ClusterBrowser::update_header() {
    if (showing_list()) {
        header_->setText(tr("<b>%1</b> — %2").arg(list_title_.toHtmlEscaped(), count_text(images_->rowCount(), tr("%1 image"), tr("%1 images"))));
        return;
    }
    if (selected_cluster_ < 0 || selected_cluster_ >= clusters_->rowCount()) return;
    QString header = tr("<b>%1</b> — %2").arg(clusters_->name(selected_cluster_).toHtmlEscaped(),
                                               count_text(images_->rowCount(), tr("%1 image"), tr("%1 images")));
    if (const QString detail = clusters_->detail(selected_cluster_); !detail.isEmpty()) {
        header += tr(" — top words: %1").arg(detail.toHtmlEscaped());
    }
    header_->setText(header);
}

void ClusterBrowser::show_items(std::vector<qint64> items, const QString& title, bool keep_order, std::vector<QString> notes,
                                std::vector<QString> captions) {
    selected_cluster_ = -1;
    list_title_ = title.isEmpty() ? tr("Images") : title;
    {
        const QSignalBlocker blocker(clusters_view_->selectionModel());
        clusters_view_->selectionModel()->clear();
    }
    images_->show_items(std::move(items), keep_order);
    images_->set_item_notes(std::move(notes));
    images_->set_item_captions(std::move(captions));
    update_grid_size();
    update_header();
}

std::vector<qint64> ClusterBrowser::selected_items() const {
    std::vector<qint64> items;
    for (const QModelIndex& index : images_view_->selectionModel()->selectedIndexes()) items.push_back(images_->item_at(index.row()));
    std::sort(items.begin(), items.end());
    return items;
}

QMenu* ClusterBrowser::make_image_menu(QWidget* parent) {
    const auto items = selected_items();
    auto* menu = new QMenu(parent);
    if (items.empty()) return menu;
    const qint64 first = images_view_->currentIndex().isValid() ? images_->item_at(images_view_->currentIndex().row()) : items.front();
    QAction* open = menu->addAction(tr("Open image"));
    open->setObjectName(QStringLiteral("open_image"));
    connect(open, &QAction::triggered, this, [this, first] { Q_EMIT image_opened(first); });
    QAction* similar = menu->addAction(tr("Find similar images  [Ctrl+F]"));
    similar->setObjectName(QStringLiteral("find_similar"));
    connect(similar, &QAction::triggered, this, [this, first] { Q_EMIT similar_images_requested(first); });
    menu->addSeparator();
    const QString images = count_text(static_cast<qint64>(items.size()), tr("%1 image"), tr("%1 images"));
    QMenu* move = menu->addMenu(tr("Move %1 to").arg(images));
    move->menuAction()->setObjectName(QStringLiteral("move_to"));
    for (int cluster = 0; cluster < clusters_->rowCount(); ++cluster) {
        if (cluster == selected_cluster_) continue;
        QAction* target = move->addAction(clusters_->name(cluster));
        target->setData(cluster);
        connect(target, &QAction::triggered, this, [this, items, cluster] { Q_EMIT images_moved(items, cluster); });
    }
    QAction* to_new = menu->addAction(tr("Move %1 to a new cluster").arg(images));
    to_new->setObjectName(QStringLiteral("move_to_new_cluster"));
    to_new->setEnabled(clustering_.can_add_cluster);
    if (!clustering_.can_add_cluster) {
        to_new->setToolTip(tr("The answers fine-tune a convnet whose number of clusters is fixed"));
    }
    connect(to_new, &QAction::triggered, this, [this, items] { Q_EMIT images_to_new_cluster(items); });
    return menu;
}

QMenu* ClusterBrowser::make_cluster_menu(int cluster, QWidget* parent) {
    auto* menu = new QMenu(parent);
    if (cluster < 0 || cluster >= clusters_->rowCount()) return menu;
    QAction* rename = menu->addAction(tr("Rename…  [F2]"));
    rename->setObjectName(QStringLiteral("rename_cluster"));
    connect(rename, &QAction::triggered, this, [this, cluster] { clusters_view_->edit(clusters_->index(cluster)); });
    QMenu* merge = menu->addMenu(tr("Merge “%1” into", nullptr).arg(clusters_->name(cluster)));
    merge->menuAction()->setObjectName(QStringLiteral("merge_into"));
    merge->setEnabled(clusters_->sizes()[static_cast<std::size_t>(cluster)] > 0);
    for (int into = 0; into < clusters_->rowCount(); ++into) {
        if (into == cluster) continue;
        QAction* target = merge->addAction(clusters_->name(into));
        target->setData(into);
        connect(target, &QAction::triggered, this, [this, cluster, into] { Q_EMIT clusters_merged(cluster, into); });
    }
    return menu;
}

void ClusterBrowser::set_top_bar(QWidget* bar) { right_layout_->insertWidget(0, bar); }

void ClusterBrowser::show_notice(const QString& message) {
    notice_->setText(message);
    notice_->show();
    notice_timer_->start();
}

}  // namespace corral::ui
