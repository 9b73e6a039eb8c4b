#include <catch2/catch.hpp>

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>
#include <QtTest/QTest>

#include <set>

#include "aspect_clustering_dialog.h"
#include "cluster_browser.h"
#include "corral/core/aspect_clustering.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "corral/ui/job_runner.h"
#include "map_panel.h"
#include "map_view.h"
#include "project_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "tiny_clip_training.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

constexpr int kImagesPerCombination = 4;  // 4 colours x 4 shapes x 4 = 64 images
// One step per epoch at 64 images: enough for the colours to separate, seconds on 2 cores. A longer
// training (CORRAL_TEST_CLIP_EPOCHS, e.g. 150) makes the top words meaningful for a screenshot.
int clip_training_epochs() {
    const int wanted = qEnvironmentVariableIntValue("CORRAL_TEST_CLIP_EPOCHS");
    return wanted > 0 ? wanted : 15;
}

bool wait_for_idle_session(MainWindow& window, int timeout_ms = 60000) {
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, timeout_ms);
}

AspectClusteringDialog* wait_for_dialog(MainWindow& window) {
    AspectClusteringDialog* dialog = nullptr;
    testing::wait_until([&] {
        dialog = window.findChild<AspectClusteringDialog*>();
        return dialog != nullptr && dialog->isVisible();
    }, 5000);
    return dialog;
}

// Replaces a field's text the way a user does: select everything, type over it.
void type_over(QWidget* field, const QString& text) {
    field->setFocus();
    QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(field, Qt::Key_Delete);
    QTest::keyClicks(field, text);
}

// The first item of a non-editable combo box, chosen from the keyboard.
void choose_first(QComboBox* box) {
    box->setFocus();
    QTest::keyClick(box, Qt::Key_Home);
}

std::vector<std::string> names_in_browser(ProjectView* view) {
    std::vector<std::string> names;
    auto* model = view->cluster_browser()->cluster_model();
    for (int row = 0; row < model->rowCount(); ++row) names.push_back(model->name(row).toStdString());
    return names;
}

void switch_with_selector(MainWindow& window, const QString& name) {
    QComboBox* selector = window.project_view()->clustering_selector();
    const int index = selector->findText(name, Qt::MatchStartsWith);
    REQUIRE(index >= 0);
    selector->setCurrentIndex(index);
    Q_EMIT selector->activated(index);
    REQUIRE(testing::wait_until([&] {
        return !window.controller()->busy() && window.controller()->session()->clustering().name == name.toStdString();
    }, 30000));
}

}  // namespace

