// "Learn features from these images" from the app alone: the new-project dialog offers it with
// the time each schedule takes on this computer, the project is built on pixels and usable
// while the network trains, a paused training survives closing and reopening the project, and
// continuing it ends on the learned clustering with a summary of what changed.
#include <catch2/catch.hpp>

#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QtTest/QTest>

#include <filesystem>

#include "corral/ui/main_window.h"
#include "feature_learning_bar.h"
#include "feature_learning_choice.h"
#include "corral/ui/job_runner.h"
#include "job_status_widget.h"
#include "new_project_dialog.h"
#include "project_view.h"
#include "corral/ui/session_controller.h"
#include "shape_folder.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

TEST_CASE("a project learns its features in the background, pauses, reopens, resumes and switches to them", "[ui]") {
    testing::TempDir scratch;
    QSettings().clear();
    testing::write_shape_folder(scratch / "shapes", 200, 32);
    const QString images = QStringLiteral("folder:") + QString::fromStdString((scratch / "shapes").string());
    const QString project = QString::fromStdString((scratch / "shapes.corral").string());

    MainWindow window;
    window.resize(1200, 760);
    REQUIRE(testing::show_active(&window));
    auto* controller = window.controller();

    // The dialog offers learning features; 200 images are few enough that pixels stay the default.
    FeatureLearningPlan plan;
    SessionSettings settings;
    {
        NewProjectDialog dialog(images, &window);
        dialog.show();
        REQUIRE(testing::wait_until([&] { return !dialog.surveying(); }, 20000));
        QComboBox* encoder = dialog.encoder_choice();
        CHECK(encoder->currentData().toString() == QStringLiteral("pixels"));
        const int learn = encoder->findData(QStringLiteral("learn"));
        REQUIRE(learn >= 0);
        CHECK_FALSE(dialog.learning_choice()->isEnabled());
        CHECK_FALSE(dialog.feature_learning());
        encoder->setCurrentIndex(learn);
        CHECK(dialog.learning_choice()->isEnabled());
        // The speed of this computer is measured on the images, then each schedule shows its time.
        REQUIRE(testing::wait_until([&] { return dialog.learning_choice()->speed().has_value(); }, 60000));
        QComboBox* schedules = dialog.learning_choice()->schedule_box();
        REQUIRE(schedules->count() == 3);
        CHECK(schedules->currentText().startsWith(QStringLiteral("Standard — ")));
        for (int i = 0; i < 3; ++i) CHECK(schedules->itemText(i).contains(QStringLiteral(" — ")));
        CHECK(dialog.learning_choice()->estimate_label()->text().contains(QStringLiteral("On this computer")));
        dialog.learning_choice()->set_schedule(LearningSchedule::quick);
        QCoreApplication::processEvents();
        testing::save_screenshot(&dialog, QStringLiteral("new-project-learn-features"));
        const auto chosen = dialog.feature_learning();
        REQUIRE(chosen);
        CHECK(chosen->schedule == LearningSchedule::quick);
        REQUIRE(chosen->speed);
        settings = dialog.settings();
        CHECK(settings.encoder_spec == "pixels");  // the project starts on pixels
        plan = *chosen;
    }
    // A tiny schedule: a few one-step epochs of the 200 images (CORRAL_TEST_LEARNING_EPOCHS
    // trains longer, for the user guide's screenshots).
    const int epochs = qEnvironmentVariableIntValue("CORRAL_TEST_LEARNING_EPOCHS") > 8
                           ? qEnvironmentVariableIntValue("CORRAL_TEST_LEARNING_EPOCHS")
                           : 8;
    plan.epochs = epochs;
    plan.images_per_epoch = 0;
    settings.clusters = 3;
    settings.round_size = 5;

    // Pause once an epoch is in the checkpoint (and the time left is known, or a quarter of the
    // epochs are done), from the bar as a user would.
    bool pause_due = false;
    const QString epoch_prefix = QStringLiteral("training epoch ");
    QObject::connect(window.job_runner(), &JobRunner::job_progress, &window,
                     [&](int id, double, const QString& message, double remaining_seconds) {
                         if (pause_due || id != controller->feature_learning_job() || !message.startsWith(epoch_prefix)) return;
                         const int epoch = message.mid(epoch_prefix.size()).section(QLatin1Char('/'), 0, 0).toInt();
                         pause_due = epoch >= 2 && (remaining_seconds >= 0 || epoch >= std::max(2, epochs / 4));
                     });
    controller->create_project(project, settings, plan);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && controller->learning_features(); }, 60000));
    FeatureLearningBar* bar = window.project_view()->feature_learning_bar();
    CHECK(bar->isVisible());
    CHECK(bar->text().contains(QStringLiteral("Learning features from these images")));
    const qint64 pixel_clustering = controller->clustering_view()->id;
    CHECK(controller->session()->clustering().method == "kmeans");

    // The pixel clustering is usable meanwhile: a round is planned and answered while it trains.
    CHECK_FALSE(controller->busy());
    controller->start_round();
    REQUIRE(testing::wait_until([&] { return controller->current_query().has_value() || pause_due; }, 30000));
    if (const auto query = controller->current_query()) {
        controller->answer(AnswerKind::positive, query->candidates.front().cluster);
        CHECK(controller->summary().active_answers == 1);
    }

    REQUIRE(testing::wait_until([&] { return pause_due; }, 60000));
    REQUIRE(controller->learning_features());
    QTest::qWait(30);  // the labels' new text laid out
    testing::save_screenshot(&window, QStringLiteral("learning-features"));
    window.project_view()->feature_learning_bar()->pause_button()->click();
    REQUIRE(testing::wait_until([&] { return !controller->learning_features(); }, 60000));
    auto learning = controller->feature_learning();
    REQUIRE(learning);
    CHECK(learning->status == FeatureLearningStatus::paused);
    CHECK(learning->epochs_completed >= 1);
    CHECK(learning->epochs_completed < epochs);
    CHECK(controller->session()->clustering().id == pixel_clustering);  // cancelling left the project as it was
    bar = window.project_view()->feature_learning_bar();
    CHECK(bar->continue_button()->isVisible());
    CHECK(bar->text().contains(QStringLiteral("paused")));
    const int epochs_before_close = learning->epochs_completed;

    // Close and reopen: the paused training is offered, and continuing picks up its checkpoint.
    controller->close_project();
    REQUIRE(testing::wait_until([&] { return !window.job_runner()->busy(); }, 30000));
    window.open_project(project);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 60000));
    CHECK(controller->session()->clustering().id == pixel_clustering);
    learning = controller->feature_learning();
    REQUIRE(learning);
    CHECK(learning->status == FeatureLearningStatus::paused);
    CHECK(learning->epochs_completed == epochs_before_close);
    bar = window.project_view()->feature_learning_bar();
    REQUIRE(bar->isVisible());
    REQUIRE(bar->continue_button()->isVisible());
    bar->continue_button()->click();
    CHECK(controller->learning_features());
    REQUIRE(testing::wait_until([&] { return controller->session()->clustering().method == "convnet"; }, 120000));

    // It ends on the convnet's clustering, says what changed, and the pixels are one click away.
    CHECK_FALSE(controller->learning_features());
    learning = controller->feature_learning();
    REQUIRE(learning);
    CHECK(learning->status == FeatureLearningStatus::finished);
    CHECK(learning->epochs_completed == epochs);
    CHECK(controller->clustering_view()->name == QStringLiteral("learned features"));
    CHECK(std::filesystem::exists(std::filesystem::path(project.toStdString()) / learning->model_folder / "model.safetensors"));
    bar = window.project_view()->feature_learning_bar();
    CHECK(bar->isVisible());
    CHECK(bar->text().contains(QStringLiteral("changed cluster")));
    CHECK(bar->text().contains(QStringLiteral("Against the known labels")));
    CHECK(bar->go_back_button()->isVisible());
    window.project_view()->show_clusters();
    QTest::qWait(200);  // thumbnails decoded
    {
        // The summary and the first rows of the new clusters (the whole window is a large PNG).
        const QString folder = qEnvironmentVariable("CORRAL_SCREENSHOT_DIR", QStringLiteral(CORRAL_SCREENSHOT_DIR));
        QDir().mkpath(folder);
        window.grab(QRect(0, 0, window.width(), 400)).save(folder + QStringLiteral("/features-learned.png"));
    }
    bar->go_back_button()->click();
    REQUIRE(testing::wait_until([&] { return !controller->busy() && controller->clustering_view()->id == pixel_clustering; }, 30000));
}
