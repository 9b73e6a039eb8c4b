#include "training_summary_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>

namespace corral::ui {
namespace {

QString score_change(const char* name, double before, double after) {
    const QString arrow = after > before + 0.0005 ? QStringLiteral("▲") : after < before - 0.0005 ? QStringLiteral("▼") : QStringLiteral("=");
    return QStringLiteral("%1 %2 → %3 %4").arg(QLatin1String(name)).arg(before, 0, 'f', 3).arg(after, 0, 'f', 3).arg(arrow);
}

}  // namespace

QString known_label_scores_text(const ClusteringChange& change) {
    if (!change.before || !change.after) return {};
    return TrainingSummaryBar::tr("Against the known labels: %1, %2, %3.")
        .arg(score_change("ACC", change.before->acc, change.after->acc))
        .arg(score_change("NMI", change.before->nmi, change.after->nmi))
        .arg(score_change("ARI", change.before->ari, change.after->ari));
}

QString open_round_text(const ClusteringChange& change) {
    if (!change.round_was_open || change.round_answered >= change.round_questions) return {};
    return TrainingSummaryBar::tr("The open round closed after %1 of %2 questions (its questions named the old "
                                  "clusters); your answers are kept. Ask for a new round to go on.")
        .arg(change.round_answered)
        .arg(change.round_questions);
}

TrainingSummaryBar::TrainingSummaryBar(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("TrainingSummaryBar"));
    setFrameShape(QFrame::StyledPanel);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setTextFormat(Qt::RichText);
    go_back_ = new QPushButton(this);
    dismiss_ = new QPushButton(tr("Keep the new clusters"), this);
    for (auto* button : {go_back_, dismiss_}) button->setFocusPolicy(Qt::NoFocus);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(message_, 1);
    layout->addWidget(go_back_);
    layout->addWidget(dismiss_);
    connect(dismiss_, &QPushButton::clicked, this, &QWidget::hide);
    connect(go_back_, &QPushButton::clicked, this, [this] {
        hide();
        Q_EMIT go_back_requested(previous_clustering_id_);
    });
    hide();
}

void TrainingSummaryBar::show_change(const ClusteringChange& change, const QString& previous_name, qint64 answers_used,
                                     qint64 answers_left_out) {
    previous_clustering_id_ = change.previous_clustering_id;
    warning_ = change.got_worse;
    const QLocale locale;
    QStringList lines;
    lines << tr("<b>%1</b> learned from %n answer(s): %2 of %3 images changed cluster.", nullptr, static_cast<int>(answers_used))
                 .arg(QString::fromStdString(change.clustering_name).toHtmlEscaped())
                 .arg(locale.toString(change.images_changed))
                 .arg(locale.toString(change.images));
    if (const QString scores = known_label_scores_text(change); !scores.isEmpty()) lines << scores;
    if (change.got_worse) {
        lines << tr("<b>Warning:</b> the new clusters match the known labels worse than before. "
                    "Go back to “%1” unless you expected this.")
                     .arg(previous_name.toHtmlEscaped());
    }
    if (answers_left_out > 0) {
        lines << tr("%n answer(s) given under another clustering had no clear counterpart here and were left out.",
                    nullptr, static_cast<int>(answers_left_out));
    }
    if (const QString round = open_round_text(change); !round.isEmpty()) lines << round;
    message_->setText(lines.join(QStringLiteral("<br>")));
    go_back_->setText(tr("Go back to “%1”").arg(previous_name));
    setStyleSheet(change.got_worse ? QStringLiteral("#TrainingSummaryBar { background: #fff3cd; color: #5c4400; }")
                                   : QString());
    show();
}

QString TrainingSummaryBar::text() const { return message_->text(); }

}  // namespace corral::ui
