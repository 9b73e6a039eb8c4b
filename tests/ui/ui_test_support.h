#pragma once
// Helpers for the Qt tests: waiting on the event loop with a deadline, a small image folder, and
// saving screenshots.
#include <QCoreApplication>
#include <QDir>
#include <QColor>
#include <QElapsedTimer>
#include <QImage>
#include <QTest>
#include <QTimer>
#include <QWidget>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>

#include <catch2/catch.hpp>

// Catch prints QStrings as text in failed checks.
namespace Catch {
template <>
struct StringMaker<QString> {
    static std::string convert(const QString& value) { return '"' + value.toStdString() + '"'; }
};
}  // namespace Catch

namespace corral::testing {

// The longest time the event loop went without running a 5 ms timer: how long the window was
// frozen. Reset before each phase to measure that phase alone.
class StallMeter {
public:
    StallMeter() {
        timer_.setInterval(5);
        QObject::connect(&timer_, &QTimer::timeout, [this] {
            const qint64 now = clock_.elapsed();
            longest_ms_ = std::max(longest_ms_, now - last_ms_);
            last_ms_ = now;
        });
        reset();
        timer_.start();
    }
    void reset() {
        clock_.restart();
        last_ms_ = 0;
        longest_ms_ = 0;
    }
    qint64 longest_ms() const { return std::max(longest_ms_, clock_.elapsed() - last_ms_); }

private:
    QTimer timer_;
    QElapsedTimer clock_;
    qint64 last_ms_ = 0;
    qint64 longest_ms_ = 0;
};

// Spins the event loop until `condition` holds or `timeout_ms` passes; returns the condition.
inline bool wait_until(const std::function<bool()>& condition, int timeout_ms = 10000) {
    QElapsedTimer clock;
    clock.start();
    while (!condition()) {
        if (clock.elapsed() > timeout_ms) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return true;
}

// Shows `widget` and makes it the active window, as a user's click would: on a real X server
// without a window manager a shown window does not get keyboard focus, and its shortcuts stay
// silent. Returns whether it became active.
inline bool show_active(QWidget* widget) {
    widget->show();
    widget->activateWindow();
    return QTest::qWaitForWindowActive(widget, 5000);
}

// `count` 8x8 PNGs in two category folders, dark/ (odd i) and light/ (even i), each a slightly
// different shade, so that a 2-cluster project of them has an obvious answer.
inline void write_two_shade_folder(const std::filesystem::path& folder, int count) {
    for (int i = 0; i < count; ++i) {
        const auto file = folder / (i % 2 ? "dark" : "light") / ("i" + std::to_string(i) + ".png");
        std::filesystem::create_directories(file.parent_path());
        QImage image(8, 8, QImage::Format_RGB888);
        image.fill(QColor(i % 2 ? 20 + i : 220 - i, 100, 50));
        REQUIRE(image.save(QString::fromStdString(file.string())));
    }
}

// Saves a screenshot of `widget` as DIR/NAME.png, DIR being $CORRAL_SCREENSHOT_DIR or the build's
// screenshots folder; returns the path.
inline QString save_screenshot(QWidget* widget, const QString& name) {
    const QString folder = qEnvironmentVariable("CORRAL_SCREENSHOT_DIR", QStringLiteral(CORRAL_SCREENSHOT_DIR));
    QDir().mkpath(folder);
    const QString path = folder + QLatin1Char('/') + name + QStringLiteral(".png");
    widget->grab().save(path);
    return path;
}

}  // namespace corral::testing
