#include "feature_learning_choice.h"

#include <QComboBox>
#include <QEvent>
#include <QLabel>
#include <QLocale>
#include <QTimer>
#include <QVBoxLayout>

#include <cmath>

#include "corral/core/dataset.h"
#include "worker_threads.h"

namespace corral::ui {
namespace {

struct Measurement {
    std::int64_t images = 0;
    ConvnetSpeed speed;
};

constexpr LearningSchedule kSchedules[] = {LearningSchedule::quick, LearningSchedule::standard, LearningSchedule::thorough};

QString schedule_title(LearningSchedule schedule) {
    switch (schedule) {
        case LearningSchedule::quick: return FeatureLearningChoice::tr("Quick");
        case LearningSchedule::thorough: return FeatureLearningChoice::tr("Thorough");
        case LearningSchedule::standard: break;
    }
    return FeatureLearningChoice::tr("Standard");
}

QString duration_text(double seconds) {
    if (seconds < 60) return FeatureLearningChoice::tr("under a minute");
    if (seconds < 90) return FeatureLearningChoice::tr("about a minute");
    if (seconds < 3600) return FeatureLearningChoice::tr("about %1 min").arg(static_cast<int>(std::round(seconds / 60)));
    return FeatureLearningChoice::tr("about %1 h").arg(seconds / 3600, 0, 'f', 1);
}

}  // namespace

FeatureLearningChoice::FeatureLearningChoice(QWidget* parent) : QWidget(parent) {
    schedule_ = new QComboBox(this);
    for (const auto schedule : kSchedules) {
        schedule_->addItem(schedule_title(schedule), QString::fromLatin1(schedule_name(schedule).data()));
    }
    schedule_->setCurrentIndex(1);
    schedule_->setToolTip(tr("How long the network trains: Standard is the default schedule, Quick a third of it, "
                             "Thorough three times as long."));
    estimate_ = new QLabel(this);
    estimate_->setWordWrap(true);
    estimate_->setTextFormat(Qt::PlainText);
    // Room for four lines from the start: the estimate arrives after the dialog is laid out.
    estimate_->setMinimumHeight(4 * estimate_->fontMetrics().lineSpacing());
    estimate_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(schedule_);
    layout->addWidget(estimate_);
    delay_ = new QTimer(this);
    delay_->setSingleShot(true);
    delay_->setInterval(400);
    connect(delay_, &QTimer::timeout, this, &FeatureLearningChoice::measure);
    connect(schedule_, &QComboBox::currentIndexChanged, this, &FeatureLearningChoice::show_estimates);
    show_estimates();
}

FeatureLearningChoice::~FeatureLearningChoice() {
    if (stop_) stop_->request_stop();  // the worker holds only its own copies
}

void FeatureLearningChoice::set_images(const QString& dataset_spec, qint64 limit, int clusters) {
    limit_ = limit;
    clusters_ = clusters;
    if (dataset_spec != spec_) {
        spec_ = dataset_spec;
        if (spec_ != measured_spec_) {
            speed_.reset();
            delay_->start();
        }
    }
    show_estimates();
}

LearningSchedule FeatureLearningChoice::schedule() const {
    return schedule_from_name(schedule_->currentData().toString().toStdString()).value_or(LearningSchedule::standard);
}

void FeatureLearningChoice::set_schedule(LearningSchedule schedule) {
    schedule_->setCurrentIndex(schedule_->findData(QString::fromLatin1(schedule_name(schedule).data())));
}

FeatureLearningPlan FeatureLearningChoice::plan() const {
    FeatureLearningPlan plan;
    plan.schedule = schedule();
    plan.speed = speed_;
    return plan;
}

void FeatureLearningChoice::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::EnabledChange && isEnabled() && !speed_ && !measuring()) delay_->start();
}

void FeatureLearningChoice::measure() {
    if (stop_) stop_->request_stop();
    stop_.reset();
    problem_.clear();
    if (!isEnabled()) return;  // measured when it is enabled (changeEvent)
    if (spec_.trimmed().isEmpty()) {
        show_estimates();
        return;
    }
    auto stop = std::make_shared<std::stop_source>();
    stop_ = stop;
    const QString spec = spec_;
    const int clusters = clusters_;
    run_in_background(
        this,
        [spec = spec.trimmed().toStdString(), clusters, token = stop->get_token()]() -> Expected<Measurement> {
            const JobContext job(token, {});
            DatasetOptions options;
            options.validate_images = false;  // listing only: the sample decodes what it uses
            auto dataset = open_dataset(spec, options, job);
            if (!dataset) return dataset.error();
            auto speed = measure_convnet_speed(**dataset, schedule_params(LearningSchedule::standard, clusters), job);
            if (!speed) return speed.error();
            return Measurement{(*dataset)->size(), *speed};
        },
        [this, stop, spec](Expected<Measurement> result) {
            if (stop != stop_) return;  // an older measurement, of images since changed
            stop_.reset();
            if (result) {
                images_ = result->images;
                speed_ = result->speed;
                measured_spec_ = spec;
            } else {
                problem_ = QString::fromStdString(result.error().message);
            }
            show_estimates();
            Q_EMIT measured();
        });
    show_estimates();
}

void FeatureLearningChoice::show_estimates() {
    const std::int64_t images = limit_ > 0 ? std::min<std::int64_t>(limit_, images_) : images_;
    for (int i = 0; i < schedule_->count(); ++i) {
        const auto schedule = kSchedules[i];
        QString text = schedule_title(schedule);
        if (speed_ && images > 1) {
            const auto time = expected_learning_time(*speed_, schedule_params(schedule, clusters_), images);
            text += QStringLiteral(" — ") + duration_text(time.total());
        }
        schedule_->setItemText(i, text);
    }
    if (measuring()) {
        estimate_->setText(tr("Measuring how fast this computer trains on these images…"));
    } else if (!problem_.isEmpty()) {
        estimate_->setText(tr("The time could not be measured: %1").arg(problem_));
    } else if (speed_ && images > 1) {
        const QLocale locale;
        QStringList times;
        for (const auto schedule : kSchedules) {
            const auto time = expected_learning_time(*speed_, schedule_params(schedule, clusters_), images);
            times << tr("%1 %2").arg(schedule_title(schedule), duration_text(time.total()));
        }
        estimate_->setText(tr("On this computer, for %1 images: %2 (measured: %3 training views a second). "
                              "The project is usable meanwhile; the training goes on after a restart.")
                               .arg(locale.toString(static_cast<qlonglong>(images)))
                               .arg(times.join(QStringLiteral(" · ")))
                               .arg(locale.toString(speed_->training_views_per_second, 'f', 0)));
    } else {
        estimate_->setText(tr("The time is measured once the images are chosen."));
    }
}

}  // namespace corral::ui
