// The new-project dialog turns what the user typed into the session's settings.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>

#include "corral/ui/main_window.h"
#include "new_project_dialog.h"
#include "project_locations.h"
#include "corral/ui/session_controller.h"
#include "welcome_view.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using corral::ui::NewProjectDialog;

namespace {

// The field of `dialog`'s form whose label reads `label`.
template <typename Field>
Field* field_labelled(NewProjectDialog& dialog, const QString& label) {
    auto* form = dialog.findChild<QFormLayout*>();
    REQUIRE(form != nullptr);
    for (int row = 0; row < form->rowCount(); ++row) {
        auto* label_item = form->itemAt(row, QFormLayout::LabelRole);
        auto* field_item = form->itemAt(row, QFormLayout::FieldRole);
        if (!label_item || !field_item) continue;
        auto* text = qobject_cast<QLabel*>(label_item->widget());
        if (!text || text->text() != label) continue;
        if (auto* field = qobject_cast<Field*>(field_item->widget())) return field;
        if (field_item->widget()) {
            if (auto* inner = field_item->widget()->findChild<Field*>()) return inner;
        }
    }
    FAIL("no field labelled " << label.toStdString());
    return nullptr;
}

// `count` small PNGs in `folder` (made if needed), each a flat colour with a little noise.
void write_images(const std::filesystem::path& folder, int count, const cv::Scalar& colour) {
    std::filesystem::create_directories(folder);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(12, 12, CV_8UC3, colour);
        image.at<cv::Vec3b>(i % 12, (3 * i) % 12) = cv::Vec3b(255, 255, 255);
        REQUIRE(cv::imwrite((folder / ("image" + std::to_string(i) + ".png")).string(), image));
    }
}

QString native(const std::filesystem::path& path) { return QString::fromStdString(path.string()); }

// Replaces the text of `field` by typing, key by key, as a user would.
void type_into(QLineEdit* field, const QString& text) {
    field->setFocus();
    field->selectAll();
    QTest::keyClick(field, Qt::Key_Delete);
    QTest::keyClicks(field, text);
}

void type_number(QSpinBox* field, int value) {
    field->setFocus();
    field->selectAll();
    QTest::keyClicks(field, QString::number(value));
}

}  // namespace

TEST_CASE("the new-project dialog passes the typed image limit, clusters and round size on", "[ui]") {
    QSettings().clear();
    NewProjectDialog dialog(QStringLiteral("fashion-mnist"));
    REQUIRE(testing::show_active(&dialog));
    auto* limit = field_labelled<QSpinBox>(dialog, QStringLiteral("Use at most:"));
    CHECK(limit->text() == QStringLiteral("every image"));
    CHECK(dialog.settings().limit == 0);

    limit->setFocus();
    limit->selectAll();
    QTest::keyClicks(limit, QStringLiteral("5000"));
    auto* clusters = field_labelled<QSpinBox>(dialog, QStringLiteral("Clusters:"));
    clusters->setFocus();
    clusters->selectAll();
    QTest::keyClicks(clusters, QStringLiteral("12"));
    const auto settings = dialog.settings();
    CHECK(settings.dataset_spec == "fashion-mnist");
    CHECK(settings.limit == 5000);
    CHECK(settings.clusters == 12);
    CHECK(settings.encoder_spec == "pixels");
    testing::save_screenshot(&dialog, QStringLiteral("new-project-dialog"));
}

TEST_CASE("the new-project dialog says how many duplicates a folder holds and keeps one copy unless told", "[ui][images]") {
    testing::TempDir scratch;
    const std::filesystem::path images = scratch / "photos";
    std::filesystem::create_directories(images / "a");
    for (int i = 0; i < 3; ++i) {
        REQUIRE(cv::imwrite((images / "a" / ("p" + std::to_string(i) + ".png")).string(),
                            cv::Mat(8, 8, CV_8UC3, cv::Scalar(10 * i, 0, 0))));
    }
    std::filesystem::copy_file(images / "a/p0.png", images / "a/p0 copy.png");
    std::filesystem::create_symlink("p1.png", images / "a/p1 link.png");
    std::filesystem::create_symlink("p2.png", images / "a/p2 link.png");
    const QString spec = QStringLiteral("folder:") + QString::fromStdString(images.string());
    QSettings().clear();
    NewProjectDialog dialog(spec);
    REQUIRE(testing::show_active(&dialog));
    REQUIRE(testing::wait_until([&] { return !dialog.surveying(); }));
    CHECK(dialog.duplicates_summary()->text() ==
          QStringLiteral("3 of 6 image files are duplicates: 2 links to images in the folder and 1 identical copy."));
    CHECK(dialog.images_summary()->text() == QStringLiteral("6 image files (3 distinct)."));
    CHECK(dialog.keep_one_copy()->isChecked());
    CHECK(dialog.settings().dataset_spec == spec.toStdString());
    testing::save_screenshot(&dialog, QStringLiteral("new-project-duplicates"));
    dialog.keep_one_copy()->click();
    CHECK(dialog.settings().dataset_spec == "folder-keep-duplicates:" + images.string());

    // Fashion-MNIST has no duplicates to choose about.
    dialog.fashion_choice()->click();
    REQUIRE(testing::wait_until([&] { return dialog.duplicates_summary()->text().startsWith(QStringLiteral("Only")); }));
    CHECK_FALSE(dialog.keep_one_copy()->isEnabled());
    CHECK(dialog.settings().dataset_spec == "fashion-mnist");
}

