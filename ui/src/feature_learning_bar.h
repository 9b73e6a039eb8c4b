#pragma once
// The project's "Learn features from these images" at a glance, above the tabs: while it trains,
// the epoch, a progress bar, the time left and Pause; when paused, Continue and Discard; when
// it failed, why, with Start again; and once done, what changed (images that changed cluster,
// the scores before and after with ground truth) with the previous clustering one click away.
// Hidden when the project has no training to show.
#include <QFrame>

#include "corral/core/interactive_session.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace corral::ui {

class SessionController;

class FeatureLearningBar : public QFrame {
    Q_OBJECT
public:
    explicit FeatureLearningBar(SessionController* controller, QWidget* parent = nullptr);

    QString text() const;
    QPushButton* pause_button() const { return pause_; }
    QPushButton* continue_button() const { return continue_; }
    QPushButton* discard_button() const { return discard_; }
    QPushButton* go_back_button() const { return go_back_; }
    QPushButton* dismiss_button() const { return dismiss_; }

private:
    void refresh();
    void on_progress(int id, double fraction, const QString& message, double remaining_seconds);
    void show_change(const ClusteringChange& change, const QString& previous_name);
    void show_buttons(std::initializer_list<QPushButton*> shown);

    SessionController* controller_;
    QLabel* message_;
    QProgressBar* progress_;
    QPushButton* pause_;
    QPushButton* continue_;
    QPushButton* discard_;
    QPushButton* go_back_;
    QPushButton* dismiss_;
    QString running_text_;
    qint64 previous_clustering_id_ = 0;
    bool showing_change_ = false;
};

}  // namespace corral::ui
