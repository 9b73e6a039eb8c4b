// Questions that inform the expert, on a real question of a small planted project (an image
// folder of three category folders): the reason in words with the clusters named as the app
// names them and the neighbourhood counted as brute force counts it, the size of each candidate
// group, "show more" of a group (all of it, most typical first, answerable from there), and the
// large viewer with the image's cluster, label and file path.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QListView>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QtTest/QTest>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <random>

#include "cluster_models.h"
#include "cluster_preview_dialog.h"
#include "corral/core/interactive_session.h"
#include "corral/ui/main_window.h"
#include "image_viewer.h"
#include "project_view.h"
#include "query_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

// Three categories of 16 x 16 images (a dark, a mid and a light grey with noise), 24 each.
std::filesystem::path write_planted_folder(const std::filesystem::path& root) {
    std::mt19937 rng(11);
    std::normal_distribution<double> noise(0.0, 18.0);
    const std::pair<const char*, double> categories[] = {{"coats", 50.0}, {"shirts", 128.0}, {"socks", 205.0}};
    for (const auto& [name, level] : categories) {
        std::filesystem::create_directories(root / name);
        for (int i = 0; i < 24; ++i) {
            cv::Mat image(16, 16, CV_8UC3);
            for (int y = 0; y < 16; ++y) {
                for (int x = 0; x < 16; ++x) {
                    // A gradient that differs per image keeps the neighbourhoods uneven.
                    const double value = level + noise(rng) + (x - 8) * (i % 5);
                    const auto byte = static_cast<unsigned char>(std::clamp(value, 0.0, 255.0));
                    image.at<cv::Vec3b>(y, x) = cv::Vec3b(byte, byte, byte);
                }
            }
            REQUIRE(cv::imwrite((root / name / ("item" + std::to_string(i) + ".png")).string(), image));
        }
    }
    return root;
}

std::int64_t brute_count_within(const FloatMatrix& features, std::int64_t sample, double distance_squared) {
    std::int64_t count = 0;
    for (std::int64_t j = 0; j < features.rows(); ++j) {
        if (j == sample) continue;
        double sum = 0.0;
        for (std::int64_t d = 0; d < features.cols(); ++d) {
            const double difference = double(features(sample, d)) - features(j, d);
            sum += difference * difference;
        }
        if (sum <= distance_squared) ++count;
    }
    return count;
}

