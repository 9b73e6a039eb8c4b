#include "project_view.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <functional>

#include "cluster_browser.h"
#include "feature_learning_bar.h"
#include "image_viewer.h"
#include "map_panel.h"
#include "map_view.h"
#include "metrics_chart.h"
#include "query_view.h"
#include "search_bar.h"
#include "corral/ui/session_controller.h"
#include "thumbnail_cache.h"
#include "training_summary_bar.h"

namespace corral::ui {
namespace {

// Tells `on_resize` each new size of the widget it watches (its parent).
class ViewportSizeWatcher : public QObject {
public:
    ViewportSizeWatcher(QWidget* watched, std::function<void(QSize)> on_resize)
        : QObject(watched), watched_(watched), on_resize_(std::move(on_resize)) {}
    bool eventFilter(QObject* object, QEvent* event) override {
        if (object == watched_ && event->type() == QEvent::Resize) on_resize_(watched_->size());
        return false;
    }

private:
    QWidget* watched_;
    std::function<void(QSize)> on_resize_;
};

}  // namespace

ProjectView::ProjectView(SessionController* controller, std::shared_ptr<const Dataset> dataset, QWidget* parent)
    : QWidget(parent), controller_(controller), dataset_(std::move(dataset)) {
    thumbnails_ = new ThumbnailCache(dataset_, 96, this);
    tabs_ = new QTabWidget(this);

    auto* query_tab = new QWidget(this);
    query_view_ = new QueryView(thumbnails_, query_tab);
    start_round_ = new QPushButton(tr("Ask me questions  [Ctrl+R]"), query_tab);
    fine_tune_ = new QPushButton(tr("Learn from my answers now  [Ctrl+T]"), query_tab);
    round_summary_ = new QLabel(query_tab);
    for (auto* button : {start_round_, fine_tune_}) button->setFocusPolicy(Qt::NoFocus);
    auto* controls = new QHBoxLayout;
    controls->addWidget(start_round_);
    controls->addWidget(fine_tune_);
    controls->addWidget(round_summary_, 1);
    auto* query_layout = new QVBoxLayout(query_tab);
    query_layout->addLayout(controls);
    // The question with its candidate rows is taller (and wider) than a small screen leaves it:
    // it scrolls there instead of setting the window's minimum size (978 x 714 before).
    auto* query_scroll = new QScrollArea(query_tab);
    query_scroll->setObjectName(QStringLiteral("query_scroll"));
    query_scroll->setWidgetResizable(true);
    query_scroll->setFrameShape(QFrame::NoFrame);
    query_scroll->setFocusPolicy(Qt::NoFocus);
    query_scroll->setWidget(query_view_);
    query_scroll->viewport()->setAutoFillBackground(false);  // the tab's own background shows through
    query_view_->setAutoFillBackground(false);
    // The question shows smaller (compact) where it would not fit at full size.
    query_scroll->viewport()->installEventFilter(new ViewportSizeWatcher(query_scroll->viewport(), [this](QSize size) {
        query_view_->fit_to(size);
    }));
    query_layout->addWidget(query_scroll, 1);
    tabs_->addTab(query_tab, tr("&Questions"));

    browser_ = new ClusterBrowser(thumbnails_, this);
    search_bar_ = new SearchBar(controller_, browser_, browser_);
    browser_->set_top_bar(search_bar_);
    tabs_->addTab(browser_, tr("&Clusters"));

    auto* metrics_tab = new QWidget(this);
    chart_ = new MetricsChart(metrics_tab);
    history_ = new QTableWidget(metrics_tab);
    history_->setColumnCount(7);
    history_->setHorizontalHeaderLabels({tr("Clustering"), tr("Learned from (answers)"), tr("Questions answered on it"),
                                         tr("NMI"), tr("ACC"), tr("ARI"), tr("RI")});
    history_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    history_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* metrics_layout = new QVBoxLayout(metrics_tab);
    metrics_layout->addWidget(chart_, 2);
    metrics_layout->addWidget(history_, 1);
    tabs_->addTab(metrics_tab, tr("&Metrics"));

    map_ = new MapPanel(controller_, thumbnails_, this);
    tabs_->addTab(map_, tr("M&ap"));

    clustering_selector_ = new QComboBox(this);
    clustering_selector_->setToolTip(tr("The clustering shown and refined: the initial one, one per round, "
                                        "and any made by aspect"));
    clustering_selector_->setMinimumContentsLength(24);
    new_aspect_ = new QPushButton(tr("New aspect clustering…"), this);
    new_aspect_->setToolTip(tr("Cluster the images by one aspect (color, shape, …) with a CLIP model"));
    rename_clustering_ = new QPushButton(tr("Rename…"), this);
    rename_clustering_->setToolTip(tr("Rename the clustering shown"));
    for (auto* button : {new_aspect_, rename_clustering_}) {
        button->setFocusPolicy(Qt::NoFocus);
        button->setEnabled(controller_->has_session());  // the view is made again when the session is ready
    }
    aspect_summary_ = new QLabel(this);
    aspect_summary_->setTextFormat(Qt::RichText);
    aspect_summary_->setForegroundRole(QPalette::PlaceholderText);  // secondary text in every theme
    auto* selector_row = new QHBoxLayout;
    selector_row->addWidget(new QLabel(tr("Clustering:"), this));
    selector_row->addWidget(clustering_selector_);
    selector_row->addWidget(rename_clustering_);
    selector_row->addWidget(new_aspect_);
    selector_row->addSpacing(8);
    selector_row->addWidget(aspect_summary_, 1);
    training_summary_ = new TrainingSummaryBar(this);
    feature_learning_ = new FeatureLearningBar(controller_, this);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(selector_row);
    layout->addWidget(feature_learning_);
    layout->addWidget(training_summary_);
    layout->addWidget(tabs_);
    connect(controller_, &SessionController::training_adopted, this,
            [this](const ClusteringChange& change, qint64 answers_used, qint64 answers_left_out, const QString& previous_name) {
                training_summary_->show_change(change, previous_name, answers_used, answers_left_out);
            });
    connect(controller_, &SessionController::clustering_changed, this, &ProjectView::refresh_clustering);
    connect(controller_, &SessionController::query_changed, this, &ProjectView::refresh_query);
    connect(controller_, &SessionController::rename_refused, browser_,
            [this](int, const QString& message) { browser_->show_notice(message); });
    connect(controller_, &SessionController::cluster_added, this, [this](int cluster) {
        if (!browser_->showing_list()) browser_->select_cluster(cluster);
    });
    connect(training_summary_, &TrainingSummaryBar::go_back_requested, controller_, &SessionController::switch_clustering);
    connect(clustering_selector_, &QComboBox::activated, this, [this](int index) {
        controller_->switch_clustering(clustering_selector_->itemData(index).toLongLong());
    });

    connect(new_aspect_, &QPushButton::clicked, this, &ProjectView::new_aspect_clustering_requested);
    connect(rename_clustering_, &QPushButton::clicked, this, &ProjectView::rename_clustering_requested);
    connect(start_round_, &QPushButton::clicked, controller_, &SessionController::start_round);
    connect(fine_tune_, &QPushButton::clicked, controller_, &SessionController::fine_tune);
    connect(query_view_, &QueryView::answered, controller_, &SessionController::answer);
    connect(query_view_, &QueryView::undo_requested, controller_, &SessionController::undo);
    connect(query_view_, &QueryView::redo_requested, controller_, &SessionController::redo);
    connect(query_view_, &QueryView::image_opened, this, &ProjectView::open_image);
    query_view_->set_member_source([this](int cluster) { return controller_->typical_members(cluster); });
    connect(browser_, &ClusterBrowser::cluster_renamed, controller_, &SessionController::rename_cluster);
    connect(browser_, &ClusterBrowser::images_moved, controller_, &SessionController::move_images);
    connect(browser_, &ClusterBrowser::images_to_new_cluster, controller_,
            [this](const std::vector<qint64>& items) { controller_->move_images_to_new_cluster(items); });
    connect(browser_, &ClusterBrowser::clusters_merged, controller_, &SessionController::merge_clusters);
    connect(browser_, &ClusterBrowser::image_opened, this, &ProjectView::open_image);
    connect(map_, &MapPanel::image_opened, this, &ProjectView::open_image);
    connect(browser_, &ClusterBrowser::similar_images_requested, search_bar_, &SearchBar::find_similar);
    connect(map_, &MapPanel::similar_images_requested, search_bar_, &SearchBar::find_similar);
    connect(query_view_, &QueryView::similar_images_requested, search_bar_, &SearchBar::find_similar);
    connect(search_bar_, &SearchBar::results_shown, this, [this] {
        tabs_->setCurrentWidget(browser_);
        auto* grid = browser_->image_view();
        // The keyboard on the first result: Ctrl+F again searches from it, Shift+arrows select.
        if (grid->model()->rowCount() > 0) grid->setCurrentIndex(grid->model()->index(0, 0));
        grid->setFocus();
    });
    connect(map_, &MapPanel::selection_made, this, [this](const std::vector<qint64>& items) {
        browser_->show_items(items, tr("Selected on the map"));
        tabs_->setCurrentWidget(browser_);
    });
    connect(tabs_, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == 0) query_view_->setFocus();
    });
    if (!controller_->has_session()) {
        // Images listed, project still building: show them all as one group meanwhile.
        ClusteringView preview;
        preview.assignment.assign(static_cast<std::size_t>(dataset_->size()), 0);
        preview.names = {tr("All images (indexing…)")};
        preview.can_add_cluster = false;
        browser_->set_clustering(preview);
        query_view_->show_message(tr("Preparing the project: encoding the images and finding initial clusters…"));
        tabs_->setCurrentWidget(browser_);
    }
}

