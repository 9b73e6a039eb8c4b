#pragma once
// The working area of an open project: the query tab, the cluster browser, the metrics and the map. It
// shows what the SessionController holds and forwards what the user does to it.
#include <QWidget>

#include <memory>

#include "corral/core/dataset.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QTableWidget;

namespace corral::ui {

class ClusterBrowser;
class FeatureLearningBar;
class MapPanel;
class MetricsChart;
class QueryView;
class SearchBar;
class SessionController;
class ThumbnailCache;
class TrainingSummaryBar;

class ProjectView : public QWidget {
    Q_OBJECT
public:
    ProjectView(SessionController* controller, std::shared_ptr<const Dataset> dataset, QWidget* parent = nullptr);

    // Refreshes from the controller's session (after it opened or changed).
    void refresh_clustering();
    void refresh_query();
    void show_queries();
    void show_clusters();
    void show_metrics();
    void show_map();
    // "Find similar images" for the image the shown tab is on: the question's image, the grid's
    // current image, or the map's point under the pointer (else the one last clicked). Returns
    // false when the tab is on no image.
    bool find_similar_to_current();
    // Brings the Clusters tab forward with the keyboard in the text search field.
    void focus_text_search();

    QueryView* query_view() const { return query_view_; }
    ClusterBrowser* cluster_browser() const { return browser_; }
    MetricsChart* metrics_chart() const { return chart_; }
    MapPanel* map_panel() const { return map_; }
    SearchBar* search_bar() const { return search_bar_; }
    QTabWidget* tabs() const { return tabs_; }
    QComboBox* clustering_selector() const { return clustering_selector_; }
    QPushButton* new_aspect_button() const { return new_aspect_; }
    QPushButton* rename_clustering_button() const { return rename_clustering_; }
    QLabel* aspect_summary() const { return aspect_summary_; }
    TrainingSummaryBar* training_summary() const { return training_summary_; }
    FeatureLearningBar* feature_learning_bar() const { return feature_learning_; }
    const Dataset& dataset() const { return *dataset_; }

Q_SIGNALS:
    // The user asked for a new aspect clustering, or to rename the one shown.
    void new_aspect_clustering_requested();
    void rename_clustering_requested();

private:
    void open_image(qint64 item);
    void refresh_metrics();

    SessionController* controller_;
    std::shared_ptr<const Dataset> dataset_;
    ThumbnailCache* thumbnails_;
    QTabWidget* tabs_;
    QComboBox* clustering_selector_;
    QPushButton* new_aspect_;
    QPushButton* rename_clustering_;
    QLabel* aspect_summary_;
    TrainingSummaryBar* training_summary_;
    FeatureLearningBar* feature_learning_;
    QueryView* query_view_;
    QPushButton* start_round_;
    QPushButton* fine_tune_;
    QLabel* round_summary_;
    ClusterBrowser* browser_;
    SearchBar* search_bar_;
    MetricsChart* chart_;
    QTableWidget* history_;
    MapPanel* map_;
};

}  // namespace corral::ui
