#include "job_status_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>

#include <cmath>

#include "job_runner.h"

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
    connect(cancel_, &QPushButton::clicked, this, [this] { if (shown_job_) runner_->cancel(shown_job_); });
}

QString JobStatusWidget::status_text() const { return label_->text(); }

void JobStatusWidget::on_started(int id, const QString& title) {
    shown_job_ = id;
    title_ = title;
    label_->setText(title);
    bar_->setValue(0);
    show();
}

void JobStatusWidget::on_progress(int id, double fraction, const QString& message, double remaining_seconds) {
    if (id != shown_job_) return;
    bar_->setValue(static_cast<int>(fraction * 1000));
    QString text = title_;
    if (!message.isEmpty() && message != title_) text += QStringLiteral(": ") + message;
    if (const QString left = format_remaining(remaining_seconds); !left.isEmpty()) text += QStringLiteral(" — ") + left;
    label_->setText(text);
}

void JobStatusWidget::on_finished(int id) {
    if (id != shown_job_) return;
    shown_job_ = 0;
    hide();
}

}  // namespace corral::ui
