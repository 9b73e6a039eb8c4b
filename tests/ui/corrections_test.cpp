// The annotator's corrections in the window: one undo history across the tabs (answers, a
// multi-image move as one step, renames, merges, a new cluster), with Edit menu texts that say
// what will be undone; images dragged onto a cluster; duplicate cluster names refused; the focus
// staying in the cluster list after F2.
#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QDragEnterEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QTabWidget>
#include <QUndoStack>
#include <QtTest/QTest>

#include "cluster_browser.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "map_panel.h"
#include "map_view.h"
#include "project_view.h"
#include "query_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

SessionSettings tiny_settings() {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 600;
    settings.clusters = 6;
    settings.round_size = 5;
    settings.fine_tune_epochs = 5;
    return settings;
}

bool open_tiny_project(MainWindow& window, const testing::TempDir& scratch) {
    window.controller()->create_project(QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings());
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 120000);
}

std::vector<qint64> members(const SessionController& controller, int cluster) {
    return controller.clustering_view()->members(cluster);
}

// Selects the first `count` images of the grid.
void select_first_images(ClusterBrowser* browser, int count) {
    auto* view = browser->image_view();
    view->selectionModel()->setCurrentIndex(browser->image_model()->index(0), QItemSelectionModel::NoUpdate);
    view->clearSelection();
    for (int row = 0; row < count; ++row) {
        view->selectionModel()->select(browser->image_model()->index(row), QItemSelectionModel::Select);
    }
}

QAction* find_action(QMenu* menu, const QString& object_name) {
    for (QAction* action : menu->findChildren<QAction*>()) {
        if (action->objectName() == object_name) return action;
    }
    for (QAction* action : menu->actions()) {
        if (action->objectName() == object_name) return action;
        if (action->menu() && action->menu()->menuAction()->objectName() == object_name) return action;
    }
    return nullptr;
}

QAction* menu_target(QAction* submenu_action, int data) {
    for (QAction* action : submenu_action->menu()->actions()) {
        if (action->data().toInt() == data) return action;
    }
    return nullptr;
}

QAction* edit_action(MainWindow& window, const QString& prefix) {
    for (QAction* action : window.actions()) {
        if (action->text().startsWith(prefix)) return action;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("one undo history works from every tab; a multi-image move is one step", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1100, 720);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_tiny_project(window, scratch));
    SessionController* controller = window.controller();
    ProjectView* view = window.project_view();
    REQUIRE(view);
    QUndoStack* stack = controller->undo_stack();
    CHECK_FALSE(stack->canUndo());

    // An answer on the Questions tab.
    controller->start_round();
    REQUIRE(testing::wait_until([&] { return view->query_view()->has_query() && !controller->busy(); }, 60000));
    const auto first_question = view->query_view()->current().sample;
    view->show_queries();
    QTest::keyClick(view->query_view(), Qt::Key_0);
    REQUIRE(controller->current_query()->position == 1);
    CHECK(stack->count() == 1);

    // A move of three images on the Clusters tab: one step, named in the Edit menu.
    view->show_clusters();
    ClusterBrowser* browser = view->cluster_browser();
    browser->select_cluster(0);
    const auto before = controller->clustering_view()->assignment;
    select_first_images(browser, 3);
    const auto moved = browser->selected_items();
    REQUIRE(moved.size() == 3);
    {
        std::unique_ptr<QMenu> menu(browser->make_image_menu(&window));
        QAction* move_to = find_action(menu.get(), QStringLiteral("move_to"));
        REQUIRE(move_to);
        QAction* to_two = menu_target(move_to, 1);
        REQUIRE(to_two);
        to_two->trigger();
    }
    for (auto item : moved) CHECK(controller->clustering_view()->assignment[static_cast<std::size_t>(item)] == 1);
    CHECK(stack->count() == 2);
    QAction* undo = edit_action(window, QStringLiteral("&Undo"));
    QAction* redo = edit_action(window, QStringLiteral("&Redo"));
    REQUIRE(undo);
    REQUIRE(redo);
    CHECK(undo->text() == QStringLiteral("&Undo Move 3 images to “Cluster 2”"));
    CHECK(controller->session()->active_answer_count() == 4);

    // Ctrl+Z with the focus in the image grid: the three images go back at once.
    browser->image_view()->setFocus();
    QTest::keyClick(browser->image_view(), Qt::Key_Z, Qt::ControlModifier);
    CHECK(controller->clustering_view()->assignment == before);
    CHECK(controller->session()->active_answer_count() == 1);
    CHECK(undo->text() == QStringLiteral("&Undo Answer “None of these”"));
    CHECK(redo->text() == QStringLiteral("&Redo Move 3 images to “Cluster 2”"));

    // Ctrl+Z on the Map tab: the answer, so the first question is asked again.
    view->show_map();
    view->map_panel()->view()->setFocus();
    QTest::keyClick(view->map_panel()->view(), Qt::Key_Z, Qt::ControlModifier);
    CHECK(controller->current_query()->position == 0);
    CHECK(controller->current_query()->sample == first_question);
    CHECK(controller->session()->active_answer_count() == 0);
    CHECK_FALSE(undo->isEnabled());

    // Redo both from the Questions tab (Ctrl+Shift+Z), in order.
    view->show_queries();
    QTest::keyClick(view->query_view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    CHECK(controller->current_query()->position == 1);
    QTest::keyClick(view->query_view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    for (auto item : moved) CHECK(controller->clustering_view()->assignment[static_cast<std::size_t>(item)] == 1);
    CHECK(controller->session()->active_answer_count() == 4);
    CHECK_FALSE(redo->isEnabled());

    // Reopening shows what was done, not what was undone.
    const auto assignment_now = controller->clustering_view()->assignment;
    controller->close_project();
    const QString folder = QString::fromStdString((scratch / "tiny.corral").string());
    controller->open_project(folder);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 60000));
    CHECK(controller->clustering_view()->assignment == assignment_now);
    CHECK(controller->session()->active_answer_count() == 4);
    CHECK_FALSE(controller->undo_stack()->canUndo());  // a new history per opening
}

