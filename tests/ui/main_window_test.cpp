#include <catch2/catch.hpp>

#include <QComboBox>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QtTest/QTest>

#include "cluster_browser.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "corral/ui/job_runner.h"
#include "metrics_chart.h"
#include "project_view.h"
#include "query_view.h"
#include "corral/ui/session_controller.h"
#include "training_summary_bar.h"
#include "test_support.h"
#include "ui_test_support.h"
#include "welcome_view.h"

using namespace corral;
using namespace corral::ui;

namespace {

SessionSettings small_settings() {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 3000;
    settings.clusters = 10;
    settings.round_size = 8;
    settings.fine_tune_epochs = 20;
    return settings;
}

bool wait_for_session(MainWindow& window) {
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 180000);
}

}  // namespace

TEST_CASE("a new user goes from launch to improved clusters with the keyboard alone", "[ui][slow]") {
    testing::TempDir scratch;
    QSettings().clear();
    const QString folder = QString::fromStdString((scratch / "fashion.corral").string());
    std::int64_t answered_before_close = 0;
    std::int64_t position_before_close = 0;
    {
        MainWindow window;
        window.resize(1200, 800);
        REQUIRE(testing::show_active(&window));
        testing::save_screenshot(&window, QStringLiteral("welcome"));

        window.controller()->create_project(folder, small_settings());
        // The window keeps answering events while the project is built on a worker thread.
        REQUIRE(testing::wait_until([&] { return window.job_runner()->busy(); }, 5000));
        QElapsedTimer responsive;
        responsive.start();
        QCoreApplication::processEvents();
        CHECK(responsive.elapsed() < 200);
        REQUIRE(wait_for_session(window));
        ProjectView* view = window.project_view();
        REQUIRE(view != nullptr);
        CHECK(view->cluster_browser()->cluster_model()->rowCount() == 10);

        // Ctrl+R asks for a round; the questions come from a worker thread.
        QTest::keyClick(&window, Qt::Key_R, Qt::ControlModifier);
        REQUIRE(testing::wait_until([&] { return view->query_view()->has_query(); }, 60000));
        testing::wait_until([] { return false; }, 300);  // let thumbnails arrive for the screenshot
        testing::save_screenshot(&window, QStringLiteral("main-window-query"));

        QueryView* query = view->query_view();
        const auto first_sample = query->current().sample;
        QElapsedTimer next_query;
        next_query.start();
        QTest::keyClick(query, Qt::Key_1);
        CHECK(next_query.elapsed() < 50);  // the next question shows at once
        CHECK(query->current().sample != first_sample);
        QTest::keyClick(query, Qt::Key_0);
        QTest::keyClick(query, Qt::Key_S);
        // Undo after advancing: back to the skipped question.
        const auto skipped_sample = query->current().sample;
        QTest::keyClick(query, Qt::Key_Backspace);
        CHECK(query->current().sample != skipped_sample);
        auto* session = window.controller()->session();
        auto active = session->project().answers();
        REQUIRE(active);
        CHECK(active->size() == 2);
        auto with_undone = session->project().answers(true);
        REQUIRE(with_undone);
        CHECK(with_undone->size() == 3);  // undo marks, never deletes
        answered_before_close = 2;
        position_before_close = query->current().position;
        CHECK(position_before_close == 2);
    }
    // Reopening resumes at the same question with the same answers.
    {
        MainWindow window;
        window.resize(1200, 800);
        REQUIRE(testing::show_active(&window));
        window.open_project(folder);
        REQUIRE(wait_for_session(window));
        ProjectView* view = window.project_view();
        REQUIRE(view->query_view()->has_query());
        CHECK(view->query_view()->current().position == position_before_close);
        CHECK(window.controller()->session()->active_answer_count() == answered_before_close);

        // Finish the round from the keyboard: the model is fine-tuned and the clusters update.
        const auto clusterings_before = window.controller()->session()->history().size();
        QueryView* query = view->query_view();
        while (query->has_query()) QTest::keyClick(query, Qt::Key_1);
        REQUIRE(testing::wait_until([&] { return !window.controller()->busy() &&
                                                 window.controller()->session()->history().size() > clusterings_before; },
                                    180000));
        view = window.project_view();
        CHECK(view->metrics_chart()->rounds().size() == 2);
        view->show_metrics();
        QTest::qWait(100);
        testing::save_screenshot(&window, QStringLiteral("main-window-metrics"));
        view->show_clusters();
        testing::wait_until([] { return false; }, 500);
        testing::save_screenshot(&window, QStringLiteral("main-window-clusters"));

        // The summary says what the answers changed, scores before and after, and offers the
        // previous clustering one click away.
        TrainingSummaryBar* summary = window.project_view()->training_summary();
        CHECK(summary->isVisible());
        CHECK(summary->text().contains(QStringLiteral("round 1")));
        CHECK(summary->text().contains(QStringLiteral("images changed cluster")));
        CHECK(summary->text().contains(QStringLiteral("ACC")));
        CHECK(summary->go_back_button()->text().contains(QStringLiteral("k-means")));
        testing::save_screenshot(&window, QStringLiteral("training-summary"));
        QTest::mouseClick(summary->go_back_button(), Qt::LeftButton);
        REQUIRE(testing::wait_until([&] { return !window.controller()->busy() &&
                                                 window.controller()->session()->clustering().name == "k-means"; },
                                    60000));
        CHECK_FALSE(summary->isVisible());
        CHECK(window.project_view()->clustering_selector()->currentText().startsWith(QStringLiteral("k-means")));

        // And forward again through the selector: the browser follows.
        QComboBox* selector = window.project_view()->clustering_selector();
        REQUIRE(selector->count() == 2);
        const int tuned = selector->findText(QStringLiteral("round 1"), Qt::MatchStartsWith);
        REQUIRE(tuned >= 0);
        selector->setCurrentIndex(tuned);
        Q_EMIT selector->activated(tuned);
        REQUIRE(testing::wait_until([&] { return !window.controller()->busy() &&
                                                 window.controller()->session()->clustering().name == "round 1"; },
                                    60000));
        CHECK(window.project_view()->clustering_selector()->currentText().startsWith(QStringLiteral("round 1")));
    }
}
