// Find similar images and text search in the window: from the grid (context menu and Ctrl+F),
// from the map (right-click on a point, Ctrl+F on the point under the pointer) and from a
// question; the results, ranked with their similarity, checked against a brute-force cosine
// ranking computed here from the session's features; a selection of results moved to a cluster
// as one undo step; the text field disabled with its reason without CLIP, and ranking by a tiny
// CLIP's text features when one is chosen.
#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QContextMenuEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QTimer>
#include <QUndoStack>
#include <QtTest/QTest>

#include <algorithm>
#include <cmath>

#include "cluster_browser.h"
#include "corral/core/encoder.h"
#include "corral/core/interactive_session.h"
#include "corral/core/text_encoder.h"
#include "corral/ui/main_window.h"
#include "map_panel.h"
#include "map_view.h"
#include "project_view.h"
#include "query_view.h"
#include "search_bar.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "tiny_clip_training.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

SessionSettings tiny_settings(const std::string& dataset_spec = "fashion-mnist:test", std::int64_t limit = 600) {
    SessionSettings settings;
    settings.dataset_spec = dataset_spec;
    settings.limit = limit;
    settings.clusters = 6;
    settings.round_size = 5;
    settings.fine_tune_epochs = 5;
    return settings;
}

bool open_project(MainWindow& window, const QString& folder, const SessionSettings& settings) {
    window.controller()->create_project(folder, settings);
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 120000);
}

struct Ranked {
    qint64 item;
    double similarity;
};

// Every other image by float64 cosine with `query`, best first, ties by lower item.
std::vector<Ranked> brute_force(const FloatMatrix& features, std::span<const float> query, qint64 exclude) {
    std::vector<Ranked> ranked;
    double query_norm = 0.0;
    for (const float q : query) query_norm += double(q) * q;
    for (std::int64_t i = 0; i < features.rows(); ++i) {
        if (i == exclude) continue;
        double dot = 0.0, norm = 0.0;
        for (std::int64_t d = 0; d < features.cols(); ++d) {
            dot += double(features(i, d)) * query[static_cast<std::size_t>(d)];
            norm += double(features(i, d)) * features(i, d);
        }
        ranked.push_back({i, norm > 0 ? dot / std::sqrt(norm * query_norm) : 0.0});
    }
    std::sort(ranked.begin(), ranked.end(),
              [](const Ranked& a, const Ranked& b) { return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item; });
    return ranked;
}

// The browser shows `query_item` and then the oracle's ranking, each with its similarity under it.
void check_results(ClusterBrowser* browser, qint64 query_item, const std::vector<Ranked>& expected) {
    ClusterImagesModel* model = browser->image_model();
    const int offset = query_item >= 0 ? 1 : 0;
    const int shown = std::min<int>(SearchBar::kResultCount, static_cast<int>(expected.size()));
    REQUIRE(model->rowCount() == shown + offset);
    if (query_item >= 0) {
        CHECK(model->item_at(0) == query_item);
        CHECK(model->data(model->index(0), Qt::DisplayRole).toString() == QStringLiteral("this image"));
    }
    int mismatches = 0;
    for (int k = 0; k < shown; ++k) {
        const qint64 item = model->item_at(k + offset);
        const double caption = model->data(model->index(k + offset), Qt::DisplayRole).toString().toDouble();
        CHECK(caption == Approx(expected[static_cast<std::size_t>(k)].similarity).margin(0.0011));
        // Another item only where two similarities tie to float precision.
        if (item != expected[static_cast<std::size_t>(k)].item) {
            ++mismatches;
            const auto at = std::find_if(expected.begin(), expected.end(), [&](const Ranked& r) { return r.item == item; });
            REQUIRE(at != expected.end());
            CHECK(std::abs(at->similarity - expected[static_cast<std::size_t>(k)].similarity) < 1e-5);
        }
    }
    CHECK(mismatches <= 2);
}

std::vector<Ranked> similar_by_session(SessionController* controller, qint64 item) {
    const auto features = controller->session()->features();
    return brute_force(*features, features->row(item), item);
}

QAction* find_action(QMenu* menu, const QString& object_name) {
    for (QAction* action : menu->actions()) {
        if (action->objectName() == object_name) return action;
        if (action->menu() && action->menu()->menuAction()->objectName() == object_name) return action;
    }
    return nullptr;
}

bool wait_for_results(ProjectView* view) {
    return testing::wait_until([&] { return !view->search_bar()->searching() && view->cluster_browser()->showing_list(); }, 30000);
}

}  // namespace

