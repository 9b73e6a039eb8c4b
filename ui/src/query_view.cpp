#include "query_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QMenu>
#include <QMouseEvent>
#include <QPushButton>
#include <QVBoxLayout>

#include "cluster_preview_dialog.h"
#include "plural.h"
#include "query_reason.h"
#include "thumbnail_cache.h"

namespace corral::ui {
namespace {

constexpr int kQueryImageSide = 280;
constexpr int kExemplarSide = 96;
// Compact: what a 1024 x 700 window leaves the question (five rows of four exemplars and "More…").
constexpr int kCompactQueryImageSide = 200;
constexpr int kCompactExemplarSide = 72;
constexpr int kExemplarsShown = 4;

QPixmap scaled_pixmap(const QImage& image, int side) {
    if (image.isNull()) return {};
    // Small images (28 px) are scaled up without smoothing so their pixels stay crisp.
    const bool enlarge = image.width() < side / 2;
    return QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio,
                                           enlarge ? Qt::FastTransformation : Qt::SmoothTransformation));
}

}  // namespace

QueryView::QueryView(ThumbnailCache* thumbnails, QWidget* parent)
    : QWidget(parent), thumbnails_(thumbnails), query_side_(kQueryImageSide), exemplar_side_(kExemplarSide) {
    setFocusPolicy(Qt::StrongFocus);
    query_image_ = new QLabel(this);
    query_image_->setFixedSize(query_side_, query_side_);
    query_image_->setAlignment(Qt::AlignCenter);
    query_image_->setFrameShape(QFrame::StyledPanel);
    query_image_->setAccessibleName(tr("Image to place"));
    query_image_->setToolTip(tr("Click or press V to see it large, with its file"));
    query_image_->setCursor(Qt::PointingHandCursor);
    query_image_->installEventFilter(this);
    query_image_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(query_image_, &QWidget::customContextMenuRequested, this, [this](const QPoint& position) {
        if (!has_query()) return;
        QMenu menu(this);
        const qint64 sample = query_.sample;
        menu.addAction(tr("Find similar images  [Ctrl+F]"), this, [this, sample] { Q_EMIT similar_images_requested(sample); });
        menu.exec(query_image_->mapToGlobal(position));
    });
    counter_ = new QLabel(this);
    reason_ = new QLabel(this);
    reason_->setObjectName(QStringLiteral("query_reason"));
    reason_->setWordWrap(true);
    reason_->setTextFormat(Qt::RichText);
    reason_->setMaximumWidth(kQueryImageSide + 40);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setAlignment(Qt::AlignCenter);
    message_->hide();

    candidates_box_ = new QWidget(this);
    candidates_layout_ = new QGridLayout(candidates_box_);
    candidates_layout_->setHorizontalSpacing(6);
    candidates_layout_->setVerticalSpacing(10);
    candidates_layout_->setColumnStretch(3 + kExemplarsShown, 1);  // keeps exemplars next to their names

    none_button_ = new QPushButton(tr("None of these  [0 / N]"), this);
    skip_button_ = new QPushButton(tr("Skip  [S]"), this);
    undo_button_ = new QPushButton(tr("Undo  [Ctrl+Z]"), this);
    for (auto* button : {none_button_, skip_button_, undo_button_}) button->setFocusPolicy(Qt::NoFocus);
    connect(none_button_, &QPushButton::clicked, this, [this] { if (has_query()) Q_EMIT answered(AnswerKind::negative, -1); });
    connect(skip_button_, &QPushButton::clicked, this, [this] { if (has_query()) Q_EMIT answered(AnswerKind::skip, -1); });
    connect(undo_button_, &QPushButton::clicked, this, &QueryView::undo_requested);

    auto* left = new QVBoxLayout;
    auto* prompt = new QLabel(tr("<h3>Which group does this image belong with?</h3>"), this);
    left->addWidget(prompt);
    left->addWidget(query_image_, 0, Qt::AlignHCenter);
    left->addWidget(counter_);
    left->addWidget(reason_);
    left->addStretch();
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(none_button_);
    buttons->addWidget(skip_button_);
    buttons->addWidget(undo_button_);
    left->addLayout(buttons);

    auto* right = new QVBoxLayout;
    right->addWidget(candidates_box_);
    right->addStretch();

    auto* layout = new QHBoxLayout(this);
    layout->addLayout(left, 0);
    layout->addLayout(right, 1);
    auto* overlay = new QVBoxLayout;
    overlay->addWidget(message_);
    layout->addLayout(overlay);

    connect(thumbnails_, &ThumbnailCache::thumbnail_ready, this, &QueryView::refresh_thumbnails);
    show_message(tr("No query yet."));
}

void QueryView::set_member_source(std::function<std::vector<qint64>(int cluster)> source) {
    member_source_ = std::move(source);
    rebuild_candidates();
    refresh_thumbnails(-1);
}

