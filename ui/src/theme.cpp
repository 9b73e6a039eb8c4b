#include "theme.h"

#include <QApplication>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

#include <optional>

namespace corral::ui {
namespace {

const QString kThemeKey = QStringLiteral("view/theme");

// What the platform gave the application before any theme was applied: "system" restores it.
struct SystemLook {
    QString style;
    QPalette palette;
};

const SystemLook& system_look() {
    static const SystemLook look{QApplication::style()->name(), QApplication::palette()};
    return look;
}

Theme& applied() {
    static Theme theme = Theme::system;
    return theme;
}

QPalette dark_palette() {
    QPalette palette;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x1f, 0x22), text(0xe8, 0xea, 0xed);
    const QColor disabled(0x80, 0x84, 0x8a), highlight(0x3d, 0x7e, 0xd0);
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    palette.setColor(QPalette::Base, base);
    palette.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2c));
    palette.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3d, 0x42));
    palette.setColor(QPalette::ToolTipText, text);
    palette.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9f, 0xa6));
    palette.setColor(QPalette::Text, text);
    palette.setColor(QPalette::Button, QColor(0x35, 0x38, 0x3d));
    palette.setColor(QPalette::ButtonText, text);
    palette.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    palette.setColor(QPalette::Light, QColor(0x4a, 0x4e, 0x55));
    palette.setColor(QPalette::Midlight, QColor(0x40, 0x43, 0x49));
    palette.setColor(QPalette::Mid, QColor(0x5c, 0x61, 0x68));
    palette.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1c));
    palette.setColor(QPalette::Shadow, QColor(0x10, 0x11, 0x13));
    palette.setColor(QPalette::Highlight, highlight);
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::Link, QColor(0x8a, 0xb4, 0xf8));
    palette.setColor(QPalette::LinkVisited, QColor(0xc5, 0x8a, 0xf9));
    for (const auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText}) {
        palette.setColor(QPalette::Disabled, role, disabled);
    }
    palette.setColor(QPalette::Disabled, QPalette::Base, window);
    palette.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x4a, 0x4e, 0x55));
    return palette;
}

}  // namespace

QString theme_key(Theme theme) {
    switch (theme) {
        case Theme::light: return QStringLiteral("light");
        case Theme::dark: return QStringLiteral("dark");
        case Theme::system: break;
    }
    return QStringLiteral("system");
}

Theme theme_from_key(const QString& key) {
    if (key == QStringLiteral("light")) return Theme::light;
    if (key == QStringLiteral("dark")) return Theme::dark;
    return Theme::system;
}

Theme stored_theme() { return theme_from_key(QSettings().value(kThemeKey).toString()); }

Theme current_theme() { return applied(); }

void apply_theme(Theme theme) {
    const SystemLook& look = system_look();  // taken before the first change
    QSettings().setValue(kThemeKey, theme_key(theme));
    if (theme == applied() && theme != Theme::system) return;
    applied() = theme;
    if (theme == Theme::system) {
        if (QApplication::style()->name() != look.style) QApplication::setStyle(look.style);
        QApplication::setPalette(look.palette);
        return;
    }
    // Fusion draws every control from the palette, so both palettes look whole on any platform.
    if (QApplication::style()->name().compare(QStringLiteral("fusion"), Qt::CaseInsensitive) != 0) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    }
    QApplication::setPalette(theme == Theme::dark ? dark_palette() : QApplication::style()->standardPalette());
}

}  // namespace corral::ui
