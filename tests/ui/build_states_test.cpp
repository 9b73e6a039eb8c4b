// Clean states after a build that is cancelled or fails: the window goes back to the welcome
// screen, says what happened, leaves no half-made project and no stuck or greyed-out action, and
// a next project builds as usual. The recent-projects list takes off what no longer opens (and
// says so), offers "Remove from list", and shortens long paths in the middle.
#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStackedWidget>
#include <QtTest/QTest>

#include <filesystem>

#include "corral/core/interactive_session.h"
#include "corral/ui/main_window.h"
#include "corral/ui/job_runner.h"
#include "project_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"
#include "welcome_view.h"

using namespace corral;
using namespace corral::ui;

namespace {

QAction* menu_action(MainWindow& window, const QString& text) {
    for (QAction* top : window.menuBar()->actions()) {
        if (!top->menu()) continue;
        for (QAction* action : top->menu()->actions()) {
            if (action->text() == text) return action;
        }
    }
    return nullptr;
}

SessionSettings settings_for(const std::string& spec, std::int64_t limit) {
    SessionSettings settings;
    settings.dataset_spec = spec;
    settings.limit = limit;
    settings.clusters = 5;
    settings.round_size = 5;
    return settings;
}

// The window is usable: welcome page, no job, project actions off, new projects possible.
void check_back_at_welcome(MainWindow& window) {
    CHECK(qobject_cast<QStackedWidget*>(window.centralWidget())->currentWidget() == window.welcome_view());
    CHECK(window.project_view() == nullptr);
    CHECK_FALSE(window.controller()->busy());
    CHECK_FALSE(window.controller()->has_session());
    CHECK_FALSE(window.job_runner()->busy());
    CHECK_FALSE(menu_action(window, QStringLiteral("&Close Project"))->isEnabled());
    CHECK_FALSE(menu_action(window, QStringLiteral("&Clusters"))->isEnabled());
    CHECK(menu_action(window, QStringLiteral("&New Project from Folder…"))->isEnabled());
    CHECK(menu_action(window, QStringLiteral("&Open Project…"))->isEnabled());
    CHECK(window.windowTitle() == QStringLiteral("Corral"));
}

void close_problem_boxes(MainWindow& window) {
    for (auto* box : window.findChildren<QMessageBox*>(QStringLiteral("problem_box"))) box->close();
    QCoreApplication::processEvents();
}

}  // namespace

TEST_CASE("a cancelled build returns to a usable welcome screen and leaves nothing behind", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1100, 720);
    REQUIRE(testing::show_active(&window));
    const QString folder = QString::fromStdString((scratch / "cancelled.corral").string());
    window.controller()->create_project(folder, settings_for("fashion-mnist:test", 10000));

    // While it builds, the images and tabs show, and their shortcuts and Close work.
    REQUIRE(testing::wait_until([&] { return window.project_view() != nullptr; }, 30000));
    CHECK(window.controller()->busy());
    CHECK(menu_action(window, QStringLiteral("&Clusters"))->isEnabled());
    CHECK(menu_action(window, QStringLiteral("M&ap"))->isEnabled());
    CHECK(menu_action(window, QStringLiteral("&Close Project"))->isEnabled());
    testing::save_screenshot(&window, QStringLiteral("building"));

    // Esc cancels the build.
    QTest::keyClick(&window, Qt::Key_Escape);
    REQUIRE(testing::wait_until([&] { return !window.controller()->busy() && !window.job_runner()->busy(); }, 60000));
    REQUIRE(testing::wait_until([&] { return window.project_view() == nullptr; }, 5000));
    check_back_at_welcome(window);
    CHECK(window.welcome_view()->notice()->isVisible());
    CHECK(window.welcome_view()->notice()->text().contains(QStringLiteral("cancelled")));
    CHECK_FALSE(std::filesystem::exists(folder.toStdString()));
    CHECK(window.welcome_view()->recent_list()->count() == 0);  // never opened: not a recent project
    CHECK(window.findChildren<QMessageBox*>(QStringLiteral("problem_box")).isEmpty());  // a cancel is no error
    testing::save_screenshot(&window, QStringLiteral("build-cancelled"));

    // The next project builds as usual, in the same folder too.
    window.controller()->create_project(folder, settings_for("fashion-mnist:test", 300));
    REQUIRE(testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 120000));
    CHECK(window.project_view() != nullptr);
    CHECK(menu_action(window, QStringLiteral("&Close Project"))->isEnabled());
    CHECK(window.welcome_view()->recent_list()->count() == 1);

    // Close during a build of another project: back to the welcome screen at once.
    const QString second = QString::fromStdString((scratch / "closed.corral").string());
    window.controller()->create_project(second, settings_for("fashion-mnist:test", 10000));
    REQUIRE(testing::wait_until([&] { return window.controller()->opening(); }, 30000));
    QElapsedTimer clock;
    clock.start();
    menu_action(window, QStringLiteral("&Close Project"))->trigger();
    CHECK(clock.elapsed() < 200);  // closing never waits for the job
    CHECK(window.project_view() == nullptr);
    REQUIRE(testing::wait_until([&] { return !window.job_runner()->busy(); }, 60000));
    check_back_at_welcome(window);
    CHECK_FALSE(std::filesystem::exists(second.toStdString()));
}