TEST_CASE("the new-project dialog checks as the user types and keeps Create off while a value is wrong", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto empty = scratch / "empty";
    std::filesystem::create_directories(empty / "nothing here");
    const auto photos = scratch / "photos";
    write_images(photos, 6, cv::Scalar(30, 60, 90));
    const auto existing = scratch / "existing.corral";
    std::filesystem::create_directories(existing);
    testing::write_file(existing / "project.sqlite", "");

    NewProjectDialog dialog(QString{});
    REQUIRE(testing::show_active(&dialog));
    CHECK(dialog.folder_choice()->isChecked());
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() == QStringLiteral("Choose the image folder (Browse…), or Fashion-MNIST."));

    // A folder that is not there, said while typing.
    type_into(dialog.folder_field(), native(scratch / "phot"));
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() == QStringLiteral("There is no folder %1.").arg(native(scratch / "phot")));

    // A folder without images: said once the survey has looked.
    type_into(dialog.folder_field(), native(empty));
    REQUIRE(testing::wait_until([&] { return !dialog.surveying() && !dialog.problem_label()->text().isEmpty(); }));
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() ==
          QStringLiteral("%1 holds no images (JPEG, PNG, GIF, BMP, TIFF, WebP, PGM/PPM), in it or below it.").arg(native(empty)));

    // Six images: fine, until more clusters than images are asked for.
    type_into(dialog.folder_field(), native(photos));
    REQUIRE(testing::wait_until([&] { return dialog.images_summary()->text() == QStringLiteral("6 image files."); }));
    CHECK_FALSE(dialog.create_button()->isEnabled());  // the usual 10 clusters are too many
    CHECK(dialog.problem_label()->text() == QStringLiteral("10 clusters need at least 10 images; there are 6: choose fewer clusters."));
    type_number(dialog.clusters_field(), 3);
    CHECK(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text().isEmpty());
    type_number(dialog.clusters_field(), 8);
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() == QStringLiteral("8 clusters need at least 8 images; there are 6: choose fewer clusters."));
    type_number(dialog.clusters_field(), 3);
    CHECK(dialog.create_button()->isEnabled());
    // An image limit counts too.
    auto* limit = field_labelled<QSpinBox>(dialog, QStringLiteral("Use at most:"));
    type_number(limit, 2);
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() == QStringLiteral("3 clusters need at least 3 images; there are 2: choose fewer clusters."));
    type_number(limit, 0);
    CHECK(dialog.create_button()->isEnabled());

    // The project's name clashes with an existing project.
    type_into(dialog.project_folder_field(), native(scratch / "existing"));
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() ==
          QStringLiteral("A project named “existing” already exists in %1: choose another name.").arg(native(scratch.path())));
    type_into(dialog.project_folder_field(), native(scratch / "fresh"));
    CHECK(dialog.create_button()->isEnabled());
    CHECK(dialog.project_folder() == native(scratch / "fresh.corral"));

    // An encoder that needs a model folder, without one.
    dialog.encoder_choice()->setCurrentIndex(dialog.encoder_choice()->findData(QStringLiteral("clip")));
    CHECK_FALSE(dialog.create_button()->isEnabled());
    CHECK(dialog.problem_label()->text() == QStringLiteral("Choose the model folder of the CLIP encoder."));
    auto* model = field_labelled<QLineEdit>(dialog, QStringLiteral("Model folder:"));
    type_into(model, native(scratch / "no-model"));
    CHECK(dialog.problem_label()->text() == QStringLiteral("There is no model folder %1.").arg(native(scratch / "no-model")));
    dialog.encoder_choice()->setCurrentIndex(dialog.encoder_choice()->findData(QStringLiteral("pixels")));
    CHECK(dialog.create_button()->isEnabled());
    // Enter with Create disabled does nothing; with it enabled, it creates.
    type_number(dialog.clusters_field(), 9);
    QTest::keyClick(dialog.clusters_field(), Qt::Key_Return);
    CHECK(dialog.isVisible());
    type_number(dialog.clusters_field(), 2);
    testing::save_screenshot(&dialog, QStringLiteral("new-project-dialog"));
    QTest::keyClick(dialog.clusters_field(), Qt::Key_Return);
    CHECK(dialog.result() == QDialog::Accepted);
    const auto settings = dialog.settings();
    CHECK(settings.dataset_spec == "folder:" + photos.string());
    CHECK(settings.clusters == 2);
}

