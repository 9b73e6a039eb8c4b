#pragma once
// The query view: "which of these clusters does this image belong with?". The query image is
// shown large; each of the T candidate clusters is a row of up to four exemplar thumbnails with
// its name and number key. Keys 1..T choose, 0 or N says "none of these", S skips, Ctrl+Z or
// Backspace undoes. The view only shows and reports: the session stores answers and advances.
#include <QWidget>

#include <vector>

class QLabel;
class QGridLayout;
class QPushButton;
class QVBoxLayout;

namespace corral::ui {

class ThumbnailCache;

struct QueryCandidateCard {
    int cluster = -1;
    QString name;
    std::vector<qint64> exemplars;  // dataset items nearest the cluster centre, up to 4 shown
};

struct QueryCard {
    qint64 item = -1;  // the dataset item asked about
    std::vector<QueryCandidateCard> candidates;
    double hardness = 0.0;            // why the sample was chosen (DESIGN §4 value terms)
    double representativeness = 0.0;
    double diversity = 0.0;
    int position = 0;    // 0-based index of this query within its round
    int round_size = 0;
    int answered = 0;    // answers given in this round so far
};

enum class QueryAnswerKind { positive, negative, skip };

class QueryView : public QWidget {
    Q_OBJECT
public:
    explicit QueryView(ThumbnailCache* thumbnails, QWidget* parent = nullptr);
    void show_query(const QueryCard& card);
    // Shown between rounds or before the first one: a message and no candidates.
    void show_message(const QString& message);
    const QueryCard& current() const { return card_; }
    bool has_query() const { return card_.item >= 0; }

Q_SIGNALS:
    // cluster is the chosen candidate's cluster for positive answers, -1 otherwise.
    void answered(QueryAnswerKind kind, int cluster);
    void undo_requested();

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    void rebuild_candidates();
    void refresh_thumbnails(qint64 item);
    void choose(int candidate_index);

    ThumbnailCache* thumbnails_;
    QueryCard card_;
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
