// The one door into the session (SessionController): an export is an exclusive job behind the
// busy guard, and neither closing a project nor closing the window waits on the UI thread,
// while every answer given stays stored.
#include <catch2/catch.hpp>

#include <QElapsedTimer>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>

#include "corral/core/project.h"
#include "corral/ui/job_runner.h"
#include "corral/ui/main_window.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "welcome_view.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

namespace fs = std::filesystem;

// A folder of 12 small images in two shades, a project built from it in `window`, and one
// question answered. The fine-tune is set to far more epochs than a test waits for, so that it
// runs until it is cancelled.
fs::path answered_project(testing::TempDir& scratch, MainWindow& window) {
    const fs::path images = scratch / "images";
    testing::write_two_shade_folder(images, 12);
    SessionSettings settings;
    settings.dataset_spec = "folder:" + images.string();
    settings.clusters = 2;
    settings.round_size = 4;
    settings.fine_tune_epochs = 10000000;
    const fs::path project = scratch / "door.corral";
    auto* controller = window.controller();
    controller->create_project(QString::fromStdString(project.string()), settings);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 120000));
    controller->start_round();
    REQUIRE(testing::wait_until([&] { return controller->current_query().has_value() && !controller->busy(); }, 60000));
    const auto query = controller->current_query();
    controller->answer(AnswerKind::positive, query->candidates.front().cluster);
    REQUIRE(controller->summary().active_answers == 1);
    return project;
}

std::int64_t stored_answers(const fs::path& project) {
    auto reopened = Project::open(project);
    REQUIRE(reopened);
    auto answers = (*reopened)->answers();
    REQUIRE(answers);
    return static_cast<std::int64_t>(answers->size());
}

}  // namespace

TEST_CASE("an export is an exclusive job: refused while another runs, and it holds off corrections", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    const fs::path project = answered_project(scratch, window);
    auto* controller = window.controller();
    QSignalSpy messages(controller, &SessionController::status_message);
    int reports = 0;
    const auto count_report = [&reports](Expected<ExportReport>) { ++reports; };
    ExportOptions options;
    options.format = ExportFormat::csv;
    options.output = (scratch / "clusters.csv").string();

    controller->fine_tune();
    REQUIRE(controller->busy());
    CHECK(controller->export_clustering(options, &window, count_report) == 0);
    REQUIRE(messages.size() >= 1);
    CHECK(messages.back().front().toString().contains(QStringLiteral("wait for the running job")));
    window.job_runner()->cancel_all();
    REQUIRE(testing::wait_until([&] { return !controller->busy() && !window.job_runner()->busy(); }, 30000));
    CHECK(reports == 0);
    CHECK_FALSE(fs::exists(options.output));

    // Busy from the moment it starts: a move asked for meanwhile is refused, not raced.
    const int job = controller->export_clustering(options, &window, count_report);
    CHECK(job != 0);
    CHECK(controller->busy());
    const auto assignment = controller->clustering_view()->assignment;
    const int other = 1 - assignment[0];
    controller->move_images({0}, other);
    CHECK(controller->clustering_view()->assignment == assignment);
    REQUIRE(testing::wait_until([&] { return reports == 1 && !controller->busy(); }, 30000));
    CHECK_THAT(testing::read_file(options.output), Catch::StartsWith("path,cluster,cluster_name,answered,label\n"));
    // Once it is done the same move goes through.
    controller->move_images({0}, other);
    CHECK(controller->clustering_view()->assignment[0] == other);
    controller->close_project();
    REQUIRE(testing::wait_until([&] { return !window.job_runner()->busy(); }, 30000));
    CHECK(stored_answers(project) == 2);
}

TEST_CASE("closing a project while a fine-tune runs returns at once; it reopens with its answers", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    const fs::path project = answered_project(scratch, window);
    auto* controller = window.controller();
    controller->fine_tune();
    REQUIRE(controller->busy());
    QElapsedTimer clock;
    clock.start();
    controller->close_project();
    // No wait for the job: the session is let go at once, the job releases it when it returns.
    CHECK(clock.elapsed() < 1000);
    CHECK_FALSE(controller->has_session());
    CHECK_FALSE(controller->busy());
    CHECK(window.welcome_view()->isVisibleTo(&window));

    QString failure;
    QObject::connect(controller, &SessionController::open_failed, &window,
                     [&failure](const QString&, const QString& message) { failure = message; });
    controller->open_project(QString::fromStdString(project.string()));
    // The cancelled fine-tune still holds the first session for a moment: the open waits for it
    // (a second close, inside open_project, must not forget it).
    const bool reopened = testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 60000);
    CHECK(failure == QString());
    REQUIRE(reopened);
    CHECK(controller->summary().active_answers == 1);
    CHECK(controller->current_query().has_value());  // the open round goes on
    controller->close_project();
    REQUIRE(testing::wait_until([&] { return !window.job_runner()->busy(); }, 30000));
    CHECK(stored_answers(project) == 1);
}

TEST_CASE("closing the window while a job runs does not block; it closes once the job has stopped", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.show();
    const fs::path project = answered_project(scratch, window);
    auto* controller = window.controller();
    controller->fine_tune();
    REQUIRE(window.job_runner()->busy());

    QElapsedTimer clock;
    clock.start();
    CHECK_FALSE(window.close());  // refused for now: the job is cancelled first
    CHECK(clock.elapsed() < 1000);
    CHECK(window.isVisible());
    CHECK_FALSE(window.isEnabled());
    CHECK_FALSE(controller->has_session());
    testing::save_screenshot(&window, QStringLiteral("window-closing-while-a-job-stops"));
    REQUIRE(testing::wait_until([&] { return !window.isVisible(); }, 30000));
    CHECK_FALSE(window.job_runner()->busy());
    CHECK(stored_answers(project) == 1);

    // Without a job the window closes at once.
    MainWindow idle;
    idle.show();
    CHECK(idle.close());
    CHECK_FALSE(idle.isVisible());
}