TEST_CASE("the new-project dialog suggests one cluster per category folder unless the user chose a count", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto shapes = scratch / "shapes";
    for (const auto& [name, value] : {std::pair{"circles", 40}, {"squares", 120}, {"stars", 200}, {"waves", 250}}) {
        write_images(shapes / name, 3, cv::Scalar(value, value, value));
    }
    const auto loose = scratch / "loose";
    write_images(loose, 5, cv::Scalar(9, 9, 9));

    {
        NewProjectDialog dialog(QStringLiteral("folder:") + native(shapes));
        REQUIRE(testing::show_active(&dialog));
        REQUIRE(testing::wait_until([&] { return !dialog.surveying(); }));
        CHECK(dialog.suggested_clusters() == 4);
        CHECK(dialog.clusters_field()->value() == 4);
        CHECK(dialog.clusters_hint()->text() == QStringLiteral("Suggested: 4 (one per category folder)"));
        CHECK(dialog.images_summary()->text() ==
              QStringLiteral("12 image files in 4 category folders (their names are the ground truth)."));
        testing::save_screenshot(&dialog, QStringLiteral("new-project-suggested"));
        // A folder without categories: no suggestion, the usual count back.
        type_into(dialog.folder_field(), native(loose));
        REQUIRE(testing::wait_until([&] { return !dialog.surveying() && dialog.images_summary()->text() == QStringLiteral("5 image files."); }));
        CHECK(dialog.suggested_clusters() == 0);
        CHECK(dialog.clusters_hint()->text().isEmpty());
        CHECK(dialog.clusters_field()->value() == 10);
        CHECK(dialog.problem_label()->text() == QStringLiteral("10 clusters need at least 10 images; there are 5: choose fewer clusters."));
        // Fashion-MNIST suggests its ten classes.
        dialog.fashion_choice()->click();
        CHECK(dialog.suggested_clusters() == 10);
        CHECK(dialog.clusters_hint()->text() == QStringLiteral("Suggested: 10 (its classes)"));
    }
    {
        // A count typed first stays when the folder's suggestion arrives; the hint still says it.
        NewProjectDialog dialog(QString{});
        REQUIRE(testing::show_active(&dialog));
        type_number(dialog.clusters_field(), 7);
        type_into(dialog.folder_field(), native(shapes));
        REQUIRE(testing::wait_until([&] { return dialog.suggested_clusters() == 4; }));
        CHECK(dialog.clusters_field()->value() == 7);
        CHECK(dialog.clusters_hint()->text() == QStringLiteral("Suggested: 4 (one per category folder)"));
    }
}

TEST_CASE("the new-project dialog remembers the last folder, encoder and cluster count", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const auto photos = scratch / "photos";
    write_images(photos, 12, cv::Scalar(10, 200, 10));
    const auto model = scratch / "my-clip";
    std::filesystem::create_directories(model);
    {
        NewProjectDialog dialog(QStringLiteral("folder:") + native(photos));
        REQUIRE(testing::show_active(&dialog));
        CHECK(dialog.clusters_field()->value() == 10);  // the first time: 10
        dialog.encoder_choice()->setCurrentIndex(dialog.encoder_choice()->findData(QStringLiteral("clip")));
        type_into(field_labelled<QLineEdit>(dialog, QStringLiteral("Model folder:")), native(model));
        type_number(dialog.clusters_field(), 6);
        type_into(dialog.project_folder_field(), native(scratch / "first"));
        REQUIRE(testing::wait_until([&] { return !dialog.surveying() && dialog.create_button()->isEnabled(); }));
        dialog.create_button()->click();
        REQUIRE(dialog.result() == QDialog::Accepted);
    }
    {
        NewProjectDialog cancelled(QStringLiteral("fashion-mnist"));
        type_number(cancelled.clusters_field(), 3);
        cancelled.reject();  // cancelled: nothing remembered
    }
    NewProjectDialog dialog(QString{});  // File → New Project from Folder…
    REQUIRE(testing::show_active(&dialog));
    CHECK(dialog.folder_choice()->isChecked());
    CHECK(dialog.folder_field()->text() == native(photos));
    CHECK(dialog.encoder_choice()->currentData().toString() == QStringLiteral("clip"));
    CHECK(field_labelled<QLineEdit>(dialog, QStringLiteral("Model folder:"))->text() == native(model));
    CHECK(dialog.clusters_field()->value() == 6);
    CHECK(dialog.settings().encoder_spec == "clip:" + model.string());
    REQUIRE(testing::wait_until([&] { return !dialog.surveying(); }));
    CHECK(dialog.create_button()->isEnabled());
}

