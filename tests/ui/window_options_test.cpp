// The window's own options: the light/dark/system theme from the View menu (remembered, applied
// to every view including the map and the image grid), Help → User Guide showing the bundled
// guide with its pictures, and a window that fits 1024 x 700 with a project open.
#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QPixmap>
#include <QSettings>
#include <QAbstractTextDocumentLayout>
#include <QScrollArea>
#include <QScrollBar>
#include <QTabWidget>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTextFragment>
#include <QTextImageFormat>
#include <QtTest/QTest>

#include "cluster_browser.h"
#include "corral/ui/main_window.h"
#include "map_panel.h"
#include "map_view.h"
#include "project_view.h"
#include "query_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "theme.h"
#include "ui_test_support.h"
#include "user_guide_dialog.h"

using namespace corral;
using namespace corral::ui;

namespace {

SessionSettings tiny_settings() {
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 600;
    settings.clusters = 6;
    settings.round_size = 5;
    return settings;
}

bool open_tiny_project(MainWindow& window, const testing::TempDir& scratch) {
    window.controller()->create_project(QString::fromStdString((scratch / "tiny.corral").string()), tiny_settings());
    return testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 120000);
}

QAction* action_named(QWidget* window, const QString& name) {
    for (QAction* action : window->findChildren<QAction*>()) {
        if (action->objectName() == name) return action;
    }
    return nullptr;
}

// Tests run in one process in any order: the theme goes back to the system's at the end.
struct SystemThemeAfterwards {
    ~SystemThemeAfterwards() { apply_theme(Theme::system); }
};

int lightness_at(QWidget* widget, QPoint position) { return widget->grab().toImage().pixelColor(position).lightness(); }

}  // namespace

TEST_CASE("the theme follows the View menu everywhere, is remembered and goes back to the system's", "[ui][theme]") {
    testing::TempDir scratch;
    QSettings().clear();
    SystemThemeAfterwards restore;
    const QPalette system_palette = QApplication::palette();
    {
        MainWindow window;
        window.resize(1200, 800);
        REQUIRE(testing::show_active(&window));
        REQUIRE(open_tiny_project(window, scratch));
        ProjectView* view = window.project_view();
        QAction* dark = action_named(&window, QStringLiteral("theme_dark"));
        QAction* system = action_named(&window, QStringLiteral("theme_system"));
        REQUIRE(dark);
        REQUIRE(system);
        CHECK(system->isChecked());

        // A map to see the theme on (a quick layout).
        view->show_map();
        TsneParams quick = window.controller()->default_map_params();
        quick.iterations = 250;
        quick.exaggeration_iterations = 100;
        view->map_panel()->compute_map(quick);
        REQUIRE(testing::wait_until([&] { return !view->map_panel()->computing(); }, 120000));
        MapView* map = view->map_panel()->view();
        const QPoint corner(3, 3);  // background, away from points, legend and hint
        CHECK(lightness_at(map, corner) > 200);

        dark->trigger();
        CHECK(dark->isChecked());
        CHECK(current_theme() == Theme::dark);
        CHECK(QSettings().value(QStringLiteral("view/theme")).toString() == QStringLiteral("dark"));
        CHECK(QApplication::palette().color(QPalette::Window).lightness() < 80);
        QCoreApplication::processEvents();
        CHECK(lightness_at(map, corner) < 60);
        CHECK(window.palette().color(QPalette::Window).lightness() < 80);
        auto* grid = view->cluster_browser()->image_view();
        CHECK(grid->palette().color(QPalette::Base).lightness() < 60);
        CHECK(map->palette().color(QPalette::Base).lightness() < 60);
        testing::save_screenshot(&window, QStringLiteral("dark-map"));
        view->show_clusters();
        testing::wait_until([] { return false; }, 400);  // thumbnails
        CHECK(lightness_at(grid->viewport(), QPoint(grid->viewport()->width() - 4, grid->viewport()->height() - 4)) < 60);
        testing::save_screenshot(&window, QStringLiteral("dark-theme"));
        window.controller()->start_round();
        REQUIRE(testing::wait_until([&] { return !window.controller()->busy() && window.controller()->current_query(); }, 60000));
        view->show_queries();
        testing::wait_until([] { return false; }, 300);
        testing::save_screenshot(&window, QStringLiteral("dark-questions"));
    }
    {
        // A new window (the next start) takes the remembered theme, and the menu shows it.
        MainWindow window;
        CHECK(current_theme() == Theme::dark);
        QAction* dark = action_named(&window, QStringLiteral("theme_dark"));
        REQUIRE(dark);
        CHECK(dark->isChecked());
        QAction* light = action_named(&window, QStringLiteral("theme_light"));
        REQUIRE(light);
        light->trigger();
        CHECK(QApplication::palette().color(QPalette::Window).lightness() > 180);
        CHECK(QApplication::palette().color(QPalette::Text).lightness() < 80);
        action_named(&window, QStringLiteral("theme_system"))->trigger();
        CHECK(QApplication::palette().color(QPalette::Window) == system_palette.color(QPalette::Window));
        CHECK(QApplication::palette().color(QPalette::Text) == system_palette.color(QPalette::Text));
        CHECK(QSettings().value(QStringLiteral("view/theme")).toString() == QStringLiteral("system"));
    }
}