TEST_CASE("merge, new cluster and renames are single steps; duplicate names are refused", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1100, 720);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_tiny_project(window, scratch));
    SessionController* controller = window.controller();
    ProjectView* view = window.project_view();
    view->show_clusters();
    ClusterBrowser* browser = view->cluster_browser();
    const auto before = controller->clustering_view()->assignment;

    SECTION("merge one cluster into another") {
        const auto from = members(*controller, 2).size();
        const auto into = members(*controller, 3).size();
        std::unique_ptr<QMenu> menu(browser->make_cluster_menu(2, &window));
        QAction* merge = find_action(menu.get(), QStringLiteral("merge_into"));
        REQUIRE(merge);
        menu_target(merge, 3)->trigger();
        CHECK(members(*controller, 2).empty());
        CHECK(members(*controller, 3).size() == from + into);
        CHECK(browser->cluster_model()->index(2).data().toString().contains(QStringLiteral("(empty)")));
        CHECK(controller->undo_stack()->undoText() == QStringLiteral("Merge “Cluster 3” into “Cluster 4”"));
        controller->undo();
        CHECK(controller->clustering_view()->assignment == before);
    }

    SECTION("move images to a new cluster, then undo it") {
        browser->select_cluster(0);
        select_first_images(browser, 4);
        const auto items = browser->selected_items();
        std::unique_ptr<QMenu> menu(browser->make_image_menu(&window));
        QAction* to_new = find_action(menu.get(), QStringLiteral("move_to_new_cluster"));
        REQUIRE(to_new);
        REQUIRE(to_new->isEnabled());
        to_new->trigger();
        CHECK(controller->clustering_view()->cluster_count() == 7);
        CHECK(browser->cluster_model()->rowCount() == 7);
        CHECK(browser->selected_cluster() == 6);  // the browser shows the new cluster
        CHECK(browser->image_model()->items() == items);
        QTest::qWait(300);
        testing::save_screenshot(&window, QStringLiteral("new-cluster"));
        controller->undo();
        CHECK(controller->clustering_view()->cluster_count() == 6);
        CHECK(controller->clustering_view()->assignment == before);
        controller->redo();
        CHECK(controller->clustering_view()->cluster_count() == 7);
    }

    SECTION("F2 renames in place; a name in use is refused with a message") {
        QListView* list = browser->cluster_view();
        list->setFocus();
        list->setCurrentIndex(browser->cluster_model()->index(1));
        QTest::keyClick(list, Qt::Key_F2);
        auto* editor = qobject_cast<QLineEdit*>(QApplication::focusWidget());
        REQUIRE(editor);
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("Trousers"));
        QTest::keyClick(editor, Qt::Key_Return);
        QCoreApplication::processEvents();  // the delegate commits on the next turn of the event loop
        CHECK(controller->clustering_view()->cluster_name(1) == QStringLiteral("Trousers"));
        CHECK(QApplication::focusWidget() == list);  // the focus stays in the list
        CHECK(list->currentIndex().row() == 1);

        // Cluster 3 may not be called "trousers" too.
        list->setCurrentIndex(browser->cluster_model()->index(2));
        QTest::keyClick(list, Qt::Key_F2);
        editor = qobject_cast<QLineEdit*>(QApplication::focusWidget());
        REQUIRE(editor);
        editor->selectAll();
        QTest::keyClicks(editor, QStringLiteral("trousers"));
        QTest::keyClick(editor, Qt::Key_Return);
        QCoreApplication::processEvents();
        CHECK(controller->clustering_view()->cluster_name(2) == QStringLiteral("Cluster 3"));
        CHECK(browser->cluster_model()->index(2).data(Qt::EditRole).toString() == QStringLiteral("Cluster 3"));
        CHECK(browser->notice()->isVisible());
        CHECK(browser->notice()->text().contains(QStringLiteral("Trousers")));
        CHECK(controller->undo_stack()->count() == 1);
        QTest::qWait(500);  // thumbnails for the screenshot
        testing::save_screenshot(&window, QStringLiteral("rename-refused"));

        // The rename undoes to the unnamed cluster, and redoes.
        controller->undo();
        CHECK(controller->clustering_view()->cluster_name(1) == QStringLiteral("Cluster 2"));
        controller->redo();
        CHECK(controller->clustering_view()->cluster_name(1) == QStringLiteral("Trousers"));
    }
}