TEST_CASE("find similar images from the grid: context menu and Ctrl+F, ranked as a brute force ranks them", "[ui][search]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_project(window, QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings()));
    ProjectView* view = window.project_view();
    ClusterBrowser* browser = view->cluster_browser();
    view->show_clusters();
    browser->select_cluster(1);
    auto* grid = browser->image_view();
    REQUIRE(browser->image_model()->rowCount() > 5);
    grid->setCurrentIndex(browser->image_model()->index(3));
    const qint64 first = browser->image_model()->item_at(3);

    // The grid's context menu.
    std::unique_ptr<QMenu> menu(browser->make_image_menu(&window));
    QAction* similar = find_action(menu.get(), QStringLiteral("find_similar"));
    REQUIRE(similar);
    similar->trigger();
    REQUIRE(wait_for_results(view));
    check_results(browser, first, similar_by_session(window.controller(), first));
    CHECK(view->tabs()->currentWidget() == browser);
    CHECK_THAT(browser->header()->text().toStdString(), Catch::Contains("Similar to"));
    CHECK_THAT(view->search_bar()->status_label()->text().toStdString(), Catch::Contains("cosine similarity"));
    testing::wait_until([] { return false; }, 400);  // thumbnails load for the screenshot
    testing::save_screenshot(&window, QStringLiteral("search-results"));

    // Ctrl+F on the fifth result searches from it.
    grid->setFocus();
    grid->setCurrentIndex(browser->image_model()->index(5));
    const qint64 second = browser->image_model()->item_at(5);
    QTest::keyClick(grid, Qt::Key_F, Qt::ControlModifier);
    REQUIRE(testing::wait_until([&] { return !view->search_bar()->searching() && browser->image_model()->item_at(0) == second; }, 30000));
    check_results(browser, second, similar_by_session(window.controller(), second));

    // Clicking a cluster leaves the results for the cluster's images.
    browser->select_cluster(0);
    CHECK_FALSE(browser->showing_list());
    CHECK_FALSE(browser->image_model()->has_captions());
}

