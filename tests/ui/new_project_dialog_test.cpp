// The new-project dialog turns what the user typed into the session's settings.
#include <catch2/catch.hpp>

#include <QCheckBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTest>

#include <opencv2/imgcodecs.hpp>

#include "new_project_dialog.h"
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

}  // namespace

TEST_CASE("the new-project dialog passes the typed image limit, clusters and round size on", "[ui]") {
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
    NewProjectDialog dialog(spec);
    REQUIRE(testing::show_active(&dialog));
    REQUIRE(testing::wait_until([&] { return !dialog.surveying(); }));
    CHECK(dialog.duplicates_summary()->text() ==
          QStringLiteral("3 of 6 image files are duplicates: 2 links to images in the folder and 1 identical copy."));
    CHECK(dialog.keep_one_copy()->isChecked());
    CHECK(dialog.settings().dataset_spec == spec.toStdString());
    testing::save_screenshot(&dialog, QStringLiteral("new-project-duplicates"));
    dialog.keep_one_copy()->click();
    CHECK(dialog.settings().dataset_spec == "folder-keep-duplicates:" + images.string());

    // Typing another folder surveys it again; Fashion-MNIST has no duplicates to choose about.
    auto* field = field_labelled<QLineEdit>(dialog, QStringLiteral("Images:"));
    field->setText(QStringLiteral("fashion-mnist"));
    REQUIRE(testing::wait_until([&] { return dialog.duplicates_summary()->text().startsWith(QStringLiteral("Only")); }));
    CHECK_FALSE(dialog.keep_one_copy()->isEnabled());
    CHECK(dialog.settings().dataset_spec == "fashion-mnist");
}
