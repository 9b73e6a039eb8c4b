#include <catch2/catch.hpp>

#include <QMouseEvent>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QWheelEvent>
#include <QtTest/QTest>

#include <ctime>
#include <functional>
#include <random>
#include <utility>

#include "cluster_browser.h"
#include "corral/core/interactive_session.h"
#include "corral/core/project.h"
#include "corral/ui/main_window.h"
#include "corral/ui/job_runner.h"
#include "map_colourings.h"
#include "map_panel.h"
#include "map_view.h"
#include "project_view.h"
#include "corral/ui/session_controller.h"
#include "test_support.h"
#include "ui_test_support.h"

using namespace corral;
using namespace corral::ui;

namespace {

const QColor kRed(255, 0, 0);
const QColor kBlue(0, 0, 255);

// Two categories: red points on the left half, blue on the right.
MapColouring two_colours(const std::vector<QPointF>& layout) {
    MapColouring colouring;
    colouring.title = QStringLiteral("Test");
    colouring.names = {QStringLiteral("left"), QStringLiteral("right")};
    colouring.colours = {kRed, kBlue};
    for (const QPointF& p : layout) colouring.category.push_back(p.x() < 5.0 ? 0 : 1);
    return colouring;
}

// A 10 x 10 grid at integer map coordinates 0..9; item = 10 y + x.
std::vector<QPointF> grid_layout() {
    std::vector<QPointF> layout;
    for (int y = 0; y < 10; ++y) {
        for (int x = 0; x < 10; ++x) layout.emplace_back(x, y);
    }
    return layout;
}

// Shows `view` at 600x400 with the 10x10 grid: its left half category 0, its right half 1.
void show_two_colour_grid(MapView& view) {
    view.resize(600, 400);
    view.show();
    const auto layout = grid_layout();
    view.set_layout(layout);
    view.set_colouring(two_colours(layout));
}

struct ColourCounts {
    int reddish = 0;
    int bluish = 0;
};

// Pixels left of the legend that are clearly red or clearly blue.
ColourCounts count_colours(MapView& view) {
    const QImage image = view.grab().toImage().convertToFormat(QImage::Format_RGB32);
    const int right = static_cast<int>(view.legend_entry_rect(0).left()) - 8;
    ColourCounts counts;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < std::min(right, image.width()); ++x) {
            const QColor c = image.pixelColor(x, y);
            if (c.red() > c.blue() + 80 && c.red() > c.green() + 80) ++counts.reddish;
            if (c.blue() > c.red() + 80 && c.blue() > c.green() + 80) ++counts.bluish;
        }
    }
    return counts;
}

void send_mouse(QWidget* widget, QEvent::Type type, QPointF position, Qt::MouseButton button,
                Qt::MouseButtons buttons, Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    QMouseEvent event(type, position, widget->mapToGlobal(position), button, buttons, modifiers);
    QCoreApplication::sendEvent(widget, &event);
}

// CPU time of all the process's threads (the view draws bands of points in parallel).
double process_cpu_ms() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

void send_wheel(QWidget* widget, QPointF position, int delta) {
    QWheelEvent event(position, widget->mapToGlobal(position), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(widget, &event);
}

}  // namespace

TEST_CASE("map view draws each category in its colour and the legend toggles a class", "[ui][map]") {
    MapView view;
    show_two_colour_grid(view);
    const auto both = count_colours(view);
    CHECK(both.reddish > 200);
    CHECK(both.bluish > 200);
    CHECK(view.category_counts() == std::vector<qint64>{50, 50});

    // Clicking the legend entry hides the class: none of its pixels are drawn; clicking again brings them back.
    const QRectF entry = view.legend_entry_rect(1);
    REQUIRE(!entry.isEmpty());
    QTest::mouseClick(&view, Qt::LeftButton, Qt::NoModifier, entry.center().toPoint());
    CHECK_FALSE(view.category_visible(1));
    const auto hidden = count_colours(view);
    CHECK(hidden.bluish == 0);
    CHECK(hidden.reddish == both.reddish);
    QTest::mouseClick(&view, Qt::LeftButton, Qt::NoModifier, entry.center().toPoint());
    CHECK(view.category_visible(1));
    CHECK(count_colours(view).bluish == both.bluish);

    // Another colouring (everything blue) changes what is drawn.
    MapColouring all_blue = two_colours(grid_layout());
    all_blue.colours = {kBlue, kBlue};
    view.set_colouring(all_blue);
    const auto recoloured = count_colours(view);
    CHECK(recoloured.reddish == 0);
    CHECK(recoloured.bluish > both.bluish);
}

