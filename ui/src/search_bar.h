#pragma once
// The search row above the image grid of the Clusters tab. It runs both searches of Corral as
// reader jobs through the SessionController and shows their results in the ClusterBrowser as a
// ranked list (best first, the cosine similarity under each thumbnail), where they are
// selected, dragged and moved like any images:
// - find_similar(item): the images most like one image by the current clustering's features
//   (from the grid, the map or a question: "Find similar images", Ctrl+F);
// - the text field: the images a description fits, by a CLIP model's text and image towers (the
//   project's encoder when it is CLIP, else the folder chosen for aspect clusterings). Without a
//   usable CLIP model the field and its button are disabled, and their placeholder and tooltip
//   say why and how to get one.
// A newer search cancels one still running; a result that arrives late is dropped.
#include <QString>
#include <QWidget>

#include <vector>

#include "corral/core/expected.h"
#include "corral/core/image_search.h"

class QLabel;
class QLineEdit;
class QPushButton;

namespace corral::ui {

class ClusterBrowser;
class SessionController;

class SearchBar : public QWidget {
    Q_OBJECT
public:
    // How many images a search lists (the image asked about comes on top of these).
    static constexpr int kResultCount = 100;

    SearchBar(SessionController* controller, ClusterBrowser* browser, QWidget* parent = nullptr);
    ~SearchBar() override;

    void find_similar(qint64 item);
    void search_text(const QString& text);
    // Looks again whether text search can run (the project's encoder, the chosen CLIP folder).
    void refresh_availability();
    bool text_search_available() const { return text_model_.available(); }
    bool searching() const { return job_ != 0; }

    QLineEdit* text_field() const { return field_; }
    QPushButton* search_button() const { return search_; }
    QLabel* status_label() const { return status_; }

Q_SIGNALS:
    // New results are in the browser (the window brings the Clusters tab forward).
    void results_shown();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void start(int job);
    void show_results(const Expected<std::vector<RankedImage>>& results, qint64 query_item, const QString& title,
                      const QString& what);

    SessionController* controller_;
    ClusterBrowser* browser_;
    QLineEdit* field_;
    QPushButton* search_;
    QLabel* status_;
    TextSearchModel text_model_;
    int job_ = 0;
};

}  // namespace corral::ui
