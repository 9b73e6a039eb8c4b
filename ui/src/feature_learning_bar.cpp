#include "feature_learning_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>

#include "corral/ui/job_runner.h"
#include "job_status_widget.h"
#include "corral/ui/session_controller.h"
#include "training_summary_bar.h"

namespace corral::ui {
namespace {

QString schedule_text(LearningSchedule schedule) {
    switch (schedule) {
        case LearningSchedule::quick: return FeatureLearningBar::tr("quick");
        case LearningSchedule::thorough: return FeatureLearningBar::tr("thorough");
        case LearningSchedule::standard: break;
    }
    return FeatureLearningBar::tr("standard");
}

}  // namespace

FeatureLearningBar::FeatureLearningBar(SessionController* controller, QWidget* parent)
    : QFrame(parent), controller_(controller) {
    setObjectName(QStringLiteral("FeatureLearningBar"));
    setFrameShape(QFrame::StyledPanel);
    message_ = new QLabel(this);
    message_->setWordWrap(true);
    message_->setTextFormat(Qt::RichText);
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1000);
    progress_->setTextVisible(false);
    progress_->setMaximumWidth(180);
    pause_ = new QPushButton(tr("Pause"), this);
    pause_->setToolTip(tr("Stop training; the finished epochs are kept and it can continue later"));
    continue_ = new QPushButton(tr("Continue training"), this);
    discard_ = new QPushButton(tr("Discard"), this);
    discard_->setToolTip(tr("Forget this training and its checkpoint; the clusters stay as they are"));
    go_back_ = new QPushButton(this);
    dismiss_ = new QPushButton(tr("Keep the new clusters"), this);
    for (auto* button : {pause_, continue_, discard_, go_back_, dismiss_}) button->setFocusPolicy(Qt::NoFocus);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(message_, 1);
    layout->addWidget(progress_);
    for (auto* button : {pause_, continue_, discard_, go_back_, dismiss_}) layout->addWidget(button);

    connect(pause_, &QPushButton::clicked, controller_, &SessionController::pause_feature_learning);
    connect(continue_, &QPushButton::clicked, this, [this] {
        const auto learning = controller_->feature_learning();
        if (learning && learning->status == FeatureLearningStatus::failed) {
            FeatureLearningPlan plan;
            plan.schedule = learning->schedule;
            plan.epochs = learning->epochs;
            plan.images_per_epoch = learning->images_per_epoch;
            plan.speed = learning->speed;
            controller_->start_feature_learning(plan);
        } else {
            controller_->continue_feature_learning();
        }
    });
    connect(discard_, &QPushButton::clicked, controller_, &SessionController::discard_feature_learning);
    connect(dismiss_, &QPushButton::clicked, this, [this] {
        showing_change_ = false;
        hide();
    });
    connect(go_back_, &QPushButton::clicked, this, [this] {
        showing_change_ = false;
        hide();
        controller_->switch_clustering(previous_clustering_id_);
    });
    connect(controller_, &SessionController::feature_learning_changed, this, &FeatureLearningBar::refresh);
    connect(controller_, &SessionController::features_learned, this, &FeatureLearningBar::show_change);
    connect(controller_->runner(), &JobRunner::job_progress, this, &FeatureLearningBar::on_progress);
    refresh();
}

QString FeatureLearningBar::text() const { return message_->text(); }

void FeatureLearningBar::show_buttons(std::initializer_list<QPushButton*> shown) {
    for (auto* button : {pause_, continue_, discard_, go_back_, dismiss_}) {
        button->setVisible(std::find(shown.begin(), shown.end(), button) != shown.end());
    }
}

void FeatureLearningBar::refresh() {
    if (showing_change_) return;  // the summary stays until dismissed
    const auto learning = controller_->feature_learning();
    setStyleSheet(QString());
    if (!learning || learning->status == FeatureLearningStatus::finished) {
        hide();
        return;
    }
    const QString schedule = schedule_text(learning->schedule);
    progress_->setValue(learning->epochs > 0 ? 1000 * learning->epochs_completed / learning->epochs : 0);
    if (controller_->learning_features()) {
        running_text_ = tr("<b>Learning features from these images</b> (%1 schedule, %2 epochs). The clusters "
                           "shown are usable meanwhile; the learned ones replace them when it is done.")
                            .arg(schedule)
                            .arg(learning->epochs);
        message_->setText(running_text_);
        progress_->show();
        show_buttons({pause_});
    } else if (learning->status == FeatureLearningStatus::failed) {
        message_->setText(tr("<b>Learning features failed</b> after %1 of %2 epochs: %3")
                              .arg(learning->epochs_completed)
                              .arg(learning->epochs)
                              .arg(QString::fromStdString(learning->problem).toHtmlEscaped()));
        continue_->setText(tr("Start again"));
        progress_->hide();
        show_buttons({continue_, discard_});
        setStyleSheet(QStringLiteral("#FeatureLearningBar { background: #fff3cd; color: #5c4400; }"));
    } else {
        message_->setText(tr("<b>Learning features is paused</b> after %1 of %2 epochs (%3 schedule); the "
                             "finished epochs are kept.")
                              .arg(learning->epochs_completed)
                              .arg(learning->epochs)
                              .arg(schedule));
        continue_->setText(tr("Continue training"));
        progress_->show();
        show_buttons({continue_, discard_});
    }
    show();
}

void FeatureLearningBar::on_progress(int id, double fraction, const QString& message, double remaining_seconds) {
    if (showing_change_ || id == 0 || id != controller_->feature_learning_job()) return;
    progress_->setValue(static_cast<int>(fraction * 1000));
    QString detail = message.toHtmlEscaped();
    if (const QString left = format_remaining(remaining_seconds); !left.isEmpty()) detail += QStringLiteral(" — ") + left;
    message_->setText(running_text_ + QStringLiteral("<br>") + detail);
}

void FeatureLearningBar::show_change(const ClusteringChange& change, const QString& previous_name) {
    showing_change_ = true;
    previous_clustering_id_ = change.previous_clustering_id;
    const QLocale locale;
    QStringList lines;
    lines << tr("<b>Features learned:</b> the clusters now come from the network trained on these images "
                "(“%1”); %2 of %3 images changed cluster.")
                 .arg(QString::fromStdString(change.clustering_name).toHtmlEscaped())
                 .arg(locale.toString(change.images_changed))
                 .arg(locale.toString(change.images));
    if (const QString scores = known_label_scores_text(change); !scores.isEmpty()) lines << scores;
    if (change.got_worse) {
        lines << tr("<b>Warning:</b> the learned clusters match the known labels worse than “%1”.")
                     .arg(previous_name.toHtmlEscaped());
    }
    if (const QString round = open_round_text(change); !round.isEmpty()) lines << round;
    message_->setText(lines.join(QStringLiteral("<br>")));
    go_back_->setText(tr("Go back to “%1”").arg(previous_name));
    progress_->hide();
    show_buttons({go_back_, dismiss_});
    setStyleSheet(change.got_worse ? QStringLiteral("#FeatureLearningBar { background: #fff3cd; color: #5c4400; }")
                                   : QString());
    show();
}

}  // namespace corral::ui
