#pragma once
// The query view: "which of these clusters does this image belong with?". The query image is
// shown large with the reason it was asked, in words (query_reason.h); each of the T candidate
// clusters is a row with its number key, its name and size, up to four exemplar thumbnails and
// "More…", which shows every image of the group, the most typical first (ClusterPreviewDialog).
// Keys 1..T choose, 0 or N says "none of these", S skips, Ctrl+1..T shows more of that group,
// V (or a click on the image) opens it large, Ctrl+Z or Backspace undoes the last step (of the
// one undo history), Ctrl+Shift+Z redoes. The view only shows and reports: the controller
// stores answers and the session advances.
#include <QImage>
#include <QWidget>

#include <functional>
#include <vector>

#include "corral/core/interactive_session.h"
#include "corral/ui/view_models.h"

class QLabel;
class QGridLayout;
class QPushButton;
class QVBoxLayout;

namespace corral::ui {

class ClusterPreviewDialog;
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
    // Where "More…" gets a cluster's images, in the order to show them (the controller's most
    // typical first). Without one, "More…" is hidden.
    void set_member_source(std::function<std::vector<qint64>(int cluster)> source);
    // The room the view has (its scroll area's viewport): where the question at full size does
    // not fit, the image and the exemplars are shown smaller (compact) rather than scrolled.
    void fit_to(QSize available);
    bool compact() const { return compact_; }
    // Opens "show more" for candidate `candidate_index` (window-modal, non-blocking); returns
    // the dialog, or nullptr when there is no such candidate or no member source.
    ClusterPreviewDialog* show_more(int candidate_index);
    // For tests and screenshots.
    QLabel* reason_label() const { return reason_; }
    // The size line under each candidate's name, in candidate order.
    std::vector<QLabel*> candidate_size_labels() const { return size_labels_; }

Q_SIGNALS:
    // cluster is the chosen candidate's cluster for positive answers, -1 otherwise.
    void answered(corral::AnswerKind kind, int cluster);
    void undo_requested();
    void redo_requested();
    // Open `item` large (the image asked about, or one of a group's).
    void image_opened(qint64 item);
    // "Find similar images" from the question image's context menu.
    void similar_images_requested(qint64 item);

protected:
    void keyPressEvent(QKeyEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void rebuild_candidates();
    void refresh_thumbnails(qint64 item);
    // Full size unless it does not fit the room given to fit_to.
    void choose_scale();
    void apply_scale(bool compact);
    void choose(int candidate_index);

    ThumbnailCache* thumbnails_;
    SessionQuery query_;
    std::vector<QString> candidate_names_;
    std::vector<qint64> candidate_sizes_;
    std::function<std::vector<qint64>(int cluster)> member_source_;
    bool has_query_ = false;
    bool compact_ = false;
    QSize available_;
    int query_side_;
    int exemplar_side_;
    QImage query_image_source_;  // the question's image at full size, scaled to query_side_ when shown
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
    std::vector<QLabel*> size_labels_;
};

}  // namespace corral::ui