TEST_CASE("map colourings mark answers, bin value scores and keep unknown labels apart", "[ui][map]") {
    std::vector<AnswerRecord> answers(3);
    answers[0].sample = 1;
    answers[0].kind = AnswerKind::positive;
    answers[1].sample = 2;
    answers[1].kind = AnswerKind::negative;
    answers[2].sample = 1;  // the newest answer for an image decides
    answers[2].kind = AnswerKind::skip;
    const auto answered = answer_colouring(6, answers, {1, 2, 3});
    CHECK(answered.category == std::vector<int>{5, 3, 1, 4, 5, 5});
    CHECK(answered.layered);

    const auto valued = value_colouring(5, {{0, 0.0}, {2, 1.0}, {4, 0.5}});
    // Five bins over [0, 1], highest first; 5 = not queried.
    CHECK(valued.category == std::vector<int>{4, 5, 0, 5, 2});
    CHECK(valued.names.size() == 6);

    const auto truth = ground_truth_colouring({0, -1, 1}, {QStringLiteral("a"), QStringLiteral("b")});
    CHECK(truth.category == std::vector<int>{0, 2, 1});
    CHECK(truth.names.last() == QStringLiteral("Unknown"));
    CHECK(cluster_colouring({0, 1}, {QStringLiteral("x"), QStringLiteral("y")}).names.size() == 2);
    CHECK(category_colour(3) != category_colour(4));
    CHECK(category_colour(25) != category_colour(26));
}

TEST_CASE("hovering finds the nearest visible point and a click opens it", "[ui][map]") {
    MapView view;
    show_two_colour_grid(view);

    const QPointF at_34 = view.widget_position(34);
    const QPointF at_35 = view.widget_position(35);
    const QPointF near_34 = at_34 + (at_35 - at_34) * 0.1;  // a tenth of the way towards item 35
    CHECK(view.nearest_point(near_34, 1000.0) == 34);
    CHECK(view.nearest_point(at_34 + (at_35 - at_34) * 0.7, 1000.0) == 35);
    CHECK(view.nearest_point(at_34 + QPointF(0, -200), 5.0) == -1);  // nothing within 5 px

    send_mouse(&view, QEvent::MouseMove, near_34, Qt::NoButton, Qt::NoButton);
    CHECK(view.hovered_item() == 34);
    // Items 35.. on the right are blue; hidden, the nearest visible point left of 35 is 34 even near 35.
    view.set_category_visible(1, false);
    CHECK(view.nearest_point(at_35, 1000.0) == 34);
    view.set_category_visible(1, true);

    QSignalSpy opened(&view, &MapView::point_opened);
    send_mouse(&view, QEvent::MouseButtonPress, at_35, Qt::LeftButton, Qt::LeftButton);
    send_mouse(&view, QEvent::MouseButtonRelease, at_35, Qt::LeftButton, Qt::NoButton);
    REQUIRE(opened.size() == 1);
    CHECK(opened.at(0).at(0).value<qint64>() == 35);

    // Zooming about the cursor keeps the point under it in place; a drag pans.
    send_wheel(&view, at_35, 240);
    CHECK(QLineF(view.widget_position(35), at_35).length() < 0.5);
    const QPointF before = view.widget_position(0);
    send_mouse(&view, QEvent::MouseButtonPress, {100, 100}, Qt::LeftButton, Qt::LeftButton);
    send_mouse(&view, QEvent::MouseMove, {130, 120}, Qt::NoButton, Qt::LeftButton);
    send_mouse(&view, QEvent::MouseButtonRelease, {130, 120}, Qt::LeftButton, Qt::NoButton);
    CHECK(QLineF(view.widget_position(0), before + QPointF(30, 20)).length() < 0.5);
    CHECK(opened.size() == 1);  // a drag is not a click
}

