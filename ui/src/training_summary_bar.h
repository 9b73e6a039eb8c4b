#pragma once
// The before/after summary shown after the answers were learned from: how many images changed
// cluster, the scores before and after (with ground truth), what happened to an open round, and
// the previous clustering one click away. A drop in the scores is shown as a warning.
#include <QFrame>

#include "corral/core/interactive_session.h"

class QLabel;
class QPushButton;

namespace corral::ui {

// "Against the known labels: ACC 0.546 → 0.611 ▲, …" for a change with ground-truth scores
// before and after; empty otherwise. Shared by the summaries of every kind of learning.
QString known_label_scores_text(const ClusteringChange& change);
// What became of a round left unfinished by the change; empty when none was.
QString open_round_text(const ClusteringChange& change);

class TrainingSummaryBar : public QFrame {
    Q_OBJECT
public:
    explicit TrainingSummaryBar(QWidget* parent = nullptr);

    // `previous_name`: the clustering it was learned from, offered by "Go back".
    void show_change(const ClusteringChange& change, const QString& previous_name, qint64 answers_used,
                     qint64 answers_left_out);
    QString text() const;
    bool warning_shown() const { return warning_; }
    QPushButton* go_back_button() const { return go_back_; }

Q_SIGNALS:
    void go_back_requested(qint64 clustering_id);

private:
    QLabel* message_;
    QPushButton* go_back_;
    QPushButton* dismiss_;
    qint64 previous_clustering_id_ = 0;
    bool warning_ = false;
};

}  // namespace corral::ui