template <typename Dialog>
Dialog* visible_dialog(QWidget* parent) {
    for (auto* dialog : parent->findChildren<Dialog*>()) {
        if (dialog->isVisible()) return dialog;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("a question says why in words, shows group sizes, shows more of a group and the image large", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto images = write_planted_folder(scratch / "clothes");
    MainWindow window;
    window.resize(1180, 760);
    REQUIRE(testing::show_active(&window));
    SessionSettings settings;
    settings.dataset_spec = "folder:" + images.string();
    settings.encoder_spec = "pixels";
    settings.clusters = 3;
    settings.round_size = 5;
    settings.fine_tune_epochs = 3;
    SessionController* controller = window.controller();
    controller->set_auto_fine_tune(false);
    controller->create_project(QString::fromStdString((scratch / "clothes.corral").string()), settings);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 120000));
    ProjectView* view = window.project_view();
    REQUIRE(view);
    controller->start_round();
    QueryView* questions = view->query_view();
    REQUIRE(testing::wait_until([&] { return questions->has_query() && !controller->busy(); }, 60000));
    view->show_queries();

    const SessionQuery query = questions->current();
    const auto clustering = controller->clustering_view();
    REQUIRE(query.candidates.size() == 3);
    REQUIRE(query.neighbour_distance_squared > 0.0);

    // The reason: the two nearest clusters by the names the app shows (1-based, unnamed), the
    // neighbourhood as brute force counts it on the session's features, and no earlier question.
    const QString reason = questions->reason_label()->text();
    INFO("reason: " << reason.toStdString());
    const QString nearest = QStringLiteral("Cluster %1").arg(query.candidates[0].cluster + 1);
    const QString second = QStringLiteral("Cluster %1").arg(query.candidates[1].cluster + 1);
    CHECK(clustering->cluster_name(query.candidates[0].cluster) == nearest);
    CHECK((reason.contains(QStringLiteral("on the border between %1 and %2").arg(nearest, second)) ||
           reason.contains(QStringLiteral("between %1 and %2, nearer %1").arg(nearest, second)) ||
           reason.contains(QStringLiteral("clearly nearer %1 than %2").arg(nearest, second))));
    const auto count = brute_count_within(*controller->session()->features(), query.sample, query.neighbour_distance_squared);
    CHECK(query.similar_images == count);
    const QString typicality = count >= 20 ? QStringLiteral("typical of %1 similar images").arg(count)
                               : count > 1 ? QStringLiteral("with only %1 similar images").arg(count)
                               : count == 1 ? QStringLiteral("with only 1 similar image")
                                            : QStringLiteral("unlike any other image");
    CHECK(reason.contains(typicality));
    CHECK(reason.endsWith(QStringLiteral("the first question.")));
    CHECK_FALSE(reason.contains(QStringLiteral("-0.")));  // no raw scores in the line
    CHECK(questions->reason_label()->toolTip().contains(QStringLiteral("hardness")));  // they are in the tooltip

    // Group sizes: each candidate's images in the clustering.
    const auto sizes = clustering->sizes();
    const auto size_labels = questions->candidate_size_labels();
    REQUIRE(size_labels.size() == query.candidates.size());
    for (std::size_t row = 0; row < size_labels.size(); ++row) {
        const auto size = sizes[static_cast<std::size_t>(query.candidates[row].cluster)];
        CHECK(size_labels[row]->text() == QStringLiteral("%1 images").arg(size));
    }
    QTest::qWait(300);  // thumbnails
    testing::save_screenshot(questions, QStringLiteral("question-planted"));

    // Show more of the second group (Ctrl+2): every image of it, the most typical first.
    QTest::keyClick(questions, Qt::Key_2, Qt::ControlModifier);
    auto* more = visible_dialog<ClusterPreviewDialog>(questions);
    REQUIRE(more);
    const int group = query.candidates[1].cluster;
    CHECK(more->image_model()->rowCount() == sizes[static_cast<std::size_t>(group)]);
    const auto& exemplars = query.candidates[1].exemplars;
    for (std::size_t e = 0; e < exemplars.size(); ++e) CHECK(more->image_model()->item_at(static_cast<int>(e)) == exemplars[e]);
    for (int row = 0; row < more->image_model()->rowCount(); ++row) {
        CHECK(clustering->assignment[static_cast<std::size_t>(more->image_model()->item_at(row))] == group);
    }
    CHECK(more->windowTitle() == QStringLiteral("%1 — %2 images").arg(second).arg(sizes[static_cast<std::size_t>(group)]));
    QTest::qWait(300);
    testing::save_screenshot(more, QStringLiteral("question-show-more-planted"));
    // Enter in the grid says the image belongs with this group.
    more->image_view()->setFocus();
    QTest::keyClick(more->image_view(), Qt::Key_Return);
    REQUIRE(testing::wait_until([&] { return questions->current().position == 1; }));
    const auto answers = controller->answers();
    REQUIRE_FALSE(answers.empty());
    CHECK(answers.back().sample == query.sample);
    CHECK(answers.back().kind == AnswerKind::positive);
    CHECK(answers.back().chosen_cluster == group);
    CHECK_FALSE(visible_dialog<ClusterPreviewDialog>(questions));
    // The second question was picked against the first.
    CHECK((questions->reason_label()->text().endsWith(QStringLiteral("unlike earlier questions.")) ||
           questions->reason_label()->text().endsWith(QStringLiteral("close to an earlier question."))));
    // Esc closes "show more" without an answer.
    QTest::keyClick(questions, Qt::Key_1, Qt::ControlModifier);
    QPointer<ClusterPreviewDialog> closing = visible_dialog<ClusterPreviewDialog>(questions);
    REQUIRE(closing);
    QTest::keyClick(closing, Qt::Key_Escape);
    CHECK((!closing || !closing->isVisible()));
    CHECK(controller->answers().size() == answers.size());

    // V opens the image asked about: its cluster, its label (the category folder) and its file.
    const qint64 asked = questions->current().sample;
    QTest::keyClick(questions, Qt::Key_V);
    auto* viewer = visible_dialog<ImageViewer>(view);
    REQUIRE(viewer);
    const auto& dataset = *controller->dataset();
    const auto file = dataset.item_file(asked);
    CHECK(viewer->cluster_field()->text() ==
          clustering->cluster_name(controller->clustering_view()->assignment[static_cast<std::size_t>(asked)]));
    REQUIRE(viewer->label_field());
    CHECK(viewer->label_field()->text() == QString::fromStdString(file.parent_path().filename().string()));
    CHECK(viewer->file_field()->text() == QString::fromStdString(file.string()));
    CHECK(viewer->file_field()->textInteractionFlags().testFlag(Qt::TextSelectableByMouse));
    CHECK(viewer->file_field()->textInteractionFlags().testFlag(Qt::TextSelectableByKeyboard));
    viewer->copy_path_button()->click();
    CHECK(QApplication::clipboard()->text() == QString::fromStdString(file.string()));
    QTest::qWait(100);  // laid out at its final size
    testing::save_screenshot(viewer, QStringLiteral("image-viewer-planted"));
    viewer->close();
}