TEST_CASE("a lasso selects exactly the points inside the drawn polygon", "[ui][map]") {
    MapView view;
    show_two_colour_grid(view);
    const auto widget = [&view](double x, double y) {
        // Map coordinates to widget ones through two known points (the map is an affine image).
        const QPointF origin = view.widget_position(0), unit_x = view.widget_position(1) - origin,
                      unit_y = view.widget_position(10) - origin;
        return origin + unit_x * x + unit_y * y;
    };
    // An L shape: x in [1.5, 4.5] for y in [0.5, 2.5], plus x in [1.5, 2.5] for y in [2.5, 5.5].
    QPolygonF lasso;
    lasso << widget(1.5, 0.5) << widget(4.5, 0.5) << widget(4.5, 2.5) << widget(2.5, 2.5) << widget(2.5, 5.5)
          << widget(1.5, 5.5);
    const std::vector<qint64> expected{12, 13, 14, 22, 23, 24, 32, 42, 52};
    CHECK(view.points_in_polygon(lasso) == expected);

    // Drawn with Shift+drag, the selection is reported once.
    QSignalSpy selected(&view, &MapView::selection_made);
    send_mouse(&view, QEvent::MouseButtonPress, lasso[0], Qt::LeftButton, Qt::LeftButton, Qt::ShiftModifier);
    for (int k = 1; k < lasso.size(); ++k) {
        send_mouse(&view, QEvent::MouseMove, lasso[k], Qt::NoButton, Qt::LeftButton, Qt::ShiftModifier);
    }
    send_mouse(&view, QEvent::MouseButtonRelease, lasso.last(), Qt::LeftButton, Qt::NoButton, Qt::ShiftModifier);
    REQUIRE(selected.size() == 1);
    CHECK(selected.at(0).at(0).value<std::vector<qint64>>() == expected);

    // Hidden classes are not selected: hide the left class and lasso across both.
    view.set_category_visible(0, false);
    QPolygonF across;
    across << widget(3.5, 0.5) << widget(6.5, 0.5) << widget(6.5, 1.5) << widget(3.5, 1.5);
    CHECK(view.points_in_polygon(across) == std::vector<qint64>{15, 16});
}