void QueryView::show_message(const QString& message) {
    query_ = SessionQuery{};
    candidate_names_.clear();
    candidate_sizes_.clear();
    has_query_ = false;
    thumbnail_labels_.clear();
    rebuild_candidates();
    query_image_->clear();
    counter_->clear();
    reason_->clear();
    reason_->setToolTip({});
    message_->setText(message);
    message_->show();
    for (auto* button : {none_button_, skip_button_}) button->setEnabled(false);
}

void QueryView::show_query(const SessionQuery& query, const ClusteringView& clustering) {
    query_ = query;
    has_query_ = true;
    candidate_names_.clear();
    candidate_sizes_.clear();
    const auto sizes = clustering.sizes();
    for (const auto& candidate : query.candidates) {
        candidate_names_.push_back(clustering.cluster_name(candidate.cluster));
        const bool known = candidate.cluster >= 0 && static_cast<std::size_t>(candidate.cluster) < sizes.size();
        candidate_sizes_.push_back(known ? sizes[static_cast<std::size_t>(candidate.cluster)] : 0);
    }
    message_->hide();
    for (auto* button : {none_button_, skip_button_}) button->setEnabled(true);
    counter_->setText(tr("Query %1 of %2 — %3 answered").arg(query.position + 1).arg(query.round_size).arg(query.answered_in_round));
    const QString reason = query_reason(reason_facts(query, clustering));
    reason_->setText(tr("<b>Why this image:</b> %1.").arg(reason.toHtmlEscaped()));
    // The terms themselves, for whoever wants the numbers behind the words.
    reason_->setToolTip(tr("Value-mining terms when it was picked: hardness %1, representativeness %2, diversity %3")
                            .arg(query.hardness, 0, 'f', 3)
                            .arg(query.representativeness, 0, 'f', 3)
                            .arg(query.diversity, 0, 'f', 3));
    thumbnail_labels_.clear();
    // The query image is decoded at full size (not from the thumbnail cache) so it stays sharp.
    query_image_source_ = thumbnails_->full_image(query.sample);
    query_image_->setPixmap(scaled_pixmap(query_image_source_, query_side_));
    rebuild_candidates();
    refresh_thumbnails(-1);
    choose_scale();
    setFocus();
}