TEST_CASE("new projects go to the one projects folder of the application", "[ui]") {
    const QString expected = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1Char('/') +
                             QCoreApplication::applicationName() + QStringLiteral("/projects");
    CHECK(ui::default_projects_folder() == expected);
    // Not AppDataLocation, which would name the organization too (Corral/Corral).
    CHECK_FALSE(ui::default_projects_folder().contains(QStringLiteral("Corral/Corral")));
    const QString folder = NewProjectDialog::default_project_folder(QStringLiteral("fashion-mnist:test"));
    CHECK(folder.startsWith(expected + QStringLiteral("/fashion-mnist-test")));
    CHECK(folder.endsWith(QStringLiteral(".corral")));
    CHECK(NewProjectDialog::default_project_folder(QStringLiteral("folder:/data/Holiday photos"))
              .startsWith(expected + QStringLiteral("/Holiday photos")));
}

TEST_CASE("a build that fails reopens the new-project dialog with every value kept", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    // Files named like images that are none: the survey counts them, the build finds none readable.
    const auto broken = scratch / "broken";
    std::filesystem::create_directories(broken);
    for (int i = 0; i < 4; ++i) testing::write_file(broken / ("photo" + std::to_string(i) + ".png"), "not a picture, number " + std::to_string(i));
    const QString project = native(scratch / "broken project.corral");

    ui::MainWindow window;
    window.resize(1100, 720);
    REQUIRE(testing::show_active(&window));
    int dialogs_seen = 0;
    QString first_spec, reopened_spec, reopened_folder, reopened_error;
    int reopened_clusters = 0, reopened_round = 0, reopened_limit = -1;
    bool reopened_enabled = false;
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        auto* dialog = qobject_cast<NewProjectDialog*>(QApplication::activeModalWidget());
        if (!dialog || dialog->property("seen").toBool()) return;
        dialog->setProperty("seen", true);
        ++dialogs_seen;
        if (dialogs_seen == 1) {
            // What the user chose: 3 clusters, 7 questions a round, at most 3 images, a name.
            first_spec = QString::fromStdString(dialog->settings().dataset_spec);
            dialog->clusters_field()->setValue(3);
            field_labelled<QSpinBox>(*dialog, QStringLiteral("Questions per round:"))->setValue(7);
            field_labelled<QSpinBox>(*dialog, QStringLiteral("Use at most:"))->setValue(3);
            dialog->project_folder_field()->setText(project);
            if (!testing::wait_until([&] { return !dialog->surveying() && dialog->create_button()->isEnabled(); })) {
                dialog->reject();
                return;
            }
            dialog->create_button()->click();
            return;
        }
        reopened_spec = QString::fromStdString(dialog->settings().dataset_spec);
        reopened_folder = dialog->project_folder();
        reopened_clusters = dialog->clusters_field()->value();
        reopened_round = dialog->settings().round_size;
        reopened_limit = static_cast<int>(dialog->settings().limit);
        reopened_error = dialog->build_error_label()->isVisible() ? dialog->build_error_label()->text() : QString();
        testing::wait_until([&] { return !dialog->surveying(); });
        reopened_enabled = dialog->create_button()->isEnabled();
        testing::save_screenshot(dialog, QStringLiteral("new-project-after-error"));
        dialog->reject();
    });
    poll.start();
    window.open_path(native(broken));  // an image folder: the dialog for it
    const bool reopened = testing::wait_until([&] { return dialogs_seen == 2 && !QApplication::activeModalWidget(); }, 60000);
    INFO("dialogs seen: " << dialogs_seen << ", notice: " << window.welcome_view()->notice()->text().toStdString());
    REQUIRE(reopened);
    poll.stop();
    CHECK(first_spec == QStringLiteral("folder:") + native(broken));
    CHECK(reopened_spec == first_spec);
    CHECK(reopened_folder == project);
    CHECK(reopened_clusters == 3);
    CHECK(reopened_round == 7);
    CHECK(reopened_limit == 3);
    CHECK(reopened_error.contains(QStringLiteral("no readable images")));
    CHECK(reopened_enabled);  // nothing wrong with the values themselves: Create again is possible
    // Cancelled the second time: the window is usable, nothing was left behind.
    CHECK_FALSE(window.controller()->busy());
    CHECK_FALSE(window.controller()->has_session());
    CHECK_FALSE(QFileInfo::exists(project));
}