TEST_CASE("a failed build and a project that no longer opens end at a usable welcome screen", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    // Not one image in the folder.
    std::filesystem::create_directories(scratch / "no-images");
    testing::write_file(scratch / "no-images" / "notes.txt", "nothing to see");
    const QString folder = QString::fromStdString((scratch / "empty.corral").string());
    {
        MainWindow window;
        window.resize(1100, 720);
        REQUIRE(testing::show_active(&window));
        window.controller()->create_project(folder, settings_for("folder:" + (scratch / "no-images").string(), 0));
        REQUIRE(testing::wait_until([&] { return !window.controller()->busy() && !window.job_runner()->busy(); }, 60000));
        REQUIRE(testing::wait_until([&] { return window.project_view() == nullptr; }, 5000));
        check_back_at_welcome(window);
        CHECK(window.welcome_view()->notice()->text().contains(QStringLiteral("could not be opened")));
        const auto boxes = window.findChildren<QMessageBox*>(QStringLiteral("problem_box"));
        REQUIRE(boxes.size() == 1);
        CHECK_FALSE(boxes.front()->text().isEmpty());
        testing::save_screenshot(&window, QStringLiteral("build-failed"));
        close_problem_boxes(window);
        CHECK_FALSE(std::filesystem::exists(folder.toStdString()));
        CHECK(window.welcome_view()->recent_list()->count() == 0);
    }

    // A listed project that has become something else: opening it fails, and it leaves the
    // list with a message; one that vanished leaves it at start-up.
    std::filesystem::create_directories(scratch / "ghost.corral");
    const QString ghost = QString::fromStdString((scratch / "ghost.corral").string());
    const QString vanished = QString::fromStdString((scratch / "vanished.corral").string());
    const QString long_path = QString::fromStdString(
        (scratch / "a folder with a long name" / "and another one below it" / "and a third" / "kept.corral").string());
    std::filesystem::create_directories(long_path.toStdString());
    QSettings().setValue(QStringLiteral("recent/projects"), QStringList{ghost, vanished, long_path});
    MainWindow window;
    window.resize(1024, 700);
    REQUIRE(testing::show_active(&window));
    QListWidget* recent = window.welcome_view()->recent_list();
    REQUIRE(recent->count() == 2);
    CHECK(window.welcome_view()->notice()->text().contains(QStringLiteral("vanished.corral")));
    // Long paths shorten in the middle; the tooltip has all of it.
    CHECK(recent->textElideMode() == Qt::ElideMiddle);
    CHECK(recent->item(1)->toolTip() == QDir::toNativeSeparators(long_path));
    CHECK(recent->item(1)->text().contains(QStringLiteral("…")));
    CHECK(recent->item(1)->text().startsWith(QStringLiteral("kept.corral")));
    CHECK(recent->item(1)->text().endsWith(QStringLiteral("kept.corral")));
    testing::save_screenshot(&window, QStringLiteral("welcome-recent"));

    window.open_project(ghost);
    REQUIRE(testing::wait_until([&] { return !window.controller()->busy() && !window.job_runner()->busy(); }, 30000));
    QCoreApplication::processEvents();
    check_back_at_welcome(window);
    CHECK(window.welcome_view()->notice()->text().contains(QStringLiteral("taken off the recent projects")));
    REQUIRE(recent->count() == 1);
    CHECK(recent->item(0)->data(Qt::UserRole).toString() == long_path);
    close_problem_boxes(window);

    // Remove from list (the Delete key in the list): the folder stays on disk.
    recent->setCurrentRow(0);
    recent->setFocus();
    QTest::keyClick(recent, Qt::Key_Delete);
    CHECK(recent->count() == 0);
    CHECK(QSettings().value(QStringLiteral("recent/projects")).toStringList().isEmpty());
    CHECK(std::filesystem::exists(long_path.toStdString()));
}
