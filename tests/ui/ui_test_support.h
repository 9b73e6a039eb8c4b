#pragma once
// Helpers for the Qt tests: waiting on the event loop with a deadline, and saving screenshots.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTest>
#include <QWidget>

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