TEST_CASE("the viewer of a packed image says which image of which file, and no label without ground truth", "[ui]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    DatasetOptions options;
    options.limit = 50;
    auto opened = open_dataset("fashion-mnist:test", options);
    REQUIRE(opened);
    const auto& dataset = **opened;
    ClusteringView clustering;
    clustering.assignment.assign(static_cast<std::size_t>(dataset.size()), 1);
    clustering.names = {QStringLiteral("Cluster 1"), QStringLiteral("Boots")};
    const auto facts = image_facts(dataset, 7, &clustering);
    CHECK(facts.cluster == QStringLiteral("Boots"));
    CHECK(facts.label == QString::fromStdString(dataset.class_names()[static_cast<std::size_t>(dataset.labels()[7])]));
    CHECK(facts.file == QString::fromStdString(dataset.item_file(7).string()));
    CHECK(facts.place == QString::fromStdString(dataset.item_name(7)).section(QLatin1Char('#'), 1).prepend(QLatin1Char('#')));
    ImageViewer viewer(QImage(28, 28, QImage::Format_Grayscale8), facts);
    CHECK(viewer.file_field()->text() == QStringLiteral("%1, image %2").arg(facts.file, facts.place));

    auto unlabelled = facts;
    unlabelled.label.clear();
    unlabelled.cluster.clear();
    ImageViewer plain(QImage(), unlabelled);
    CHECK(plain.label_field() == nullptr);
    CHECK(plain.cluster_field()->text() == QStringLiteral("none yet"));
}

TEST_CASE("a Fashion-MNIST question tells its reason against the earlier ones", "[ui]") {
    if (!find_fashion_mnist()) {
        WARN("Fashion-MNIST is not installed (dataset-fashion-mnist); nothing to check");
        return;
    }
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1180, 760);
    REQUIRE(testing::show_active(&window));
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 2000;
    settings.encoder_spec = "pixels";
    settings.clusters = 10;
    settings.round_size = 10;
    SessionController* controller = window.controller();
    controller->set_auto_fine_tune(false);
    controller->create_project(QString::fromStdString((scratch / "fashion.corral").string()), settings);
    REQUIRE(testing::wait_until([&] { return controller->has_session() && !controller->busy(); }, 120000));
    ProjectView* view = window.project_view();
    controller->start_round();
    QueryView* questions = view->query_view();
    REQUIRE(testing::wait_until([&] { return questions->has_query() && !controller->busy(); }, 60000));
    view->show_queries();
    QTest::keyClick(questions, Qt::Key_S);
    QTest::keyClick(questions, Qt::Key_S);
    REQUIRE(questions->current().position == 2);
    const QString reason = questions->reason_label()->text();
    INFO("reason: " << reason.toStdString());
    CHECK(reason.startsWith(QStringLiteral("<b>Why this image:</b> ")));
    CHECK((reason.endsWith(QStringLiteral("unlike earlier questions.")) ||
           reason.endsWith(QStringLiteral("close to an earlier question."))));
    CHECK(questions->current().earlier_questions == 2);
    qint64 shown = 0;
    for (auto* label : questions->candidate_size_labels()) shown += label->text().section(QLatin1Char(' '), 0, 0).remove(QLatin1Char(',')).toLongLong();
    qint64 expected = 0;
    const auto sizes = controller->clustering_view()->sizes();
    for (const auto& candidate : questions->current().candidates) expected += sizes[static_cast<std::size_t>(candidate.cluster)];
    CHECK(shown == expected);
    QTest::qWait(400);  // thumbnails
    testing::save_screenshot(view->tabs()->currentWidget(), QStringLiteral("query-view-reason"));

    // More of the first group, and the image asked about, large: for the user guide.
    auto* more = questions->show_more(0);
    REQUIRE(more);
    CHECK(more->image_model()->rowCount() == sizes[static_cast<std::size_t>(questions->current().candidates[0].cluster)]);
    more->resize(820, 520);
    QTest::qWait(400);
    testing::save_screenshot(more, QStringLiteral("question-show-more"));
    more->reject();
    QTest::keyClick(questions, Qt::Key_V);
    auto* viewer = visible_dialog<ImageViewer>(view);
    REQUIRE(viewer);
    const auto& dataset = *controller->dataset();
    const auto asked = questions->current().sample;
    CHECK(viewer->label_field()->text() ==
          QString::fromStdString(dataset.class_names()[static_cast<std::size_t>(dataset.labels()[static_cast<std::size_t>(asked)])]));
    CHECK(viewer->file_field()->text().startsWith(QString::fromStdString(dataset.item_file(asked).string()) + QStringLiteral(", image #")));
    QTest::qWait(100);
    testing::save_screenshot(viewer, QStringLiteral("image-viewer-facts"));
    viewer->close();
}