void QueryView::rebuild_candidates() {
    while (QLayoutItem* item = candidates_layout_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    thumbnail_labels_.clear();
    size_labels_.clear();
    for (std::size_t row = 0; row < query_.candidates.size() && row < candidate_names_.size(); ++row) {
        const auto& candidate = query_.candidates[row];
        const QString& candidate_name = candidate_names_[row];
        const int grid_row = static_cast<int>(row);
        auto* choose_button = new QPushButton(QStringLiteral("%1").arg(row + 1), candidates_box_);
        choose_button->setFixedWidth(36);
        choose_button->setFocusPolicy(Qt::NoFocus);
        choose_button->setToolTip(tr("This image belongs with %1 (key %2)").arg(candidate_name).arg(row + 1));
        connect(choose_button, &QPushButton::clicked, this, [this, row] { choose(static_cast<int>(row)); });
        candidates_layout_->addWidget(choose_button, grid_row, 0);
        auto* name_box = new QWidget(candidates_box_);
        auto* name_layout = new QVBoxLayout(name_box);
        name_layout->setContentsMargins(0, 0, 0, 0);
        name_layout->setSpacing(0);
        auto* name = new QLabel(QStringLiteral("<b>%1</b>").arg(candidate_name.toHtmlEscaped()), name_box);
        auto* size = new QLabel(count_text(candidate_sizes_[row], tr("%1 image"), tr("%1 images")), name_box);
        size->setObjectName(QStringLiteral("candidate_size"));
        size->setForegroundRole(QPalette::PlaceholderText);  // secondary text in every theme
        name_layout->addStretch();
        name_layout->addWidget(name);
        name_layout->addWidget(size);
        name_layout->addStretch();
        name_box->setMinimumWidth(120);
        size_labels_.push_back(size);
        candidates_layout_->addWidget(name_box, grid_row, 1);
        const int shown = std::min<int>(kExemplarsShown, static_cast<int>(candidate.exemplars.size()));
        for (int e = 0; e < shown; ++e) {
            auto* label = new QLabel(candidates_box_);
            label->setFixedSize(exemplar_side_, exemplar_side_);
            label->setAlignment(Qt::AlignCenter);
            label->setFrameShape(QFrame::StyledPanel);
            candidates_layout_->addWidget(label, grid_row, 2 + e);
            thumbnail_labels_.emplace_back(candidate.exemplars[static_cast<std::size_t>(e)], label);
        }
        if (member_source_) {
            auto* more = new QPushButton(tr("More…"), candidates_box_);
            more->setObjectName(QStringLiteral("show_more"));
            more->setFocusPolicy(Qt::NoFocus);
            more->setToolTip(tr("Show every image of %1, the most typical first (Ctrl+%2)").arg(candidate_name).arg(row + 1));
            connect(more, &QPushButton::clicked, this, [this, row] { show_more(static_cast<int>(row)); });
            candidates_layout_->addWidget(more, grid_row, 2 + kExemplarsShown, Qt::AlignVCenter);
        }
    }
}

ClusterPreviewDialog* QueryView::show_more(int candidate_index) {
    if (!has_query() || !member_source_ || candidate_index < 0 ||
        candidate_index >= static_cast<int>(query_.candidates.size())) {
        return nullptr;
    }
    const auto index = static_cast<std::size_t>(candidate_index);
    const int cluster = query_.candidates[index].cluster;
    auto* dialog = new ClusterPreviewDialog(thumbnails_, candidate_names_[index], member_source_(cluster), query_.sample, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const qint64 asked = query_.sample;
    const qint64 round = query_.round_id;
    connect(dialog, &ClusterPreviewDialog::belongs_here, this, [this, asked, round, candidate_index] {
        // Only the question it was opened for: a job may have moved on meanwhile.
        if (has_query() && query_.sample == asked && query_.round_id == round) choose(candidate_index);
    });
    connect(dialog, &ClusterPreviewDialog::image_opened, this, &QueryView::image_opened);
    connect(dialog, &QDialog::finished, this, [this] { setFocus(); });
    dialog->open();  // window-modal without a nested event loop
    return dialog;
}

void QueryView::fit_to(QSize available) {
    available_ = available;
    choose_scale();
}

void QueryView::choose_scale() {
    if (!available_.isValid()) return;
    // Measured at full size each time: the question (its names, its reason) decides what fits.
    apply_scale(false);
    candidates_layout_->invalidate();
    layout()->invalidate();
    const QSize full = minimumSizeHint();
    apply_scale(full.width() > available_.width() || full.height() > available_.height());
}

void QueryView::apply_scale(bool compact) {
    if (compact == compact_) return;
    compact_ = compact;
    query_side_ = compact ? kCompactQueryImageSide : kQueryImageSide;
    exemplar_side_ = compact ? kCompactExemplarSide : kExemplarSide;
    query_image_->setFixedSize(query_side_, query_side_);
    if (has_query_) query_image_->setPixmap(scaled_pixmap(query_image_source_, query_side_));
    for (auto& [item, label] : thumbnail_labels_) label->setFixedSize(exemplar_side_, exemplar_side_);
    candidates_layout_->setVerticalSpacing(compact ? 6 : 10);
    refresh_thumbnails(-1);
}

void QueryView::refresh_thumbnails(qint64 item) {
    for (auto& [wanted, label] : thumbnail_labels_) {
        if (item >= 0 && wanted != item) continue;
        const QImage image = thumbnails_->thumbnail(wanted);
        if (!image.isNull()) label->setPixmap(scaled_pixmap(image, label->width()));
    }
}

void QueryView::choose(int candidate_index) {
    if (!has_query() || candidate_index < 0 || candidate_index >= static_cast<int>(query_.candidates.size())) return;
    Q_EMIT answered(AnswerKind::positive, query_.candidates[static_cast<std::size_t>(candidate_index)].cluster);
}

void QueryView::keyPressEvent(QKeyEvent* event) {
    if (event->matches(QKeySequence::Redo)) {
        Q_EMIT redo_requested();
        return;
    }
    if (event->matches(QKeySequence::Undo) || event->key() == Qt::Key_Backspace) {
        Q_EMIT undo_requested();
        return;
    }
    if (!has_query()) {
        QWidget::keyPressEvent(event);
        return;
    }
    const int key = event->key();
    if (key >= Qt::Key_1 && key <= Qt::Key_9 && (event->modifiers() & Qt::ControlModifier)) {
        show_more(key - Qt::Key_1);
    } else if (key >= Qt::Key_1 && key <= Qt::Key_9) {
        choose(key - Qt::Key_1);
    } else if (key == Qt::Key_V) {
        Q_EMIT image_opened(query_.sample);
    } else if (key == Qt::Key_0 || key == Qt::Key_N) {
        Q_EMIT answered(AnswerKind::negative, -1);
    } else if (key == Qt::Key_S) {
        Q_EMIT answered(AnswerKind::skip, -1);
    } else {
        QWidget::keyPressEvent(event);
    }
}

bool QueryView::eventFilter(QObject* watched, QEvent* event) {
    // The left button opens it; the right one is its context menu (Find similar images).
    if (watched == query_image_ && event->type() == QEvent::MouseButtonRelease && has_query() &&
        static_cast<QMouseEvent*>(event)->button() == Qt::LeftButton) {
        Q_EMIT image_opened(query_.sample);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace corral::ui
