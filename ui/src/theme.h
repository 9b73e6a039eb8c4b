#pragma once
// The colour theme of the application: the system's (the platform's palette and style as the
// application started with them), or Corral's own light or dark palette on the Fusion style.
// Applied to the whole application (QApplication::setPalette), so every widget follows at once:
// views that paint themselves (the map, the metrics chart, the image grids) take their colours
// from the palette. The choice is remembered in QSettings ("view/theme").
#include <QString>

namespace corral::ui {

enum class Theme { system, light, dark };

// "system", "light", "dark" (the QSettings values), and back; unknown text is system.
QString theme_key(Theme theme);
Theme theme_from_key(const QString& key);

// The theme chosen last (QSettings), system when none was.
Theme stored_theme();
// Applies `theme` to the application and remembers it.
void apply_theme(Theme theme);
// The theme applied last in this process (system before any).
Theme current_theme();

}  // namespace corral::ui