TEST_CASE("Help → User Guide shows the bundled guide with its pictures, offline", "[ui][help]") {
    QSettings().clear();
    MainWindow window;
    window.resize(1100, 720);
    window.show();
    QAction* guide_action = action_named(&window, QStringLiteral("user_guide"));
    REQUIRE(guide_action);
    guide_action->trigger();
    auto* dialog = window.findChild<UserGuideDialog*>();
    REQUIRE(dialog);
    CHECK(dialog->isVisible());
    REQUIRE(dialog->found());
    QTextBrowser* browser = dialog->browser();
    CHECK(browser->source().isLocalFile());
    CHECK(browser->source().fileName() == QStringLiteral("user-guide.md"));
    QTextDocument* document = browser->document();
    CHECK(document->toPlainText().startsWith(QStringLiteral("Corral user guide")));
    CHECK(document->toPlainText().contains(QStringLiteral("Find similar images")));
    // Headings are headings (Markdown was read as Markdown), pictures load and fit the page.
    CHECK(document->begin().blockFormat().headingLevel() == 1);
    int pictures = 0;
    for (QTextBlock block = document->begin(); block.isValid(); block = block.next()) {
        for (auto fragment = block.begin(); !fragment.atEnd(); ++fragment) {
            const QTextCharFormat format = fragment.fragment().charFormat();
            if (!format.isImageFormat()) continue;
            ++pictures;
            const QTextImageFormat image = format.toImageFormat();
            const QVariant loaded = document->resource(QTextDocument::ImageResource, QUrl(image.name()));
            REQUIRE(loaded.isValid());
            INFO(image.name().toStdString() << " as " << loaded.typeName());
            // The document keeps a picture as it loaded it: file bytes, an image or a pixmap.
            const QImage picture = loaded.typeId() == QMetaType::QImage    ? loaded.value<QImage>()
                                   : loaded.typeId() == QMetaType::QPixmap ? loaded.value<QPixmap>().toImage()
                                                                           : QImage::fromData(loaded.toByteArray());
            CHECK_FALSE(picture.isNull());
            CHECK(picture.width() <= browser->viewport()->width());
        }
    }
    CHECK(pictures >= 10);
    // Two triggers, one window.
    guide_action->trigger();
    CHECK(window.findChildren<UserGuideDialog*>().size() == 1);
    // Scrolled to the search section for the screenshot.
    bool heading_found = false;
    for (QTextBlock block = document->begin(); block.isValid(); block = block.next()) {
        if (block.blockFormat().headingLevel() == 2 && block.text().startsWith(QStringLiteral("Finding similar images"))) {
            heading_found = true;
            testing::wait_until([] { return false; }, 200);  // laid out with the pictures at their size
            browser->verticalScrollBar()->setValue(
                static_cast<int>(document->documentLayout()->blockBoundingRect(block).top()));
        }
    }
    CHECK(heading_found);
    testing::wait_until([] { return false; }, 100);
    testing::save_screenshot(dialog, QStringLiteral("user-guide"));
}

TEST_CASE("the window fits 1024 x 700 with a project open, on every tab", "[ui][layout]") {
    testing::TempDir scratch;
    QSettings().clear();
    MainWindow window;
    window.resize(1200, 800);
    REQUIRE(testing::show_active(&window));
    CHECK(window.minimumSizeHint().width() <= 1024);
    CHECK(window.minimumSizeHint().height() <= 700);
    REQUIRE(open_tiny_project(window, scratch));
    ProjectView* view = window.project_view();
    window.controller()->start_round();  // a question with its five candidate rows
    REQUIRE(testing::wait_until([&] { return !window.controller()->busy() && window.controller()->current_query(); }, 60000));
    for (int tab = 0; tab < view->tabs()->count(); ++tab) {
        view->tabs()->setCurrentIndex(tab);
        window.resize(1024, 700);
        QCoreApplication::processEvents();
        INFO("tab " << tab << ": minimum " << window.minimumSizeHint().width() << " x " << window.minimumSizeHint().height()
                    << ", size " << window.width() << " x " << window.height());
        CHECK(window.minimumSizeHint().width() <= 1024);
        CHECK(window.minimumSizeHint().height() <= 700);
        CHECK(window.minimumSize().width() <= 1024);
        CHECK(window.minimumSize().height() <= 700);
        CHECK(window.size() == QSize(1024, 700));
    }
    // The question itself fits too: shown smaller, not scrolled; at a larger size, at full size.
    view->show_queries();
    window.resize(1024, 700);
    QCoreApplication::processEvents();
    auto* scroll = view->findChild<QScrollArea*>(QStringLiteral("query_scroll"));
    REQUIRE(scroll);
    CHECK(view->query_view()->compact());
    // Thumbnails arrive from workers and the layout settles after them (slowly on a loaded machine).
    const auto no_scroll_bars = [&] {
        return !scroll->verticalScrollBar()->isVisible() && !scroll->horizontalScrollBar()->isVisible();
    };
    testing::wait_until(no_scroll_bars, 5000);
    CHECK_FALSE(scroll->verticalScrollBar()->isVisible());
    CHECK_FALSE(scroll->horizontalScrollBar()->isVisible());
    testing::save_screenshot(&window, QStringLiteral("window-1024x700"));
    window.resize(1280, 860);
    QCoreApplication::processEvents();
    CHECK_FALSE(view->query_view()->compact());
    testing::wait_until(no_scroll_bars, 5000);
    CHECK_FALSE(scroll->verticalScrollBar()->isVisible());
    CHECK_FALSE(scroll->horizontalScrollBar()->isVisible());
}
