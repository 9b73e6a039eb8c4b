#include "query_view.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "thumbnail_cache.h"

namespace corral::ui {
namespace {

constexpr int kQueryImageSide = 280;
constexpr int kExemplarSide = 96;
constexpr int kExemplarsShown = 4;

QPixmap scaled_pixmap(const QImage& image, int side) {
    if (image.isNull()) return {};
    // Small images (28 px) are scaled up without smoothing so their pixels stay crisp.
    const bool enlarge = image.width() < side / 2;
    return QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio,
                                           enlarge ? Qt::FastTransformation : Qt::SmoothTransformation));
}

}  // namespace

QueryView::QueryView(ThumbnailCache* thumbnails, QWidget* parent) : QWidget(parent), thumbnails_(thumbnails) {
    setFocusPolicy(Qt::StrongFocus);
    query_image_ = new QLabel(this);
    query_image_->setFixedSize(kQueryImageSide, kQueryImageSide);
    query_image_->setAlignment(Qt::AlignCenter);
    query_image_->setFrameShape(QFrame::StyledPanel);
    query_image_->setAccessibleName(tr("Image to place"));
    counter_ = new QLabel(this);
    reason_ = new QLabel(this);
    reason_->setWordWrap(true);
    reason_->setTextFormat(Qt::RichText);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setAlignment(Qt::AlignCenter);
    message_->hide();

    candidates_box_ = new QWidget(this);
    candidates_layout_ = new QGridLayout(candidates_box_);
    candidates_layout_->setHorizontalSpacing(6);
    candidates_layout_->setVerticalSpacing(10);
    candidates_layout_->setColumnStretch(2 + kExemplarsShown, 1);  // keeps exemplars next to their names

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

void QueryView::show_message(const QString& message) {
    query_ = SessionQuery{};
    candidate_names_.clear();
    has_query_ = false;
    thumbnail_labels_.clear();
    rebuild_candidates();
    query_image_->clear();
    counter_->clear();
    reason_->clear();
    message_->setText(message);
    message_->show();
    for (auto* button : {none_button_, skip_button_}) button->setEnabled(false);
}

void QueryView::show_query(const SessionQuery& query, const ClusteringView& clustering) {
    query_ = query;
    has_query_ = true;
    candidate_names_.clear();
    for (const auto& candidate : query.candidates) candidate_names_.push_back(clustering.cluster_name(candidate.cluster));
    message_->hide();
    for (auto* button : {none_button_, skip_button_}) button->setEnabled(true);
    counter_->setText(tr("Query %1 of %2 — %3 answered").arg(query.position + 1).arg(query.round_size).arg(query.answered_in_round));
    reason_->setText(tr("<small>Chosen because it is <b>hard</b> %1 (near a boundary), <b>representative</b> %2 "
                        "(dense neighbourhood), <b>diverse</b> %3 (far from earlier picks).</small>")
                         .arg(query.hardness, 0, 'f', 2)
                         .arg(query.representativeness, 0, 'f', 2)
                         .arg(query.diversity, 0, 'f', 2));
    thumbnail_labels_.clear();
    // The query image is decoded at full size (not from the thumbnail cache) so it stays sharp.
    query_image_->setPixmap(scaled_pixmap(thumbnails_->full_image(query.sample), kQueryImageSide));
    rebuild_candidates();
    refresh_thumbnails(-1);
    setFocus();
}

void QueryView::rebuild_candidates() {
    while (QLayoutItem* item = candidates_layout_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (std::size_t row = 0; row < query_.candidates.size(); ++row) {
        const auto& candidate = query_.candidates[row];
        const QString& candidate_name = candidate_names_[row];
        auto* choose_button = new QPushButton(QStringLiteral("%1").arg(row + 1), candidates_box_);
        choose_button->setFixedWidth(36);
        choose_button->setFocusPolicy(Qt::NoFocus);
        choose_button->setToolTip(tr("This image belongs with %1 (key %2)").arg(candidate_name).arg(row + 1));
        connect(choose_button, &QPushButton::clicked, this, [this, row] { choose(static_cast<int>(row)); });
        candidates_layout_->addWidget(choose_button, static_cast<int>(row), 0);
        auto* name = new QLabel(QStringLiteral("<b>%1</b>").arg(candidate_name.toHtmlEscaped()), candidates_box_);
        name->setMinimumWidth(120);
        candidates_layout_->addWidget(name, static_cast<int>(row), 1);
        const int shown = std::min<int>(kExemplarsShown, static_cast<int>(candidate.exemplars.size()));
        for (int e = 0; e < shown; ++e) {
            auto* label = new QLabel(candidates_box_);
            label->setFixedSize(kExemplarSide, kExemplarSide);
            label->setAlignment(Qt::AlignCenter);
            label->setFrameShape(QFrame::StyledPanel);
            candidates_layout_->addWidget(label, static_cast<int>(row), 2 + e);
            thumbnail_labels_.emplace_back(candidate.exemplars[static_cast<std::size_t>(e)], label);
        }
    }
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
    if (key >= Qt::Key_1 && key <= Qt::Key_9) {
        choose(key - Qt::Key_1);
    } else if (key == Qt::Key_0 || key == Qt::Key_N) {
        Q_EMIT answered(AnswerKind::negative, -1);
    } else if (key == Qt::Key_S) {
        Q_EMIT answered(AnswerKind::skip, -1);
    } else {
        QWidget::keyPressEvent(event);
    }
}

}  // namespace corral::ui
