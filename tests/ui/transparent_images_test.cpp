// A folder of transparent clip art as a user brings it: line drawings on transparency and
// stickers with soft edges. The grid shows them on white (as the encoders see them), the large
// viewer over a checkerboard; the screenshots go into docs/user-guide.md.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QDialog>
#include <QLabel>
#include <QListView>
#include <QSettings>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cluster_browser.h"
#include "cluster_models.h"
#include "corral/ui/main_window.h"
#include "new_project_dialog.h"
#include "project_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;
namespace fs = std::filesystem;

namespace {

// Black strokes on a transparent background whose hidden colour is black, as most clip art
// is saved: composited onto black it would be a black square.
void write_drawing(const fs::path& path, int variant) {
    cv::Mat image(160, 160, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    const cv::Scalar ink(0, 0, 0, 255);
    switch (variant % 4) {
        case 0: cv::circle(image, {80, 80}, 50 + variant, ink, 5, cv::LINE_AA); break;
        case 1: cv::rectangle(image, {30 + variant, 30}, {130, 130 - variant}, ink, 5, cv::LINE_AA); break;
        case 2:
            cv::line(image, {20, 140}, {80, 20 + variant}, ink, 5, cv::LINE_AA);
            cv::line(image, {80, 20 + variant}, {140, 140}, ink, 5, cv::LINE_AA);
            cv::line(image, {20, 140}, {140, 140}, ink, 5, cv::LINE_AA);
            break;
        default:
            for (int k = 0; k < 5; ++k) cv::line(image, {20, 30 + 25 * k}, {140, 30 + 25 * k + variant}, ink, 4, cv::LINE_AA);
    }
    REQUIRE(cv::imwrite(path.string(), image));
}

// A coloured disc whose edge fades out: partial transparency.
void write_sticker(const fs::path& path, int variant) {
    static const cv::Scalar kColours[] = {{40, 40, 220}, {40, 180, 40}, {220, 120, 30}, {30, 200, 230}};
    cv::Mat colour(160, 160, CV_8UC3, kColours[variant % 4]);
    cv::Mat alpha(160, 160, CV_8UC1, cv::Scalar(0));
    cv::circle(alpha, {80, 80}, 45 + 2 * variant, cv::Scalar(255), cv::FILLED);
    cv::GaussianBlur(alpha, alpha, {0, 0}, 6);
    cv::Mat image;
    cv::merge(std::vector<cv::Mat>{colour, alpha}, image);
    REQUIRE(cv::imwrite(path.string(), image));
}

bool wait_for_session(MainWindow& window) {
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 180000);
}

}  // namespace

