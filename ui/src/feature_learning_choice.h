#pragma once
// The schedule of "Learn features from these images" in the new-project dialog, with the time
// each schedule takes on this computer: the convnet's speed is measured on a sample of the
// images (a few training steps, on a worker thread) whenever the images change, and the
// expected time of each schedule is its image count divided by the measured speed. Nothing is
// measured while the widget is disabled (another encoder is chosen).
#include <QWidget>

#include <memory>
#include <optional>
#include <stop_token>

#include "corral/core/feature_learning.h"

class QComboBox;
class QLabel;
class QTimer;

namespace corral::ui {

class FeatureLearningChoice : public QWidget {
    Q_OBJECT
public:
    explicit FeatureLearningChoice(QWidget* parent = nullptr);
    ~FeatureLearningChoice() override;

    // The images the project will have (a dataset spec and its limit) and its cluster count.
    // A new spec is measured again (once typing pauses); a new limit or count only recomputes.
    void set_images(const QString& dataset_spec, qint64 limit, int clusters);
    FeatureLearningPlan plan() const;
    LearningSchedule schedule() const;
    void set_schedule(LearningSchedule schedule);

    bool measuring() const { return stop_ != nullptr; }
    // The measured speed, once known.
    const std::optional<ConvnetSpeed>& speed() const { return speed_; }
    QComboBox* schedule_box() const { return schedule_; }
    QLabel* estimate_label() const { return estimate_; }

Q_SIGNALS:
    void measured();

protected:
    void changeEvent(QEvent* event) override;

private:
    void measure();
    void show_estimates();

    QComboBox* schedule_;
    QLabel* estimate_;
    QTimer* delay_;
    QString spec_;
    QString measured_spec_;
    qint64 limit_ = 0;
    int clusters_ = 10;
    std::int64_t images_ = 0;  // in the dataset, before the limit
    std::optional<ConvnetSpeed> speed_;
    QString problem_;
    std::shared_ptr<std::stop_source> stop_;
};

}  // namespace corral::ui
