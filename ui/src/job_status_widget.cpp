#include "job_status_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

#include <algorithm>
#include <cmath>

#include "corral/ui/job_runner.h"

namespace corral::ui {

QString format_remaining(double seconds) {
    if (seconds < 0) return {};
    if (seconds < 60) return QObject::tr("%1 s left").arg(std::max(1, static_cast<int>(std::ceil(seconds))));
    if (seconds < 3600) return QObject::tr("about %1 min left").arg(static_cast<int>(std::round(seconds / 60)));
    return QObject::tr("about %1 h left").arg(seconds / 3600, 0, 'f', 1);
}

JobStatusWidget::JobStatusWidget(JobRunner* runner, QWidget* parent) : QWidget(parent), runner_(runner) {
    label_ = new QLabel(this);
    bar_ = new QProgressBar(this);
    bar_->setRange(0, 1000);
    bar_->setMaximumWidth(220);
    bar_->setTextVisible(false);
    cancel_ = new QPushButton(tr("Cancel"), this);
    cancel_->setToolTip(tr("Stop this job (Esc)"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(label_);
    layout->addWidget(bar_);
    layout->addWidget(cancel_);
    hide();
    connect(runner_, &JobRunner::job_started, this, &JobStatusWidget::on_started);
    connect(runner_, &JobRunner::job_progress, this, &JobStatusWidget::on_progress);
    connect(runner_, &JobRunner::job_finished, this, &JobStatusWidget::on_finished);
    connect(cancel_, &QPushButton::clicked, this, &JobStatusWidget::cancel_shown);
}

QString JobStatusWidget::status_text() const { return label_->text(); }

void JobStatusWidget::cancel_shown() {
    if (const int id = shown_job()) runner_->cancel(id);
}

void JobStatusWidget::on_started(int id, const QString& title) {
    jobs_.push_back({id, title, 0.0, {}, -1.0});
    show_newest();
}

void JobStatusWidget::on_progress(int id, double fraction, const QString& message, double remaining_seconds) {
    const auto found = std::find_if(jobs_.begin(), jobs_.end(), [id](const Shown& job) { return job.id == id; });
    if (found == jobs_.end()) return;
    found->fraction = fraction;
    found->message = message;
    found->remaining_seconds = remaining_seconds;
    if (id == shown_job()) show_newest();
}

void JobStatusWidget::on_finished(int id) {
    std::erase_if(jobs_, [id](const Shown& job) { return job.id == id; });
    show_newest();
}

void JobStatusWidget::show_newest() {
    if (jobs_.empty()) {
        hide();
        return;
    }
    const Shown& job = jobs_.back();
    bar_->setValue(static_cast<int>(job.fraction * 1000));
    QString text = job.title;
    if (!job.message.isEmpty() && job.message != job.title) text += QStringLiteral(": ") + job.message;
    if (const QString left = format_remaining(job.remaining_seconds); !left.isEmpty()) text += QStringLiteral(" — ") + left;
    if (jobs_.size() > 1) text += tr(" (+%n more running)", nullptr, static_cast<int>(jobs_.size() - 1));
    label_->setText(text);
    show();
}

}  // namespace corral::ui