TEST_CASE("transparent images: white in the grid, a checkerboard behind them in the viewer", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const fs::path images = scratch / "clip-art";
    fs::create_directories(images / "drawings");
    fs::create_directories(images / "stickers");
    for (int i = 0; i < 12; ++i) {
        write_drawing(images / "drawings" / ("drawing" + std::to_string(i) + ".png"), i);
        write_sticker(images / "stickers" / ("sticker" + std::to_string(i) + ".png"), i);
    }
    const QString project = QString::fromStdString((scratch / "clip-art.corral").string());

    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    window.create_project_with_defaults(QStringLiteral("folder:") + QString::fromStdString(images.string()), project);
    REQUIRE(wait_for_session(window));
    ProjectView* view = window.project_view();
    REQUIRE(view != nullptr);
    CHECK(view->dataset().size() == 24);

    // Every image in one grid, thumbnails decoded.
    view->show_clusters();
    ClusterBrowser* browser = view->cluster_browser();
    std::vector<qint64> all(24);
    std::iota(all.begin(), all.end(), 0);
    browser->show_items(all, QStringLiteral("All images"));
    auto* model = browser->image_model();
    REQUIRE(model->rowCount() == 24);
    const auto thumbnail = [&](int row) {
        return model->index(row).data(Qt::DecorationRole).value<QPixmap>().toImage();
    };
    // The placeholder is translucent grey; a decoded thumbnail is opaque.
    REQUIRE(testing::wait_until([&] {
        for (int row = 0; row < model->rowCount(); ++row) {
            if (thumbnail(row).hasAlphaChannel()) return false;
        }
        return true;
    }));
    QTest::qWait(200);
    testing::save_screenshot(&window, QStringLiteral("transparent-grid"));

    int drawing_row = -1, sticker_row = -1;
    for (int row = 0; row < model->rowCount(); ++row) {
        const std::string name = view->dataset().item_name(model->item_at(row));
        if (name == "drawings/drawing0.png") drawing_row = row;
        if (name == "stickers/sticker0.png") sticker_row = row;
    }
    REQUIRE(drawing_row >= 0);
    REQUIRE(sticker_row >= 0);
    {
        // drawing0: a black ring of radius 50 around the centre, on white.
        const QImage drawing = thumbnail(drawing_row).convertToFormat(QImage::Format_RGB32);
        const double scale = drawing.width() / 160.0;
        CHECK(drawing.pixel(2, 2) == qRgb(255, 255, 255));
        CHECK(drawing.pixel(drawing.width() / 2, drawing.height() / 2) == qRgb(255, 255, 255));  // inside the ring
        CHECK(qGray(drawing.pixel(static_cast<int>((80 + 50) * scale), static_cast<int>(80 * scale))) < 90);  // on it
        const QImage sticker = thumbnail(sticker_row).convertToFormat(QImage::Format_RGB32);
        CHECK(sticker.pixel(2, 2) == qRgb(255, 255, 255));
        CHECK(sticker.pixel(sticker.width() / 2, sticker.height() / 2) == qRgb(220, 40, 40));  // BGR (40, 40, 220)
    }

    // Open the drawing as a double-click would.
    Q_EMIT browser->image_view()->activated(model->index(drawing_row));
    QDialog* viewer = nullptr;
    REQUIRE(testing::wait_until([&] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* dialog = qobject_cast<QDialog*>(widget); dialog && dialog->isVisible() &&
                                                                dialog->findChild<QLabel*>(QStringLiteral("image_view"))) {
                viewer = dialog;
            }
        }
        return viewer != nullptr;
    }));
    auto* label = viewer->findChild<QLabel*>(QStringLiteral("image_view"));
    auto* note = viewer->findChild<QLabel*>(QStringLiteral("transparency_note"));
    REQUIRE(note != nullptr);
    CHECK(note->text().contains(QStringLiteral("checkerboard")));
    const QImage shown = label->pixmap().toImage().convertToFormat(QImage::Format_RGB32);
    // Shown at 384 px: the transparent corner is the checkerboard's light and dark cells.
    REQUIRE(shown.width() == 384);
    CHECK(shown.pixel(2, 2) == qRgb(255, 255, 255));
    CHECK(shown.pixel(10, 2) == qRgb(0xcc, 0xcc, 0xcc));
    CHECK(shown.pixel(10, 10) == qRgb(255, 255, 255));
    CHECK(qGray(shown.pixel(static_cast<int>(130 * 384 / 160.0), 192)) < 90);  // the ring stays black
    QTest::qWait(100);
    testing::save_screenshot(viewer, QStringLiteral("transparent-viewer"));
    viewer->close();

    // The sticker too: colour over the checkerboard where its edge fades.
    Q_EMIT browser->image_view()->activated(model->index(sticker_row));
    QDialog* sticker_viewer = nullptr;
    REQUIRE(testing::wait_until([&] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* dialog = qobject_cast<QDialog*>(widget); dialog && dialog != viewer && dialog->isVisible() &&
                                                                dialog->findChild<QLabel*>(QStringLiteral("image_view"))) {
                sticker_viewer = dialog;
            }
        }
        return sticker_viewer != nullptr;
    }));
    QTest::qWait(100);
    testing::save_screenshot(sticker_viewer, QStringLiteral("transparent-viewer-sticker"));
    sticker_viewer->close();
}

TEST_CASE("corral PATH: a project folder opens, an image folder starts the new-project dialog", "[ui][images]") {
    testing::TempDir scratch;
    QSettings().clear();
    const fs::path images = scratch / "pictures";
    fs::create_directories(images);
    for (int i = 0; i < 24; ++i) write_sticker(images / ("sticker" + std::to_string(i) + ".png"), i);
    const QString project = QString::fromStdString((scratch / "pictures.corral").string());
    {
        MainWindow window;
        window.create_project_with_defaults(QStringLiteral("folder:") + QString::fromStdString(images.string()), project);
        REQUIRE(wait_for_session(window));
    }
    CHECK(MainWindow::is_project_folder(project));
    CHECK_FALSE(MainWindow::is_project_folder(QString::fromStdString(images.string())));

    MainWindow window;
    window.show();
    window.open_path(project);
    REQUIRE(wait_for_session(window));
    CHECK(window.controller()->project_folder() == project);

    // The dialog is modal: look at it from a timer, then cancel it.
    QString shown_spec;
    QTimer::singleShot(300, [&] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* dialog = qobject_cast<NewProjectDialog*>(widget); dialog && dialog->isVisible()) {
                shown_spec = QString::fromStdString(dialog->settings().dataset_spec);
                dialog->reject();
            }
        }
    });
    window.open_path(QString::fromStdString(images.string()));
    CHECK(shown_spec == QStringLiteral("folder:") + QString::fromStdString(images.string()));
}