TEST_CASE("find similar images from the map: right-click on a point, Ctrl+F on the point under the pointer", "[ui][search]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_project(window, QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings()));
    ProjectView* view = window.project_view();
    view->show_map();
    MapPanel* panel = view->map_panel();
    TsneParams quick = window.controller()->default_map_params();
    quick.iterations = 300;
    quick.exaggeration_iterations = 100;
    panel->compute_map(quick);
    REQUIRE(testing::wait_until([&] { return !panel->computing(); }, 120000));
    MapView* map = panel->view();
    REQUIRE(map->point_count() == 600);

    // A right-click on point 42 opens its menu; "Find similar images" in it.
    const qint64 clicked = 42;
    const QPoint at = map->widget_position(clicked).toPoint();
    REQUIRE(map->nearest_point(at, 6.0) >= 0);
    const qint64 under = map->nearest_point(at, 6.0);  // the point drawn there (42, or one on top of it)
    bool menu_seen = false;
    QTimer::singleShot(200, &window, [&] {
        auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
        if (!menu) return;
        menu_seen = true;
        QAction* similar = find_action(menu, QStringLiteral("find_similar"));
        menu->close();
        if (similar) similar->trigger();
    });
    QContextMenuEvent right_click(QContextMenuEvent::Mouse, at, map->mapToGlobal(at));
    QCoreApplication::sendEvent(map, &right_click);
    CHECK(menu_seen);
    REQUIRE(wait_for_results(view));
    check_results(view->cluster_browser(), under, similar_by_session(window.controller(), under));
    CHECK(view->tabs()->currentWidget() == view->cluster_browser());

    // Back on the map, the pointer over another point and Ctrl+F.
    view->show_map();
    const qint64 hovered_wanted = 400;
    const QPointF over = map->widget_position(hovered_wanted);
    QMouseEvent move(QEvent::MouseMove, over, map->mapToGlobal(over), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(map, &move);
    const qint64 hovered = map->hovered_item();
    REQUIRE(hovered >= 0);
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    REQUIRE(testing::wait_until([&] {
        return !view->search_bar()->searching() && view->cluster_browser()->showing_list() &&
               view->cluster_browser()->image_model()->item_at(0) == hovered;
    }, 30000));
    check_results(view->cluster_browser(), hovered, similar_by_session(window.controller(), hovered));
}

TEST_CASE("find similar from a question; a selection of results moved to a cluster is one undo step", "[ui][search]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_project(window, QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings()));
    SessionController* controller = window.controller();
    ProjectView* view = window.project_view();
    controller->start_round();
    REQUIRE(testing::wait_until([&] { return view->query_view()->has_query() && !controller->busy(); }, 60000));
    view->show_queries();
    const qint64 question = view->query_view()->current().sample;
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    REQUIRE(wait_for_results(view));
    ClusterBrowser* browser = view->cluster_browser();
    check_results(browser, question, similar_by_session(controller, question));

    // Six results selected (the question's image among them), moved to a cluster most are not in.
    auto* grid = browser->image_view();
    grid->clearSelection();
    for (int row = 0; row < 6; ++row) grid->selectionModel()->select(browser->image_model()->index(row), QItemSelectionModel::Select);
    const auto chosen = browser->selected_items();
    REQUIRE(chosen.size() == 6);
    const auto before = controller->clustering_view()->assignment;
    std::vector<int> count_in(static_cast<std::size_t>(controller->clustering_view()->cluster_count()), 0);
    for (const qint64 item : chosen) ++count_in[static_cast<std::size_t>(before[static_cast<std::size_t>(item)])];
    const int target = static_cast<int>(std::min_element(count_in.begin(), count_in.end()) - count_in.begin());
    const int steps_before = controller->undo_stack()->count();
    std::unique_ptr<QMenu> menu(browser->make_image_menu(&window));
    QAction* move_to = find_action(menu.get(), QStringLiteral("move_to"));
    REQUIRE(move_to);
    QAction* to_target = nullptr;
    for (QAction* action : move_to->menu()->actions()) {
        if (action->data().toInt() == target) to_target = action;
    }
    REQUIRE(to_target);  // a list of results offers every cluster
    to_target->trigger();
    for (const qint64 item : chosen) CHECK(controller->clustering_view()->assignment[static_cast<std::size_t>(item)] == target);
    CHECK(controller->undo_stack()->count() == steps_before + 1);
    CHECK(browser->showing_list());  // the results stay where they were
    CHECK(browser->image_model()->rowCount() == SearchBar::kResultCount + 1);

    // One Ctrl+Z from the results puts every image back.
    grid->setFocus();
    QTest::keyClick(grid, Qt::Key_Z, Qt::ControlModifier);
    CHECK(controller->clustering_view()->assignment == before);
    CHECK(controller->undo_stack()->index() == steps_before);
}

TEST_CASE("without a CLIP model the text search field is disabled and says why", "[ui][search]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_project(window, QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings()));
    SearchBar* bar = window.project_view()->search_bar();
    window.project_view()->show_clusters();
    CHECK_FALSE(bar->text_search_available());
    CHECK_FALSE(bar->text_field()->isEnabled());
    CHECK_FALSE(bar->search_button()->isEnabled());
    CHECK_THAT(bar->text_field()->placeholderText().toStdString(), Catch::Contains("CLIP"));
    CHECK_THAT(bar->text_field()->toolTip().toStdString(), Catch::Contains("pixels") && Catch::Contains("New Aspect Clustering"));
    // Asked anyway (as the menu would), it says so instead of doing nothing.
    bar->search_text(QStringLiteral("a shoe"));
    CHECK(bar->status_label()->isVisible());
    CHECK_THAT(bar->status_label()->text().toStdString(), Catch::Contains("not available"));
    testing::save_screenshot(bar->parentWidget(), QStringLiteral("search-unavailable"));
}

TEST_CASE("with a CLIP model chosen, the text search field ranks the images by its text features", "[ui][search][clip]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto data = testing::render_colored_shapes(scratch / "images", 4, 21);
    const auto model = scratch / "clip";
    // 15 epochs: seconds; a longer training (CORRAL_TEST_CLIP_EPOCHS=150) ranks well enough for a screenshot.
    const int epochs = qEnvironmentVariableIntValue("CORRAL_TEST_CLIP_EPOCHS");
    testing::train_tiny_clip(data, model, epochs > 0 ? epochs : 15, 5);
    // The folder chosen for aspect clusterings serves text search of a project made with pixels.
    QSettings().setValue(QStringLiteral("multisub/clip_model_folder"), QString::fromStdString(model.string()));
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_project(window, QString::fromStdString((scratch / "shapes.corral").string()),
                         tiny_settings("folder:" + data.folder.string(), 0)));
    ProjectView* view = window.project_view();
    SearchBar* bar = view->search_bar();
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier | Qt::ShiftModifier);
    CHECK(view->tabs()->currentWidget() == view->cluster_browser());
    REQUIRE(bar->text_search_available());
    REQUIRE(bar->text_field()->isEnabled());
    CHECK(bar->text_field()->hasFocus());
    CHECK_THAT(bar->text_field()->toolTip().toStdString(), Catch::Contains("first search encodes"));
    QTest::keyClicks(bar->text_field(), QStringLiteral("a red object"));
    QTest::keyClick(bar->text_field(), Qt::Key_Return);
    REQUIRE(testing::wait_until([&] { return !bar->searching() && view->cluster_browser()->showing_list(); }, 120000));

    const std::string spec = "clip:" + model.string();
    auto text = create_text_encoder(spec);
    REQUIRE(text);
    auto prompt = (*text)->encode({"a red object"});
    REQUIRE(prompt);
    auto images = create_image_encoder(spec);
    REQUIRE(images);
    auto features = (*images)->encode(*window.controller()->dataset(), {});
    REQUIRE(features);
    check_results(view->cluster_browser(), -1, brute_force(*features, prompt->row(0), -1));
    CHECK_THAT(view->cluster_browser()->header()->text().toStdString(), Catch::Contains("a red object"));
    testing::wait_until([] { return false; }, 400);  // thumbnails load for the screenshot
    testing::save_screenshot(&window, QStringLiteral("text-search"));
}