namespace {

struct FrameTimes {
    double slowest_frame_cpu_ms = 0.0;  // CPU time of the whole process (all cores together)
    double slowest_frame_ms = 0.0;      // wall time of the same frames
    double slowest_render_ms = 0.0;     // the points layer alone, wall (all slices of a sliced redraw)
    double longest_stall_ms = 0.0;      // sliced maps: the longest the event loop waited, interactions included
    double hover_ms = 0.0;              // 1000 nearest-point look-ups
};

// Ten clusters of `points` points, coloured by cluster.
std::pair<std::vector<QPointF>, MapColouring> clustered_map(int points) {
    std::mt19937 random(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<QPointF> layout;
    layout.reserve(static_cast<std::size_t>(points));
    MapColouring colouring;
    colouring.title = QStringLiteral("Clusters");
    for (int k = 0; k < 10; ++k) {
        colouring.names << QStringLiteral("Cluster %1").arg(k + 1);
        colouring.colours.push_back(category_colour(k));
    }
    for (int i = 0; i < points; ++i) {
        const int k = i % 10;
        layout.emplace_back(10.0 * std::cos(k * 0.63) + noise(random) * 2.0, 10.0 * std::sin(k * 0.63) + noise(random) * 2.0);
        colouring.category.push_back(k);
    }
    return {std::move(layout), std::move(colouring)};
}

// The interactions both measurements make: five zoom steps, five pan steps and a fit, with
// `settle` after each.
void zoom_pan_fit(MapView& view, const std::function<void()>& settle) {
    for (int step = 0; step < 5; ++step) {
        send_wheel(&view, {600.0 + step * 20, 400.0}, 120);
        settle();
    }
    send_mouse(&view, QEvent::MouseButtonPress, {500, 400}, Qt::LeftButton, Qt::LeftButton);
    for (int step = 1; step <= 5; ++step) {
        send_mouse(&view, QEvent::MouseMove, {500.0 + step * 15, 400.0 + step * 5}, Qt::NoButton, Qt::LeftButton);
        settle();
    }
    send_mouse(&view, QEvent::MouseButtonRelease, {575, 425}, Qt::LeftButton, Qt::NoButton);
    view.fit_to_points();
    settle();
}

// Pixels that are not the light theme's background.
qint64 coloured_pixels(const QImage& image) {
    const QImage pixels = image.convertToFormat(QImage::Format_RGB32);
    const QRgb background = QColor(0xfb, 0xfb, 0xfc).rgb();
    qint64 count = 0;
    for (int y = 0; y < pixels.height(); ++y) {
        const auto* row = reinterpret_cast<const QRgb*>(pixels.constScanLine(y));
        for (int x = 0; x < pixels.width(); ++x) count += row[x] != background;
    }
    return count;
}

double hover_ms(const MapView& view) {
    QElapsedTimer hover;
    hover.start();
    for (int i = 0; i < 1000; ++i) view.nearest_point(QPointF(300 + i % 600, 200 + i % 400), 8.0);
    return static_cast<double>(hover.elapsed());
}

// A map of `points` points in 1200x800 drawn in one go: each interaction redraws every point in
// its frame; the slowest frame counts. CPU time is checked rather than wall time: on a shared CI
// machine wall time also counts other processes (reported only).
FrameTimes measure_map_frames(int points) {
    auto [layout, colouring] = clustered_map(points);
    MapView view;
    view.set_progressive_min_points(static_cast<std::size_t>(points) + 1);
    view.resize(1200, 800);
    view.show();
    view.set_layout(layout);
    view.set_colouring(colouring);
    view.grab();  // the first paint allocates the layer

    FrameTimes times;
    zoom_pan_fit(view, [&] {
        QElapsedTimer frame;
        const double cpu_before = process_cpu_ms();
        frame.start();
        view.grab();
        times.slowest_frame_ms = std::max(times.slowest_frame_ms, frame.nsecsElapsed() / 1e6);
        times.slowest_frame_cpu_ms = std::max(times.slowest_frame_cpu_ms, process_cpu_ms() - cpu_before);
        times.slowest_render_ms = std::max(times.slowest_render_ms, view.last_render_ms());
    });
    times.hover_ms = hover_ms(view);
    WARN(points << " points, 1200x800: slowest frame " << times.slowest_frame_cpu_ms << " ms CPU, " << times.slowest_frame_ms
                << " ms wall (points layer " << times.slowest_render_ms << " ms wall); 1000 hovers " << times.hover_ms << " ms");
    return times;
}

// The same with the map drawn in slices (as maps of 250k points and more are): the event loop
// runs until each redraw is complete, and its longest wait counts.
FrameTimes measure_sliced_map(int points) {
    auto [layout, colouring] = clustered_map(points);
    MapView view;
    view.resize(1200, 800);
    REQUIRE(testing::show_active(&view));
    view.set_layout(layout);
    view.set_colouring(colouring);
    REQUIRE(testing::wait_until([&] { return !view.rendering(); }, 60000));

    FrameTimes times;
    testing::StallMeter stalls;
    zoom_pan_fit(view, [&] {
        REQUIRE(view.rendering());
        REQUIRE(testing::wait_until([&] { return !view.rendering(); }, 60000));
        times.slowest_render_ms = std::max(times.slowest_render_ms, view.last_render_ms());
    });
    times.longest_stall_ms = static_cast<double>(stalls.longest_ms());
    times.hover_ms = hover_ms(view);
    WARN(points << " points, 1200x800, drawn in slices: longest stall " << times.longest_stall_ms
                << " ms; slowest complete redraw " << times.slowest_render_ms << " ms; 1000 hovers " << times.hover_ms << " ms");
    return times;
}

}  // namespace

TEST_CASE("a 100k-point map repaints in well under 100 ms", "[ui][map]") {
    const auto times = measure_map_frames(100000);
#if defined(__SANITIZE_THREAD__)
    // scripts/tsan.sh: the painting bands are checked for races there, not timed (some ten
    // times slower under ThreadSanitizer).
    WARN("ThreadSanitizer build: the frame and hover times are not checked");
#else
    CHECK(times.slowest_frame_cpu_ms < 100.0);
    CHECK(times.hover_ms < 100);
#endif
}

TEST_CASE("a map drawn in slices ends with the picture drawn in one go, and shows the last one meanwhile", "[ui][map]") {
    auto [layout, colouring] = clustered_map(60000);
    MapView at_once, sliced;
    sliced.set_progressive_min_points(1000);
    for (MapView* view : {&at_once, &sliced}) {
        view->resize(900, 600);
        view->show();
        view->set_layout(layout);
        view->set_colouring(colouring);
    }
    const auto settle = [&] { REQUIRE(testing::wait_until([&] { return !sliced.rendering(); }, 30000)); };
    settle();
    CHECK(sliced.grab().toImage() == at_once.grab().toImage());

    // A zoom: until the slices are done the old picture is shown, scaled about the cursor.
    const QImage before_zoom = sliced.grab().toImage();
    for (MapView* view : {&at_once, &sliced}) send_wheel(view, {450.0, 300.0}, 240);
    REQUIRE(sliced.rendering());
    const QImage meanwhile = sliced.grab().toImage();
    CHECK(meanwhile != before_zoom);  // moved, not left as it was...
    CHECK(coloured_pixels(meanwhile) > coloured_pixels(before_zoom) / 2);  // ...nor blank
    settle();
    CHECK(sliced.grab().toImage() == at_once.grab().toImage());

    // Hiding a class redraws too; the legend toggles stay in step.
    for (MapView* view : {&at_once, &sliced}) view->set_category_visible(3, false);
    settle();
    CHECK(sliced.grab().toImage() == at_once.grab().toImage());
}

TEST_CASE("a 1M-point map zooms and pans with every frame under 100 ms", "[ui][slow][map]") {
    const auto times = measure_sliced_map(1000000);
#if !defined(__SANITIZE_THREAD__)
    CHECK(times.longest_stall_ms < 100.0);
    CHECK(times.hover_ms < 100);
#endif
}

TEST_CASE("the map of a Fashion-MNIST project streams in, opens selections and survives a reopen", "[ui][slow][map]") {
    testing::TempDir scratch;
    QSettings().clear();
    const QString folder = QString::fromStdString((scratch / "map.corral").string());
    SessionSettings settings;
    settings.dataset_spec = "fashion-mnist:test";
    settings.limit = 2000;
    settings.round_size = 8;
    settings.fine_tune_epochs = 10;
    {
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        window.controller()->create_project(folder, settings);
        REQUIRE(testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 180000));
        ProjectView* view = window.project_view();
        REQUIRE(view != nullptr);
        // A round gives the answer and value-score colourings something to show.
        window.controller()->start_round();
        REQUIRE(testing::wait_until([&] { return window.controller()->current_query().has_value(); }, 60000));
        window.controller()->answer(AnswerKind::positive, window.controller()->current_query()->candidates[0].cluster);
        window.controller()->answer(AnswerKind::negative, -1);

        view->show_map();
        MapPanel* panel = view->map_panel();
        CHECK(panel->view()->point_count() == 0);
        const auto modes = panel->available_colourings();
        CHECK(modes.size() == 4);  // clusters, true classes, answers, value score
        panel->compute_map();
        REQUIRE(panel->computing());
        REQUIRE(testing::wait_until([&] { return !panel->computing(); }, 300000));
        CHECK(panel->view()->point_count() == 2000);
        // The layout animated: several intermediate layouts reached the view, at most ~10 a second.
        CHECK(panel->layouts_received() >= 3);
        auto stored = window.controller()->session()->stored_map();
        REQUIRE(stored);
        CHECK(stored->rows() == 2000);
        CHECK(panel->view()->layout()[7].x() == Approx((*stored)(7, 0)));

        for (const auto mode : modes) {
            panel->set_colour_by(mode);
            CHECK(panel->view()->colouring().category.size() == 2000);
        }
        const auto answered = panel->view()->category_counts();
        CHECK(answered.size() == 6);
        panel->set_colour_by(MapPanel::ColourBy::ground_truth);
        CHECK(panel->view()->category_counts().size() == 10);

        // Hover a point for the screenshot: its thumbnail shows next to the cursor.
        MapView* map = panel->view();
        testing::wait_until([] { return false; }, 300);
        const QPointF at = map->widget_position(123);
        send_mouse(map, QEvent::MouseMove, at, Qt::NoButton, Qt::NoButton);
        REQUIRE(map->hovered_item() >= 0);
        testing::wait_until([] { return false; }, 500);  // the thumbnail loads
        testing::save_screenshot(&window, QStringLiteral("map-view"));

        // A lasso opens its images in the cluster browser.
        const QPointF centre(map->width() / 2.0, map->height() / 2.0);
        QPolygonF lasso;
        lasso << centre + QPointF(-150, -150) << centre + QPointF(150, -150) << centre + QPointF(150, 150) << centre + QPointF(-150, 150);
        const auto inside = map->points_in_polygon(lasso);
        REQUIRE(!inside.empty());
        map->set_lasso_mode(true);
        send_mouse(map, QEvent::MouseButtonPress, lasso[0], Qt::LeftButton, Qt::LeftButton);
        for (int k = 1; k < 4; ++k) send_mouse(map, QEvent::MouseMove, lasso[k], Qt::NoButton, Qt::LeftButton);
        send_mouse(map, QEvent::MouseButtonRelease, lasso[3], Qt::LeftButton, Qt::NoButton);
        CHECK(view->tabs()->currentWidget() == view->cluster_browser());
        CHECK(view->cluster_browser()->image_model()->rowCount() == static_cast<int>(inside.size()));
    }
    {
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        window.open_project(folder);
        REQUIRE(testing::wait_until([&] { return window.controller()->has_session() && !window.controller()->busy(); }, 180000));
        window.project_view()->show_map();
        CHECK(window.project_view()->map_panel()->view()->point_count() == 2000);
    }
}