void ProjectView::refresh_clustering() {
    const auto clustering = controller_->clustering_view();
    if (!clustering) return;
    aspect_summary_->setText(clustering->aspect_summary);
    browser_->set_clustering(*clustering);
    refresh_metrics();
    map_->refresh();
}

void ProjectView::refresh_query() {
    const auto clustering = controller_->clustering_view();
    if (!clustering) return;
    if (const auto query = controller_->current_query()) {
        query_view_->show_query(*query, *clustering);
    } else {
        query_view_->show_message(
            tr("Press <b>Ask me questions</b> (Ctrl+R) for a round of %1 questions. After the round, the "
               "clusters are re-learned from your answers.")
                .arg(controller_->summary().round_size));
    }
    map_->refresh();
    round_summary_->setText(tr("%n answer(s) so far", nullptr, static_cast<int>(controller_->summary().active_answers)));
}

void ProjectView::refresh_metrics() {
    const auto entries = controller_->clusterings();
    {
        const QSignalBlocker blocker(clustering_selector_);
        clustering_selector_->clear();
        for (const auto& entry : entries) {
            QString label = entry.name;
            if (entry.scores) label += tr("  (ACC %1)").arg(entry.scores->acc, 0, 'f', 3);
            clustering_selector_->addItem(label, QVariant::fromValue<qint64>(entry.id));
            if (entry.current) clustering_selector_->setCurrentIndex(clustering_selector_->count() - 1);
        }
    }
    std::vector<RoundMetrics> rounds;
    history_->setRowCount(static_cast<int>(entries.size()));
    for (std::size_t row = 0; row < entries.size(); ++row) {
        const auto& entry = entries[row];
        const auto cell = [this, row](int column, const QString& text) {
            history_->setItem(static_cast<int>(row), column, new QTableWidgetItem(text));
        };
        cell(0, entry.name);
        cell(1, QString::number(entry.answers_used));
        cell(2, QString::number(entry.answers_given));
        if (entry.scores) {
            cell(3, QString::number(entry.scores->nmi, 'f', 4));
            cell(4, QString::number(entry.scores->acc, 'f', 4));
            cell(5, QString::number(entry.scores->ari, 'f', 4));
            cell(6, QString::number(entry.scores->ri, 'f', 4));
            QString label = entry.name;
            if (entry.answers_used == 1) label += tr(" (1 answer)");
            else if (entry.answers_used > 1) label += tr(" (%1 answers)").arg(entry.answers_used);
            rounds.push_back({label, entry.scores->nmi, entry.scores->acc, entry.scores->ari});
        }
    }
    chart_->set_rounds(std::move(rounds));
}

