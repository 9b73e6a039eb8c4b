#include "cluster_preview_dialog.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QVBoxLayout>

#include "cluster_models.h"
#include "plural.h"
#include "thumbnail_cache.h"

namespace corral::ui {

ClusterPreviewDialog::ClusterPreviewDialog(ThumbnailCache* thumbnails, const QString& cluster_name,
                                           std::vector<qint64> members, qint64 query_item, QWidget* parent)
    : QDialog(parent), images_(new ClusterImagesModel(thumbnails, this)) {
    const qint64 size = static_cast<qint64>(members.size());
    setWindowTitle(tr("%1 — %2").arg(cluster_name, count_text(size, tr("%1 image"), tr("%1 images"))));
    images_->show_items(std::move(members), /*keep_order=*/true);

    auto* query_image = new QLabel(this);
    query_image->setObjectName(QStringLiteral("preview_query_image"));
    const int side = 2 * thumbnails->side_px();
    query_image->setFixedSize(side, side);
    query_image->setAlignment(Qt::AlignCenter);
    query_image->setFrameShape(QFrame::StyledPanel);
    const QImage image = thumbnails->full_image(query_item);
    if (!image.isNull()) {
        const bool enlarge = image.width() < side / 2;  // tiny images stay crisp
        query_image->setPixmap(QPixmap::fromImage(
            image.scaled(side, side, Qt::KeepAspectRatio, enlarge ? Qt::FastTransformation : Qt::SmoothTransformation)));
    }
    auto* query_caption = new QLabel(tr("The image asked about"), this);
    query_caption->setAlignment(Qt::AlignHCenter);
    auto* left = new QVBoxLayout;
    left->addWidget(query_image);
    left->addWidget(query_caption);
    left->addStretch();

    auto* header = new QLabel(tr("<b>%1</b>: %2, the most typical first (nearest the group's centre).")
                                  .arg(cluster_name.toHtmlEscaped(), count_text(size, tr("%1 image"), tr("%1 images"))),
                              this);
    header->setObjectName(QStringLiteral("preview_header"));
    header->setWordWrap(true);
    images_view_ = new QListView(this);
    images_view_->setModel(images_);
    images_view_->setViewMode(QListView::IconMode);
    images_view_->setResizeMode(QListView::Adjust);
    images_view_->setMovement(QListView::Static);
    images_view_->setUniformItemSizes(true);
    images_view_->setLayoutMode(QListView::Batched);
    images_view_->setBatchSize(2000);
    const int thumb = thumbnails->side_px();
    images_view_->setIconSize(QSize(thumb, thumb));
    images_view_->setGridSize(QSize(thumb + 8, thumb + 8));
    images_view_->setDragEnabled(false);
    images_view_->setAccessibleName(tr("Images of %1").arg(cluster_name));
    // Enter belongs to the dialog's default button; a double-click opens an image large.
    connect(images_view_, &QListView::doubleClicked, this,
            [this](const QModelIndex& index) { Q_EMIT image_opened(images_->item_at(index.row())); });

    auto* buttons = new QDialogButtonBox(this);
    belongs_ = buttons->addButton(tr("It belongs with %1  [Enter]").arg(cluster_name), QDialogButtonBox::AcceptRole);
    belongs_->setDefault(true);
    buttons->addButton(tr("Close  [Esc]"), QDialogButtonBox::RejectRole);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        accept();
        Q_EMIT belongs_here();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* right = new QVBoxLayout;
    right->addWidget(header);
    right->addWidget(images_view_, 1);
    auto* body = new QHBoxLayout;
    body->addLayout(left);
    body->addLayout(right, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(body, 1);
    layout->addWidget(buttons);
    resize(900, 560);
    images_view_->setFocus();
}

}  // namespace corral::ui