TEST_CASE("the GUI creates, names, switches and reopens two aspect clusterings of one collection", "[ui][aspect]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto data = testing::render_colored_shapes(scratch / "images", kImagesPerCombination, 21);
    const auto model = scratch / "clip";
    QElapsedTimer training;
    training.start();
    const double loss = testing::train_tiny_clip(data, model, clip_training_epochs(), 5);
    WARN("tiny CLIP: " << clip_training_epochs() << " epochs, loss " << loss << ", " << training.elapsed() << " ms");
    const QString project_folder = QString::fromStdString((scratch / "shapes.corral").string());
    const QString model_folder = QString::fromStdString(model.string());
    std::int64_t colour_id = 0;
    std::int64_t shape_id = 0;
    std::vector<std::string> colour_names;
    {
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        SessionSettings settings;
        settings.dataset_spec = "folder:" + (scratch / "images").string();
        settings.encoder_spec = "clip:" + model.string();  // the pixels encoder's PCA of 3072 values is slower
        settings.clusters = 4;
        settings.round_size = 5;
        settings.fine_tune_epochs = 5;
        QSignalSpy errors(window.controller(), &SessionController::error_occurred);
        QElapsedTimer clock;
        clock.start();
        window.controller()->create_project(project_folder, settings);
        const bool ready = wait_for_idle_session(window, 120000);
        INFO("errors: " << errors.size() << (errors.isEmpty() ? "" : errors.front().at(1).toString().toStdString()));
        REQUIRE(ready);
        WARN("project built in " << clock.elapsed() << " ms");
        ProjectView* view = window.project_view();
        REQUIRE(view != nullptr);
        REQUIRE(view->aspect_summary()->text().isEmpty());  // k-means: no aspect to describe
        QSignalSpy jobs(window.job_runner(), &JobRunner::job_started);

        // First clustering: the button on the project view, fields typed over from the keyboard.
        QTest::mouseClick(view->new_aspect_button(), Qt::LeftButton);
        AspectClusteringDialog* dialog = wait_for_dialog(window);
        REQUIRE(dialog != nullptr);
        CHECK(dialog->aspect_box()->count() >= 10);  // the bundled lexicons
        type_over(dialog->aspect_box()->lineEdit(), QStringLiteral("color"));
        CHECK(dialog->prompt_edit()->text() == QStringLiteral("a photo of a {object} with the color of *"));
        CHECK(dialog->words_edit()->toPlainText().startsWith(QStringLiteral("red, orange, yellow")));
        CHECK(dialog->name_edit()->text() == QStringLiteral("By color"));
        type_over(dialog->words_edit(), QStringLiteral("red, green,"));
        QTest::keyClick(dialog->words_edit(), Qt::Key_Return);  // one per line works too
        QTest::keyClicks(dialog->words_edit(), QStringLiteral("blue, yellow"));
        type_over(dialog->clusters_box(), QStringLiteral("4"));
        type_over(dialog->name_edit(), QStringLiteral("Colour"));
        // The tiny CLIP learned captions like "a red object": the prompt it understands.
        type_over(dialog->prompt_edit(), QStringLiteral("a * object"));
        // A folder that is no CLIP model is refused inside the dialog, saying why.
        type_over(dialog->model_folder_edit(), QString::fromStdString((scratch / "images").string()));
        QTest::mouseClick(dialog->create_button(), Qt::LeftButton);
        CHECK(dialog->isVisible());
        CHECK(dialog->problem_label()->isVisible());
        CHECK(dialog->problem_label()->text().contains(QStringLiteral("not a CLIP model folder")));
        testing::save_screenshot(dialog, QStringLiteral("aspect-dialog-error"));
        type_over(dialog->model_folder_edit(), model_folder);
        CHECK_FALSE(dialog->problem_label()->isVisible());  // the message goes with the change
        const auto request = dialog->request();
        CHECK(request.params.words == std::vector<std::string>{"red", "green", "blue", "yellow"});
        CHECK(request.params.alternations == 3);  // the standard training unless the user picks another
        CHECK(request.params.prompt_template == "a * object");
        CHECK(request.params.clusters == 4);
        CHECK(dialog->problem().isEmpty());
        testing::save_screenshot(dialog, QStringLiteral("aspect-dialog"));
        QTest::mouseClick(dialog->create_button(), Qt::LeftButton);
        REQUIRE(testing::wait_until([&] { return window.findChild<AspectClusteringDialog*>() == nullptr; }, 5000));
        REQUIRE(wait_for_idle_session(window));
        REQUIRE(window.controller()->session()->clustering().name == "Colour");
        bool ran_as_job = false;
        for (const auto& started : jobs) ran_as_job |= started.at(1).toString() == QStringLiteral("Clustering by color");
        CHECK(ran_as_job);

        // The selector lists it by name, the browser shows its clusters named by their top words.
        view = window.project_view();
        CHECK(view->clustering_selector()->currentText().startsWith(QStringLiteral("Colour")));
        CHECK(view->aspect_summary()->text().contains(QStringLiteral("color")));
        auto* session = window.controller()->session();
        colour_id = session->clustering().id;
        colour_names = session->clustering().cluster_names;
        CHECK(names_in_browser(view) == colour_names);
        const auto colour_aspect = describe_aspect_clustering(session->clustering());
        REQUIRE(colour_aspect);
        REQUIRE(colour_aspect->top_words.size() == 4);
        for (int cluster = 0; cluster < 4; ++cluster) {
            const auto& top = colour_aspect->top_words[static_cast<std::size_t>(cluster)];
            CHECK(colour_names[static_cast<std::size_t>(cluster)].rfind(aspect_cluster_name(top), 0) == 0);
            CHECK(view->cluster_browser()->cluster_model()->detail(cluster).startsWith(QString::fromStdString(top.front().first)));
        }
        view->show_clusters();
        view->cluster_browser()->select_cluster(0);
        testing::wait_until([] { return false; }, 400);  // thumbnails arrive from their worker
        testing::save_screenshot(&window, QStringLiteral("aspect-clustering"));

        // Second clustering: the menu shortcut, the aspect picked by typing its name, the model
        // folder remembered, Enter to create.
        window.activateWindow();
        REQUIRE(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
        dialog = wait_for_dialog(window);
        REQUIRE(dialog != nullptr);
        CHECK(dialog->model_folder_edit()->text() == model_folder);
        type_over(dialog->aspect_box()->lineEdit(), QStringLiteral("shape"));
        CHECK(dialog->name_edit()->text() == QStringLiteral("By shape"));
        CHECK(dialog->prompt_edit()->text().contains(QStringLiteral("shape")));
        type_over(dialog->words_edit(), QStringLiteral("circle, square, triangle, cross"));
        type_over(dialog->prompt_edit(), QStringLiteral("a * shape"));
        type_over(dialog->clusters_box(), QStringLiteral("4"));
        choose_first(dialog->effort_box());
        dialog->name_edit()->setFocus();
        QTest::keyClick(dialog->name_edit(), Qt::Key_Return);
        REQUIRE(testing::wait_until([&] { return window.findChild<AspectClusteringDialog*>() == nullptr; }, 5000));
        REQUIRE(testing::wait_until([&] {
            return !window.controller()->busy() && window.controller()->session()->clustering().name == "By shape";
        }, 60000));
        shape_id = session->clustering().id;
        CHECK(shape_id != colour_id);
        CHECK(view->clustering_selector()->count() == 3);

        // Both are stored with their names, aspects and words.
        auto colour = session->project().clustering(colour_id);
        auto shape = session->project().clustering(shape_id);
        REQUIRE(colour);
        REQUIRE(shape);
        CHECK(colour->name == "Colour");
        CHECK(shape->name == "By shape");
        CHECK(describe_aspect_clustering(*colour)->words == std::vector<std::string>{"red", "green", "blue", "yellow"});
        CHECK(describe_aspect_clustering(*shape)->aspect == "shape");
        CHECK(describe_aspect_clustering(*shape)->prompt == "a * shape");
        CHECK(describe_aspect_clustering(*shape)->words == std::vector<std::string>{"circle", "square", "triangle", "cross"});
        CHECK(names_in_browser(view) == shape->cluster_names);

        // A name in use is refused in the dialog before anything runs.
        QTest::mouseClick(view->new_aspect_button(), Qt::LeftButton);
        dialog = wait_for_dialog(window);
        REQUIRE(dialog != nullptr);
        type_over(dialog->name_edit(), QStringLiteral("Colour"));
        QTest::mouseClick(dialog->create_button(), Qt::LeftButton);
        CHECK(dialog->problem_label()->text().contains(QStringLiteral("already has a clustering named")));
        dialog->reject();

        // Switching back: the browser and the map follow.
        view->show_map();
        auto map_params = window.controller()->session()->default_map_params();
        map_params.perplexity = 10;  // 64 points: a short map is enough to check the colours follow
        map_params.exaggeration_iterations = 100;
        map_params.iterations = 200;
        view->map_panel()->compute_map(map_params);
        REQUIRE(testing::wait_until([&] { return !view->map_panel()->computing() && !window.job_runner()->busy(); }, 60000));
        switch_with_selector(window, QStringLiteral("Colour"));
        CHECK(names_in_browser(view) == colour_names);
        CHECK(view->cluster_browser()->image_model()->rowCount() ==
              std::count(colour->assignment.begin(), colour->assignment.end(), view->cluster_browser()->selected_cluster()));
        const auto& colouring = view->map_panel()->view()->colouring();
        CHECK(colouring.category == colour->assignment);
        CHECK(colouring.names.size() == 4);
        CHECK(colouring.names.front().toStdString() == colour_names.front());
        testing::wait_until([] { return false; }, 300);
        testing::save_screenshot(&window, QStringLiteral("aspect-clustering-map"));
        switch_with_selector(window, QStringLiteral("By shape"));
        CHECK(names_in_browser(view) == shape->cluster_names);
        CHECK(view->map_panel()->view()->colouring().category == shape->assignment);

        // Renaming the clustering shown: the Rename… button asks for the new name.
        QTimer answer_rename;
        QString offered_name;
        QObject::connect(&answer_rename, &QTimer::timeout, [&] {  // runs inside the input dialog's own event loop
            if (auto* input = qobject_cast<QInputDialog*>(QApplication::activeModalWidget())) {
                answer_rename.stop();
                offered_name = input->textValue();
                input->setTextValue(QStringLiteral("Shapes"));
                input->accept();
            }
        });
        answer_rename.start(20);
        QTest::mouseClick(view->rename_clustering_button(), Qt::LeftButton);
        CHECK(offered_name == QStringLiteral("By shape"));
        CHECK(view->clustering_selector()->currentText().startsWith(QStringLiteral("Shapes")));
        CHECK(session->clustering().name == "Shapes");
    }
    // Reopened: both clusterings are still there, the last one shown is current.
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    window.open_project(project_folder);
    REQUIRE(wait_for_idle_session(window));
    auto* session = window.controller()->session();
    CHECK(session->clustering().id == shape_id);
    CHECK(session->clustering().name == "Shapes");
    std::set<std::string> names;
    for (const auto& summary : session->clusterings()) names.insert(summary.name);
    CHECK(names == std::set<std::string>{"k-means", "Colour", "Shapes"});
    CHECK(window.project_view()->clustering_selector()->count() == 3);
    switch_with_selector(window, QStringLiteral("Colour"));
    CHECK(names_in_browser(window.project_view()) == colour_names);
}
