#pragma once
// Helpers for the Qt tests: waiting on the event loop with a deadline, and saving screenshots.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QWidget>

#include <functional>

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

// Saves a screenshot of `widget` as SCREENSHOT_DIR/NAME.png; returns the path.
inline QString save_screenshot(QWidget* widget, const QString& name) {
    QDir().mkpath(QStringLiteral(CORRAL_SCREENSHOT_DIR));
    const QString path = QStringLiteral(CORRAL_SCREENSHOT_DIR) + QLatin1Char('/') + name + QStringLiteral(".png");
    widget->grab().save(path);
    return path;
}

}  // namespace corral::testing
