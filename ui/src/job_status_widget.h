#pragma once
// Status-bar widget for the running job: title, progress bar, estimated time left, Cancel.
// Hidden while no job runs.
#include <QWidget>

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

private:
    void on_started(int id, const QString& title);
    void on_progress(int id, double fraction, const QString& message, double remaining_seconds);
    void on_finished(int id);

    JobRunner* runner_;
    int shown_job_ = 0;
    QString title_;
    QLabel* label_;
    QProgressBar* bar_;
    QPushButton* cancel_;
};

// "about 2 min left", "12 s left".
QString format_remaining(double seconds);

}  // namespace corral::ui
