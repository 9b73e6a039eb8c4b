#pragma once
// Status-bar widget for the running jobs: the newest one's title, progress bar, estimated time
// left and Cancel. A job that ends hands the widget back to the newest job still running (a
// long training and a short k-means may overlap). Hidden while no job runs.
#include <QWidget>

#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;

namespace corral::ui {

class JobRunner;

class JobStatusWidget : public QWidget {
    Q_OBJECT
public:
    JobStatusWidget(JobRunner* runner, QWidget* parent = nullptr);
    QString status_text() const;
    // The job shown (0 when none runs).
    int shown_job() const { return jobs_.empty() ? 0 : jobs_.back().id; }
    // Cancels the job shown, and only that one.
    void cancel_shown();

private:
    struct Shown {
        int id = 0;
        QString title;
        double fraction = 0.0;
        QString message;
        double remaining_seconds = -1.0;
    };
    void on_started(int id, const QString& title);
    void on_progress(int id, double fraction, const QString& message, double remaining_seconds);
    void on_finished(int id);
    void show_newest();

    JobRunner* runner_;
    std::vector<Shown> jobs_;  // oldest first
    QLabel* label_;
    QProgressBar* bar_;
    QPushButton* cancel_;
};

// "about 2 min left", "12 s left".
QString format_remaining(double seconds);

}  // namespace corral::ui