void ProjectView::show_queries() { tabs_->setCurrentIndex(0); query_view_->setFocus(); }
void ProjectView::show_clusters() { tabs_->setCurrentWidget(browser_); }
void ProjectView::show_metrics() { tabs_->setCurrentIndex(2); }
void ProjectView::show_map() { tabs_->setCurrentWidget(map_); }

bool ProjectView::find_similar_to_current() {
    if (!controller_->has_session()) return false;
    qint64 item = -1;
    QWidget* shown = tabs_->currentWidget();
    if (shown == browser_) item = browser_->current_item();
    else if (shown == map_) item = map_->view()->current_item();
    else if (tabs_->currentIndex() == 0 && query_view_->has_query()) item = query_view_->current().sample;
    if (item < 0) return false;
    search_bar_->find_similar(item);
    return true;
}

void ProjectView::focus_text_search() {
    tabs_->setCurrentWidget(browser_);
    search_bar_->text_field()->setFocus();
    search_bar_->text_field()->selectAll();
}

void ProjectView::open_image(qint64 item) {
    const auto clustering = controller_->clustering_view();
    auto* viewer = new ImageViewer(thumbnails_->full_image(item), image_facts(*dataset_, item, clustering.get()), this);
    viewer->setAttribute(Qt::WA_DeleteOnClose);
    viewer->show();
}

}  // namespace corral::ui
