#pragma once
// The query view: "which of these clusters does this image belong with?". The query image is
// shown large; each of the T candidate clusters is a row of up to four exemplar thumbnails with
// its name and number key. Keys 1..T choose, 0 or N says "none of these", S skips, Ctrl+Z or
// Backspace undoes the last step (of the one undo history), Ctrl+Shift+Z redoes. The view only
// shows and reports: the controller stores answers and the session advances.
#include <QWidget>

#include <vector>

#include "corral/core/interactive_session.h"
#include "view_models.h"

class QLabel;
class QGridLayout;
class QPushButton;
class QVBoxLayout;

namespace corral::ui {

class ThumbnailCache;

class QueryView : public QWidget {
    Q_OBJECT
public:
    explicit QueryView(ThumbnailCache* thumbnails, QWidget* parent = nullptr);
    // The question and the clustering it is about (names and sizes of the candidates).
    void show_query(const SessionQuery& query, const ClusteringView& clustering);
    // Shown between rounds or before the first one: a message and no candidates.
    void show_message(const QString& message);
    const SessionQuery& current() const { return query_; }
    bool has_query() const { return has_query_; }

Q_SIGNALS:
    // cluster is the chosen candidate's cluster for positive answers, -1 otherwise.
    void answered(corral::AnswerKind kind, int cluster);
    void undo_requested();
    void redo_requested();

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void rebuild_candidates();
    void refresh_thumbnails(qint64 item);
    void choose(int candidate_index);

    ThumbnailCache* thumbnails_;
    SessionQuery query_;
    std::vector<QString> candidate_names_;
    bool has_query_ = false;
    QLabel* query_image_;
    QLabel* counter_;
    QLabel* reason_;
    QLabel* message_;
    QWidget* candidates_box_;
    QGridLayout* candidates_layout_;
    QPushButton* none_button_;
    QPushButton* skip_button_;
    QPushButton* undo_button_;
    std::vector<std::pair<qint64, QLabel*>> thumbnail_labels_;
};

}  // namespace corral::ui