TEST_CASE("images dragged from the grid onto a cluster move there as one step", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1100, 720);
    REQUIRE(testing::show_active(&window));
    REQUIRE(open_tiny_project(window, scratch));
    SessionController* controller = window.controller();
    ProjectView* view = window.project_view();
    view->show_clusters();
    ClusterBrowser* browser = view->cluster_browser();
    browser->select_cluster(0);
    QCoreApplication::processEvents();
    const auto before = controller->clustering_view()->assignment;

    // The grid drags its selection; the cluster list takes it on a cluster's row.
    REQUIRE(browser->image_view()->dragEnabled());
    select_first_images(browser, 5);
    const auto items = browser->selected_items();
    std::unique_ptr<QMimeData> data(browser->image_model()->mimeData(browser->image_view()->selectionModel()->selectedIndexes()));
    QWidget* target = browser->cluster_view()->viewport();
    const QPoint on_cluster_five = browser->cluster_view()->visualRect(browser->cluster_model()->index(4)).center();
    QDragEnterEvent enter(on_cluster_five, Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    CHECK(enter.isAccepted());
    QDragMoveEvent over(on_cluster_five, Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &over);
    CHECK(over.isAccepted());
    QDropEvent drop(QPointF(on_cluster_five), Qt::MoveAction, data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);

    for (auto item : items) CHECK(controller->clustering_view()->assignment[static_cast<std::size_t>(item)] == 4);
    CHECK(controller->undo_stack()->count() == 1);
    CHECK(controller->undo_stack()->undoText() == QStringLiteral("Move 5 images to “Cluster 5”"));
    // The grid still shows cluster 1 (without the five), and the list counts them in cluster 5.
    CHECK(browser->selected_cluster() == 0);
    CHECK(browser->cluster_model()->sizes()[4] == static_cast<qint64>(members(*controller, 4).size()));

    // Dropping between rows (not on a cluster) does nothing.
    const QRect first_row = browser->cluster_view()->visualRect(browser->cluster_model()->index(0));
    QDropEvent between(QPointF(first_row.center().x(), browser->cluster_view()->viewport()->height() - 2), Qt::MoveAction,
                       data.get(), Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &between);
    CHECK(controller->undo_stack()->count() == 1);

    controller->undo();
    CHECK(controller->clustering_view()->assignment == before);
}
